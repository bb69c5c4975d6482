import { QueryTypes, type Transaction } from 'sequelize';
import { Conversation, Offer, QueueEntry } from '../../db/models';
import type { OfferRevokeReason } from '../realtime/contract';
import { afterCommitChanged, writeEvents } from './events';
import { ROUTABLE_STATUSES } from './load';
import type { RoutingRuntime } from './runtime';
import { HELD_LETTER_SQL, letterCaseHeld } from '../letters/routingHold';

/** Call states in which the phone module routes the live call itself (server/twilio/callRouting). */
const LIVE_CALL_STATES = ['ivr', 'queued', 'offered', 'bridging', 'bridged'];

export interface SyncResult {
  /** The entry is waiting: route it now. */
  route: boolean;
  entryId: number | null;
}

/**
 * Makes a case's queue entry agree with the case (the reconciliation every path funnels into): an open,
 * unassigned case is waiting or offered in its department's queue (the general queue without a department); an
 * assigned case's entry is `assigned`; a closed, joined, spam or pending case's entry is `removed`, and pending
 * offers of a case that no longer waits are revoked. The queue entry is created in the same transaction that
 * decides the case is queued. Idempotent: calling it twice changes nothing the second time.
 */
export async function syncQueueEntry(r: RoutingRuntime, conversationId: number): Promise<SyncResult> {
  const { ctx } = r;
  return ctx.db.transaction(async (t) => {
    // The conversation row lock comes first in every routing transaction (one lock order, fewer deadlocks).
    const c = await Conversation.findByPk(conversationId, { transaction: t, lock: t.LOCK.UPDATE });
    if (!c) return { route: false, entryId: null };
    const entry = await QueueEntry.findOne({ where: { conversationId }, transaction: t });
    const liveCall = c.channel === 'voice' && (await hasLiveCall(r, t, conversationId));
    // A scanned letter's case waits for OCR and the clerk's review before it is queued (server/letters).
    const heldLetter = c.channel === 'letter' && (await letterCaseHeld(ctx.db.sequelize, t, conversationId));
    const routable = ROUTABLE_STATUSES.includes(c.status) && !liveCall && !heldLetter;
    const now = new Date();
    const fields = { departmentId: c.departmentId ?? null, channel: c.channel, language: c.language, priority: c.priority, dueAt: c.dueAt };

    if (routable && c.assigneeId === null) {
      if (!entry) {
        const created = await QueueEntry.create({ conversationId, ...fields, state: 'waiting', offerId: null, enqueuedAt: now }, { transaction: t });
        const ids = await writeEvents(t, [{ conversationId, type: 'conversation.queued', data: { queueEntryId: created.id, departmentId: fields.departmentId } }]);
        afterCommitChanged(ctx, t, conversationId, ids);
        afterCommitQueues(r, t, [fields.departmentId]);
        return { route: true, entryId: created.id };
      }
      const movedQueue = entry.departmentId !== fields.departmentId;
      if (entry.state === 'assigned' || entry.state === 'removed') {
        await entry.update({ ...fields, state: 'waiting', offerId: null, enqueuedAt: now }, { transaction: t });
        const ids = await writeEvents(t, [{ conversationId, type: 'conversation.queued', data: { queueEntryId: entry.id, departmentId: fields.departmentId } }]);
        afterCommitChanged(ctx, t, conversationId, ids);
        afterCommitQueues(r, t, [fields.departmentId]);
        return { route: true, entryId: entry.id };
      }
      if (differs(entry, fields)) {
        const previous = entry.departmentId;
        await entry.update(fields, { transaction: t });
        // Moved to another queue while reserved: the agent may not serve the new queue; offer it afresh.
        if (movedQueue && entry.state === 'offered') await revokePendingOffers(r, t, conversationId, 'pulled');
        afterCommitQueues(r, t, [previous, fields.departmentId]);
      }
      return { route: entry.state === 'waiting' || movedQueue, entryId: entry.id };
    }

    // Not waiting any more: assigned, closed, pending on someone else, or a live call the phone module routes.
    const pendingRevoked = await revokePendingOffers(r, t, conversationId, c.assigneeId !== null ? 'pulled' : 'closed');
    if (entry) {
      const state = c.assigneeId !== null && !liveCall ? 'assigned' : 'removed';
      if (entry.state !== state || pendingRevoked) {
        await entry.update({ ...fields, state, offerId: null }, { transaction: t });
        afterCommitQueues(r, t, [entry.departmentId]);
      }
    }
    return { route: false, entryId: entry?.id ?? null };
  });
}

