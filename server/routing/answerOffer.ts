import { Op, literal, type WhereOptions } from 'sequelize';
import { Conversation, Offer, QueueEntry } from '../../db/models';
import { afterCommitChanged, RoutingAbort, writeEvents } from './events';
import { capacityFull, notYourOffer, offerGone, offerNotFound } from './errors';
import { capacityFor, lockAgent, lockedLoad } from './load';
import type { RoutingRuntime } from './runtime';
import { afterCommitQueues } from './syncQueueEntry';
import { routeEntry } from './offerConversation';

export interface AcceptResult { conversationId: number; eventId: number }

/**
 * The agent takes the offered case. One winner however many accepts race (several tabs, several processes):
 * the offer moves `pending → accepted` by a conditional UPDATE (state pending, same agent, not expired) and only
 * the transaction that changed the row goes on; the case is assigned only if it has no assignee, and the agent's
 * capacity is re-checked under their row lock. Writes `offer.accepted` and `conversation.assigned`.
 */
export async function acceptOffer(r: RoutingRuntime, props: { offerId: number; agentId: number }): Promise<AcceptResult> {
  const { ctx } = r;
  const head = await Offer.findByPk(props.offerId);
  if (!head) throw offerNotFound();
  if (head.agentId !== props.agentId) throw notYourOffer();
  try {
    return await ctx.db.transaction(async (t) => {
      const conversation = await Conversation.findByPk(head.conversationId, { transaction: t, lock: t.LOCK.UPDATE });
      if (!conversation) throw new RoutingAbort('gone');
      const now = new Date();
      const [won] = await Offer.update(
        { state: 'accepted', pendingKey: null, answeredAt: now },
        { where: { id: props.offerId, agentId: props.agentId, state: 'pending', expiresAt: { [Op.gt]: now } }, transaction: t },
      );
      if (won !== 1) throw new RoutingAbort('gone');
      const agent = await lockAgent(t, props.agentId);
      if (!agent || !agent.active) throw new RoutingAbort('gone');
      // The pending offer was already counted as a reservation, and it is now accepted (no longer pending).
      if ((await lockedLoad(ctx.db, t, props.agentId, head.channel)) >= capacityFor(agent.capacity, head.channel)) throw new RoutingAbort('capacity');
      const [assigned] = await Conversation.update(
        { assigneeId: props.agentId, status: literal(`CASE WHEN status = 'new' THEN 'open' ELSE status END`) as never },
        { where: { id: head.conversationId, assigneeId: null }, transaction: t },
      );
      if (assigned !== 1) throw new RoutingAbort('gone');
      await QueueEntry.update({ state: 'assigned', offerId: null }, { where: { id: head.queueEntryId }, transaction: t });
      const ids = await writeEvents(t, [
        { conversationId: head.conversationId, type: 'offer.accepted', actorType: 'agent', actorId: props.agentId, data: { offerId: head.id, agentId: props.agentId } },
        {
          conversationId: head.conversationId,
          type: 'conversation.assigned',
          actorType: 'agent',
          actorId: props.agentId,
          data: { agentId: props.agentId, previousAgentId: null, via: 'offer', offerId: head.id },
        },
      ]);
      t.afterCommit(() => {
        ctx.events.emit('offer.changed', { offerId: head.id, conversationId: head.conversationId, agentId: props.agentId, eventId: ids[0] ?? null });
        ctx.events.emit('agent.changed', { agentId: props.agentId });
      });
      afterCommitChanged(ctx, t, head.conversationId, ids);
      afterCommitQueues(r, t, [conversation.departmentId ?? null]);
      return { conversationId: head.conversationId, eventId: ids[1]! };
    });
  } catch (err) {
    if (err instanceof RoutingAbort) throw err.outcome === 'capacity' ? capacityFull() : offerGone();
    throw err;
  }
}

/**
 * The agent turns the offer down: `pending → declined` (conditional), the entry goes back to waiting, and the case
 * is offered to the next agent at once; the decliner is excluded from this case for `exclusionMs`.
 */
export async function declineOffer(r: RoutingRuntime, props: { offerId: number; agentId: number; reason?: string }): Promise<void> {
  const head = await Offer.findByPk(props.offerId);
  if (!head) throw offerNotFound();
  if (head.agentId !== props.agentId) throw notYourOffer();
  const ended = await endOffer(r, head, 'declined', props.reason ?? null, { agentId: props.agentId });
  if (!ended) throw offerGone();
  await routeEntry(r, head.queueEntryId);
}

/**
 * Ends a pending offer without acceptance (declined, expired or revoked) and puts the case back to waiting, in one
 * transaction that takes the conversation lock first. Returns false when the offer was no longer pending.
 */
export async function endOffer(
  r: RoutingRuntime,
  offer: Offer,
  state: 'declined' | 'expired' | 'revoked',
  reason: string | null,
  opts: { agentId?: number } = {},
): Promise<boolean> {
  const { ctx } = r;
  return ctx.db.transaction(async (t) => {
    await Conversation.findByPk(offer.conversationId, { transaction: t, lock: t.LOCK.UPDATE, attributes: ['id'] });
    const now = new Date();
    const where: WhereOptions<Offer> = {
      id: offer.id,
      state: 'pending',
      ...(opts.agentId !== undefined ? { agentId: opts.agentId } : {}),
      ...(state === 'expired' ? { expiresAt: { [Op.lte]: now } } : {}),
    };
    const [changed] = await Offer.update({ state, pendingKey: null, answeredAt: now, reason }, { where, transaction: t });
    if (changed !== 1) return false;
    const entry = await QueueEntry.findByPk(offer.queueEntryId, { transaction: t });
    await QueueEntry.update({ state: 'waiting', offerId: null }, { where: { id: offer.queueEntryId, state: 'offered' }, transaction: t });
    const [eventId] = await writeEvents(t, [
      {
        conversationId: offer.conversationId,
        type: state === 'declined' ? 'offer.declined' : state === 'expired' ? 'offer.expired' : 'offer.revoked',
        actorType: state === 'declined' ? 'agent' : 'system',
        actorId: state === 'declined' ? offer.agentId : null,
        data: { offerId: offer.id, agentId: offer.agentId, ...(reason ? { reason } : {}) },
      },
    ]);
    t.afterCommit(() => {
      ctx.events.emit('offer.changed', { offerId: offer.id, conversationId: offer.conversationId, agentId: offer.agentId, eventId: eventId ?? null });
      ctx.events.emit('agent.changed', { agentId: offer.agentId });
    });
    afterCommitQueues(r, t, [entry?.departmentId ?? null]);
    return true;
  });
}
