import { Op, literal } from 'sequelize';
import { Agent, Offer, QueueEntry } from '../../db/models';
import type { ConversationStatus } from '../../db/models/Conversation';
import { rawSql, withRawSql } from '../../db/rawSql';
import { logger } from '../log';
import { RoutingAbort } from './events';
import { lockFitAgent } from './callCandidates';
import { rankCandidates, ROUTABLE_STATUSES } from './load';
import type { RoutingRuntime } from './runtime';
import { writeOffer } from './writeOffer';

const log = logger('routing');

/** The queue order: priority first (higher first), then the nearest due moment (none last), then arrival. */
export const QUEUE_ORDER = [
  ['priority', 'DESC'],
  [literal('CASE WHEN dueAt IS NULL THEN 1 ELSE 0 END'), 'ASC'],
  ['dueAt', 'ASC'],
  ['id', 'ASC'],
] as [unknown, string][] as never;

export type OfferOutcome =
  | { kind: 'offered'; offer: Offer }
  /** The entry is no longer waiting (offered or taken elsewhere, closed): stop routing it. */
  | { kind: 'gone' }
  /** This agent cannot take it now (presence, capacity, queue, language changed since the candidate list). */
  | { kind: 'agent_unfit' }
  /** Another transaction holds this agent's row right now (asked not to wait for it). */
  | { kind: 'agent_busy' };

/**
 * Reserves a waiting case for one agent: in one transaction, the conversation and the agent are locked (in that
 * order, everywhere), the agent re-checked (active, available, connected, serving the queue, speaking the
 * language, room on the channel read under a shared lock), then writeOffer writes the offer and moves the entry
 * (server/routing/writeOffer.ts: the unique pendingKey and a conditional UPDATE decide a race).
 */
export async function offerToAgent(r: RoutingRuntime, entryId: number, agentId: number, conversationId?: number, opts: { skipLocked?: boolean } = {}): Promise<OfferOutcome> {
  const { ctx } = r;
  // Read outside the transaction: on MariaDB the first plain read fixes the snapshot, and it must come after the locks.
  const head = conversationId !== undefined ? { conversationId } : await readEntry(r, entryId);
  if (!head) return { kind: 'gone' };
  try {
    return await ctx.db.transaction(async (t) => {
      // Raw statements on the transaction's connection: this runs for every offer, and the ORM's per-statement
      // CPU was most of its cost. Same locks, same order as everywhere: the case first, then the agent.
      const sql = rawSql(t);
      const [conversation] = await sql.all<{ assigneeId: number | null; status: ConversationStatus }>(
        `SELECT assigneeId, status FROM conversations WHERE id = ?${sql.forUpdate}`,
        [head.conversationId],
      );
      if (!conversation || conversation.assigneeId !== null || !ROUTABLE_STATUSES.includes(conversation.status)) return { kind: 'gone' } as const;
      const [entry] = await sql.all<Pick<QueueEntry, 'conversationId' | 'departmentId' | 'channel' | 'language' | 'state'>>(
        'SELECT conversationId, departmentId, channel, language, state FROM queue_entries WHERE id = ?',
        [entryId],
      );
      if (!entry || entry.state !== 'waiting') return { kind: 'gone' } as const;
      const fit = opts.skipLocked ? await lockFitAgent(r, t, agentId, entry, { skipLocked: true }) : await lockFitAgent(r, t, agentId, entry);
      if (fit === 'busy') return { kind: 'agent_busy' } as const;
      if (!fit) return { kind: 'agent_unfit' } as const;

      const { offer } = await writeOffer(r, t, entryId, entry, agentId);
      return { kind: 'offered', offer } as const;
    }, { readCommitted: true });
  } catch (err) {
    if (err instanceof RoutingAbort) return { kind: 'gone' };
    throw err;
  }
}

/** A waiting entry as its creator knows it (ingest's in-transaction queueing). */
export type QueuedEntry = Pick<QueueEntry, 'state' | 'conversationId' | 'departmentId' | 'channel' | 'language'>;

/** A queue entry's routing fields by a plain read on a pooled connection (outside any transaction), or undefined when gone. */
async function readEntry(r: RoutingRuntime, entryId: number): Promise<QueuedEntry | undefined> {
  const [row] = await withRawSql(r.ctx.db, (sql) =>
    sql.all<QueuedEntry>('SELECT state, conversationId, departmentId, channel, language FROM queue_entries WHERE id = ?', [entryId]),
  );
  return row;
}

/** Offers a waiting entry to the best eligible agent, trying the next one when an agent turned out unfit. */
export async function routeEntry(r: RoutingRuntime, entryId: number, queued?: QueuedEntry): Promise<Offer | null> {
  // An entry ingest queued just now is known without reading it back; the offer re-checks it under locks.
  const entry = queued ?? (await readEntry(r, entryId));
  if (!entry || entry.state !== 'waiting') return null;
  const candidates = await rankCandidates(r, entry, { fresh: Boolean(queued) });
  // Concurrent routings rank the same agent first; an agent whose row another offer holds is passed over for
  // the next, and waited for only when every candidate tried was busy.
  let firstBusy: number | null = null;
  for (const c of candidates.slice(0, 10)) {
    const outcome = await offerToAgent(r, entryId, c.agentId, entry.conversationId, { skipLocked: true });
    if (outcome.kind === 'offered') return outcome.offer;
    if (outcome.kind === 'gone') return null;
    if (outcome.kind === 'agent_busy') firstBusy ??= c.agentId;
  }
  if (firstBusy === null) return null;
  const outcome = await offerToAgent(r, entryId, firstBusy, entry.conversationId);
  return outcome.kind === 'offered' ? outcome.offer : null;
}

/**
 * Routes waiting entries in queue order while there are agents to take them. Returns how many offers were made.
 * Safe to run in several processes at once: every offer is decided by conditional updates under row locks.
 */
export async function routeWaiting(r: RoutingRuntime, opts: { limit?: number; departmentIds?: (number | null)[] } = {}): Promise<number> {
  const anyone = await Agent.count({ where: { [Op.and]: [{ active: true, presence: 'available' }, literal('disconnectedAt IS NULL')] } });
  if (!anyone) return 0;
  const where = opts.departmentIds?.length
    ? { state: 'waiting' as const, [Op.or]: opts.departmentIds.map((departmentId) => ({ departmentId })) }
    : { state: 'waiting' as const };
  const waiting = await QueueEntry.findAll({ where, order: QUEUE_ORDER, limit: opts.limit ?? 50 });
  let offered = 0;
  let misses = 0;
  for (const e of waiting) {
    try {
      if (await routeEntry(r, e.id)) offered++;
      else if (++misses >= 20) break; // nobody left for the rest either, most likely
    } catch (err) {
      log.error({ err, entryId: e.id }, 'routing a waiting case failed; the sweeper retries');
    }
  }
  return offered;
}