function differs(entry: QueueEntry, fields: Pick<QueueEntry, 'departmentId' | 'channel' | 'language' | 'priority' | 'dueAt'>): boolean {
  return (
    entry.departmentId !== fields.departmentId ||
    entry.channel !== fields.channel ||
    entry.language !== fields.language ||
    entry.priority !== fields.priority ||
    (entry.dueAt?.getTime() ?? null) !== (fields.dueAt?.getTime() ?? null)
  );
}

async function hasLiveCall(r: RoutingRuntime, t: Transaction, conversationId: number): Promise<boolean> {
  const rows = await r.ctx.db.sequelize.query(
    `SELECT 1 AS x FROM phone_calls WHERE conversationId = :conversationId AND routingState IN (:states) LIMIT 1`,
    { replacements: { conversationId, states: LIVE_CALL_STATES }, transaction: t, type: QueryTypes.SELECT },
  );
  return rows.length > 0;
}

/**
 * Revokes the pending offer(s) of a case inside the caller's transaction (which holds the conversation lock) and
 * puts its entry back to waiting. Returns how many were revoked.
 */
export async function revokePendingOffers(r: RoutingRuntime, t: Transaction, conversationId: number, reason: OfferRevokeReason): Promise<number> {
  const pending = await Offer.findAll({ where: { pendingKey: conversationId }, transaction: t });
  let n = 0;
  const now = new Date();
  for (const o of pending) {
    const [changed] = await Offer.update(
      { state: 'revoked', pendingKey: null, reason, answeredAt: now },
      { where: { id: o.id, state: 'pending' }, transaction: t },
    );
    if (!changed) continue;
    n++;
    await QueueEntry.update({ state: 'waiting', offerId: null }, { where: { id: o.queueEntryId, state: 'offered' }, transaction: t });
    const [eventId] = await writeEvents(t, [{ conversationId, type: 'offer.revoked', data: { offerId: o.id, agentId: o.agentId, reason } }]);
    t.afterCommit(() => {
      r.ctx.events.emit('offer.changed', { offerId: o.id, conversationId, agentId: o.agentId, eventId: eventId ?? null });
      r.ctx.events.emit('agent.changed', { agentId: o.agentId });
    });
  }
  return n;
}

/** Publishes `queue.changed` after commit. */
export function afterCommitQueues(r: RoutingRuntime, t: Transaction, departmentIds: (number | null)[]): void {
  t.afterCommit(() => r.ctx.events.emit('queue.changed', { departmentIds: [...new Set(departmentIds)] }));
}

/** Open, unassigned cases with no waiting/offered entry (lost by a crash between commit and enqueue), oldest first. */
export async function findUnqueued(r: RoutingRuntime, limit: number): Promise<number[]> {
  const rows = await r.ctx.db.sequelize.query<{ id: number }>(
    `SELECT c.id FROM conversations c
       LEFT JOIN queue_entries q ON q.conversationId = c.id
      WHERE c.status IN (:routable) AND c.assigneeId IS NULL AND (q.id IS NULL OR q.state IN ('assigned', 'removed'))
        AND NOT EXISTS (SELECT 1 FROM phone_calls p WHERE p.conversationId = c.id AND p.routingState IN (:live))
        AND NOT ${HELD_LETTER_SQL}
      ORDER BY c.id LIMIT ${Number(limit)}`,
    { replacements: { routable: [...ROUTABLE_STATUSES], live: LIVE_CALL_STATES }, type: QueryTypes.SELECT },
  );
  const stale = await r.ctx.db.sequelize.query<{ id: number }>(
    `SELECT c.id FROM queue_entries q JOIN conversations c ON c.id = q.conversationId
      WHERE q.state IN ('waiting', 'offered') AND (c.assigneeId IS NOT NULL OR c.status NOT IN (:routable))
      ORDER BY c.id LIMIT ${Number(limit)}`,
    { replacements: { routable: [...ROUTABLE_STATUSES] }, type: QueryTypes.SELECT },
  );
  return [...new Set([...rows, ...stale].map((x) => Number(x.id)))];
}

