import { Agent, Offer } from '../../db/models';
import type { Presence } from '../../db/models/Agent';
import { notFound } from '../errors';
import { endOffer } from './answerOffer';
import { routeEntry, routeWaiting } from './offerConversation';
import type { RoutingRuntime } from './runtime';

/**
 * Changes an agent's presence. Leaving `available` revokes their pending offers (the cases go to the next agent);
 * assigned cases stay theirs. Becoming available routes waiting cases at once. The presence is committed first,
 * so no new offer can reach an agent who just left.
 */
export async function setPresence(r: RoutingRuntime, props: { agentId: number; presence: Presence }): Promise<Agent> {
  const { ctx } = r;
  const agent = await ctx.db.transaction(async (t) => {
    const a = await Agent.findByPk(props.agentId, { transaction: t, lock: t.LOCK.UPDATE });
    if (!a) throw notFound('The agent');
    if (a.presence !== props.presence) {
      a.presence = props.presence;
      a.presenceChangedAt = new Date();
      await a.save({ transaction: t, fields: ['presence', 'presenceChangedAt'] });
      t.afterCommit(() => ctx.events.emit('agent.changed', { agentId: a.id }));
    }
    return a;
  });
  if (props.presence !== 'available') await revokeOffersOf(r, props.agentId, 'presence');
  else await routeWaiting(r);
  return agent;
}

/** Revokes every pending offer of an agent and offers those cases to the next agents. */
export async function revokeOffersOf(r: RoutingRuntime, agentId: number, reason: 'presence' | 'disconnected'): Promise<number> {
  const pending = await Offer.findAll({ where: { agentId, state: 'pending' } });
  let n = 0;
  for (const o of pending) {
    if (await endOffer(r, o, 'revoked', reason)) {
      n++;
      await routeEntry(r, o.queueEntryId);
    }
  }
  return n;
}
