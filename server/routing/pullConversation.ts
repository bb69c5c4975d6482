import { Op, literal } from 'sequelize';
import { Agent, AgentDepartment, Conversation, QueueEntry } from '../../db/models';
import type { QueueId } from '../realtime/contract';
import { afterCommitChanged, writeEvents } from './events';
import { notAvailable, queueEmpty } from './errors';
import { forbidden } from '../errors';
import { capacityFor, loads, lockAgent, lockedLoad, ROUTABLE_STATUSES, speaks } from './load';
import { QUEUE_ORDER } from './offerConversation';
import type { RoutingRuntime } from './runtime';
import { afterCommitQueues } from './syncQueueEntry';
import type { AcceptResult } from './answerOffer';

/** Presences in which an agent may take a case themselves (pull); pushed offers go to `available` only. */
const PULL_PRESENCES = ['available', 'busy'];

/**
 * Pull mode: the agent takes the next waiting case they may serve (optionally from one queue), in queue order,
 * on a channel where they have room. Each attempt is its own transaction — conversation lock, agent lock, load
 * under a shared lock, `waiting → assigned` by a conditional UPDATE — so a case another process offered or took
 * meanwhile is skipped, never taken twice.
 */
export async function pullConversation(r: RoutingRuntime, props: { agentId: number; queueId?: QueueId }): Promise<AcceptResult> {
  const { ctx } = r;
  const agent = await Agent.findByPk(props.agentId);
  if (!agent || !agent.active) throw notAvailable('Your account is not active.');
  if (!PULL_PRESENCES.includes(agent.presence)) throw notAvailable();
  const departmentIds = agent.allDepartments ? null : (await AgentDepartment.findAll({ where: { agentId: agent.id } })).map((d) => d.departmentId);
  let queueWhere: object;
  if (props.queueId === undefined) queueWhere = departmentIds === null ? {} : { departmentId: { [Op.in]: departmentIds.length ? departmentIds : [-1] } };
  else if (props.queueId === 'general') {
    if (departmentIds !== null) throw forbidden('The general queue is served by agents without a department restriction.');
    queueWhere = { departmentId: null };
  } else {
    if (departmentIds !== null && !departmentIds.includes(props.queueId)) throw forbidden('You do not serve this department’s queue.');
    queueWhere = { departmentId: props.queueId };
  }
  const load = (await loads([agent.id])).get(agent.id);
  const roomy = (['voice', 'sms', 'email', 'portal', 'letter', 'api'] as const).filter((ch) => (load?.get(ch) ?? 0) < capacityFor(agent.capacity, ch));
  if (!roomy.length) throw queueEmpty();
  const waiting = await QueueEntry.findAll({ where: { state: 'waiting', channel: { [Op.in]: roomy }, ...queueWhere }, order: QUEUE_ORDER, limit: 20 });
  for (const entry of waiting.filter((e) => speaks(agent.languages, e.language))) {
    const result = await ctx.db.transaction(async (t) => {
      const conversation = await Conversation.findByPk(entry.conversationId, { transaction: t, lock: t.LOCK.UPDATE });
      if (!conversation || conversation.assigneeId !== null || !ROUTABLE_STATUSES.includes(conversation.status)) return null;
      const locked = await lockAgent(t, agent.id);
      if (!locked || !locked.active || !PULL_PRESENCES.includes(locked.presence)) return null;
      if ((await lockedLoad(ctx.db, t, agent.id, entry.channel)) >= capacityFor(locked.capacity, entry.channel)) return null;
      const [taken] = await QueueEntry.update({ state: 'assigned', offerId: null }, { where: { id: entry.id, state: 'waiting' }, transaction: t });
      if (taken !== 1) return null;
      const [assigned] = await Conversation.update(
        { assigneeId: agent.id, status: literal(`CASE WHEN status = 'new' THEN 'open' ELSE status END`) as never },
        { where: { id: entry.conversationId, assigneeId: null }, transaction: t },
      );
      if (assigned !== 1) return null;
      const ids = await writeEvents(t, [
        { conversationId: entry.conversationId, type: 'conversation.assigned', actorType: 'agent', actorId: agent.id, data: { agentId: agent.id, previousAgentId: null, via: 'pull' } },
      ]);
      afterCommitChanged(ctx, t, entry.conversationId, ids);
      afterCommitQueues(r, t, [entry.departmentId]);
      t.afterCommit(() => ctx.events.emit('agent.changed', { agentId: agent.id }));
      return { conversationId: entry.conversationId, eventId: ids[0]! };
    });
    if (result) return result;
  }
  throw queueEmpty();
}
