import { onTransactionEnd } from '../../db/connection';
import type { IngestWriteHook } from '../ingest/ingestHooks';
import { lockFitAgent } from './callCandidates';
import type { RoutingEventInput } from './events';
import { rankCandidatesOn, ROUTABLE_STATUSES } from './load';
import type { QueuedEntry } from './offerConversation';
import type { RoutingRuntime } from './runtime';
import { afterCommitQueues } from './syncQueueEntry';
import { writeOffer } from './writeOffer';

/** How many of the best candidates a new case is tried on inside ingest's transaction (agents whose row is busy are passed over). */
const IN_TRANSACTION_TRIES = 3;
/** At most how long an agent tried by one of this process's open ingests is passed over by the others (the claim ends with its transaction). */
const CLAIM_MS = 2_000;

/**
 * What ingest did with each new case, learnt after its commit: its waiting entry, for the engine to offer, or
 * 'offered' when the offer was made in the same transaction (nothing left to do).
 */
export type IngestQueueing = Map<number, { entryId: number; entry: QueuedEntry } | 'offered'>;

/**
 * Queues a case in the transaction that opens it, and offers it there too when an agent is free: the entry, the
 * offer and their timeline rows commit with the case, so the contact's one commit is also its reservation.
 * Only agents whose row no other transaction holds are tried (SKIP LOCKED: a contact never waits on an agent
 * while it holds its new case, and on SQLite the one writer); when none is free the case waits and the engine
 * routes it after commit.
 * Calls and scanned letters are left to syncQueueEntry after commit: the phone module routes a live call, and a
 * letter waits for OCR and review. `queued` learns, after commit only, which entry a waiting case got (or that it
 * was offered), so the engine neither reconciles it nor reads it back.
 */
export function queueOnIngest(r: RoutingRuntime, queued: IngestQueueing): IngestWriteHook {
  // Concurrent contacts rank the same agent first. Each open ingest of this process claims the agent it tries, so
  // the others go straight to the next one instead of each finding the row locked (SKIP LOCKED still decides
  // between processes, and is what guarantees one offer per agent row).
  const claimed = new Map<number, number>();
  const claim = (agentId: number, now: number) => {
    const until = claimed.get(agentId);
    if (until !== undefined && until > now) return false;
    claimed.set(agentId, now + CLAIM_MS);
    return true;
  };
  return async ({ sql, transaction, conversation: c, created, now, timeline }) => {
    if (!created || c.channel === 'voice' || c.channel === 'letter') return;
    if (!ROUTABLE_STATUSES.includes(c.status) || c.assigneeId !== null) return;
    const departmentId = c.departmentId ?? null;
    const entryId = (
      await sql.run(
        "INSERT INTO queue_entries (conversationId, departmentId, channel, language, priority, dueAt, state, offerId, enqueuedAt, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, 'waiting', NULL, ?, ?, ?)",
        [c.id, departmentId, c.channel, c.language, c.priority, c.dueAt, now, now, now],
      )
    ).insertId;
    const entry: QueuedEntry = { state: 'waiting', conversationId: c.id, departmentId, channel: c.channel, language: c.language };
    const queuedEvent: RoutingEventInput = { conversationId: c.id, type: 'conversation.queued', data: { queueEntryId: entryId, departmentId } };

    const candidates = await rankCandidatesOn(sql, r, entry, { fresh: true });
    let tries = 0;
    for (const candidate of candidates) {
      if (tries >= IN_TRANSACTION_TRIES) break;
      if (!claim(candidate.agentId, Date.now())) continue;
      tries++;
      // The claim ends with this transaction, committed or rolled back (a deadlock retry claims afresh).
      onTransactionEnd(transaction, () => void claimed.delete(candidate.agentId));
      const fit = await lockFitAgent(r, transaction, candidate.agentId, entry, { skipLocked: true });
      if (fit === 'busy' || !fit) continue;
      // Its rows are published with contact.ingested, not as a conversation.changed of their own: one re-read per new case.
      await writeOffer(r, transaction, entryId, entry, candidate.agentId, { eventsBefore: [queuedEvent], timeline });
      transaction.afterCommit(() => {
        queued.set(c.id, 'offered');
      });
      return;
    }
    void timeline([queuedEvent]);
    transaction.afterCommit(() => {
      queued.set(c.id, { entryId, entry });
    });
    afterCommitQueues(r, transaction, [departmentId]);
  };
}
