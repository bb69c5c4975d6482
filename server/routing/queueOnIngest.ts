import type { IngestWriteHook } from '../ingest/ingestHooks';
import { insertReturningIds } from '../../db/rawSql';
import { ROUTABLE_STATUSES } from './load';
import type { QueuedEntry } from './offerConversation';
import type { RoutingRuntime } from './runtime';
import { afterCommitQueues } from './syncQueueEntry';

/**
 * Queues a case in the transaction that opens it: the waiting entry and its `conversation.queued` row commit
 * with the case, so routing's next step is the offer itself. Calls and scanned letters are left to
 * syncQueueEntry after commit: the phone module routes a live call, and a letter waits for OCR and review.
 * `queued` learns, after commit only, which entry a case got, so the engine offers it without reconciling.
 */
export function queueOnIngest(r: RoutingRuntime, queued: Map<number, { entryId: number; entry: QueuedEntry }>): IngestWriteHook {
  return async ({ sql, transaction, conversation: c, created, now }) => {
    if (!created || c.channel === 'voice' || c.channel === 'letter') return;
    if (!ROUTABLE_STATUSES.includes(c.status) || c.assigneeId !== null) return;
    const departmentId = c.departmentId ?? null;
    const entry = await sql.run(
      "INSERT INTO queue_entries (conversationId, departmentId, channel, language, priority, dueAt, state, offerId, enqueuedAt, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, 'waiting', NULL, ?, ?, ?)",
      [c.id, departmentId, c.channel, c.language, c.priority, c.dueAt, now, now, now],
    );
    const eventIds = await insertReturningIds(
      sql,
      'conversation_events',
      ['conversationId', 'type', 'actorType', 'actorId', 'data', 'public', 'createdAt'],
      [[c.id, 'conversation.queued', 'system', null, JSON.stringify({ queueEntryId: entry.insertId, departmentId }), false, now]],
    );
    transaction.afterCommit(() => {
      queued.set(c.id, { entryId: entry.insertId, entry: { state: 'waiting', conversationId: c.id, departmentId, channel: c.channel, language: c.language } });
    });
    afterCommitQueues(r, transaction, [departmentId]);
    // Published with contact.ingested, not as a conversation.changed of its own: one re-read per new case.
    return eventIds;
  };
}
