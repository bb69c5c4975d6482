import { literal } from 'sequelize';
import { Conversation, QueueEntry } from '../../db/models';
import { conflict, notFound } from '../errors';
import { afterCommitChanged, RoutingAbort, writeEvents } from './events';
import { capacityFull } from './errors';
import { capacityFor, lockAgent, lockedLoad, ROUTABLE_STATUSES } from './load';
import { routeEntry } from './offerConversation';
import type { RoutingRuntime } from './runtime';
import { afterCommitQueues, revokePendingOffers, syncQueueEntry } from './syncQueueEntry';

/**
 * A supervisor gives a case to an agent (or back to its queue with `toAgentId: null`). Pending offers of the case
 * are revoked; the target's capacity is checked under their row lock like any other assignment.
 */
export async function reassignConversation(
  r: RoutingRuntime,
  props: { conversationId: number; toAgentId: number | null; byAgentId: number },
): Promise<{ eventId: number | null }> {
  const { ctx } = r;
  let result: { eventId: number | null; requeue: boolean };
  try {
    result = await ctx.db.transaction(async (t) => {
      const c = await Conversation.findByPk(props.conversationId, { transaction: t, lock: t.LOCK.UPDATE });
      if (!c) throw notFound('The case');
      if (!ROUTABLE_STATUSES.includes(c.status) && !['pending_citizen', 'pending_department'].includes(c.status)) {
        throw conflict('This case is closed; reopen it before assigning it.', 'conversation_closed');
      }
      const previous = c.assigneeId;
      if (previous === props.toAgentId) return { eventId: null, requeue: false };
      await revokePendingOffers(r, t, c.id, 'reassigned');
      if (props.toAgentId === null) {
        await Conversation.update({ assigneeId: null }, { where: { id: c.id }, transaction: t });
        const ids = await writeEvents(t, [
          { conversationId: c.id, type: 'conversation.unassigned', actorType: 'agent', actorId: props.byAgentId, data: { previousAgentId: previous, byAgentId: props.byAgentId } },
        ]);
        afterCommitChanged(ctx, t, c.id, ids);
        if (previous !== null) t.afterCommit(() => ctx.events.emit('agent.changed', { agentId: previous }));
        return { eventId: ids[0] ?? null, requeue: true };
      }
      const agent = await lockAgent(t, props.toAgentId);
      if (!agent || !agent.active) throw notFound('The agent');
      if ((await lockedLoad(ctx.db, t, agent.id, c.channel)) >= capacityFor(agent.capacity, c.channel)) throw new RoutingAbort('capacity');
      await Conversation.update(
        { assigneeId: agent.id, status: literal(`CASE WHEN status = 'new' THEN 'open' ELSE status END`) as never },
        { where: { id: c.id }, transaction: t },
      );
      const entry = await QueueEntry.findOne({ where: { conversationId: c.id }, transaction: t });
      const fields = { departmentId: c.departmentId ?? null, channel: c.channel, language: c.language, priority: c.priority, dueAt: c.dueAt };
      if (entry) await entry.update({ ...fields, state: 'assigned', offerId: null }, { transaction: t });
      else await QueueEntry.create({ conversationId: c.id, ...fields, state: 'assigned', offerId: null, enqueuedAt: new Date() }, { transaction: t });
      const ids = await writeEvents(t, [
        {
          conversationId: c.id,
          type: 'conversation.assigned',
          actorType: 'agent',
          actorId: props.byAgentId,
          data: { agentId: agent.id, previousAgentId: previous, via: 'reassign', byAgentId: props.byAgentId },
        },
      ]);
      afterCommitChanged(ctx, t, c.id, ids);
      afterCommitQueues(r, t, [fields.departmentId]);
      t.afterCommit(() => {
        ctx.events.emit('agent.changed', { agentId: agent.id });
        if (previous !== null) ctx.events.emit('agent.changed', { agentId: previous });
      });
      return { eventId: ids[0] ?? null, requeue: false };
    });
  } catch (err) {
    if (err instanceof RoutingAbort) throw capacityFull();
    throw err;
  }
  if (result.requeue) {
    const sync = await syncQueueEntry(r, props.conversationId);
    if (sync.route && sync.entryId) await routeEntry(r, sync.entryId);
  }
  return { eventId: result.eventId };
}
