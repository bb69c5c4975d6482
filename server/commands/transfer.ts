import type { Conversation } from '../../db/models';
import { routingEngine } from '../routing/engine';
import { capacityFor, lockAgent, lockedLoad } from '../routing/load';
import { revokePendingOffers } from '../routing/syncQueueEntry';
import type { AppContext } from '../context';
import { conflict, validationError } from '../errors';
import type { Actor } from './actor';
import { changeCase, type EventDraft } from './caseTransaction';
import { moveToDepartment } from './changeDepartment';

export type TransferProps =
  | { conversationId: number; toAgentId: number; note?: string }
  | { conversationId: number; toDepartmentId: number | null; note?: string };

/** Statuses a case can be handed over in: still being worked. */
const TRANSFERABLE = new Set(['new', 'open', 'pending_citizen', 'pending_department']);

/**
 * Hands a case to a colleague (who becomes its owner) or to a department's queue (the owner lets go and the
 * routing engine offers it there). One transaction with the case locked; a `conversation.transferred` row.
 */
export async function transfer(ctx: AppContext, actor: Actor, props: TransferProps): Promise<Conversation> {
  return changeCase(ctx, actor, props.conversationId, async (c, transaction) => {
    if (!TRANSFERABLE.has(c.status)) throw conflict(`A case in status "${c.status}" is not being worked; reopen it before transferring.`, 'invalid_transition');
    const events: EventDraft[] = [];
    if ('toAgentId' in props) {
      // The same rules as routing's assignments: the agent row locked after the case, capacity per channel.
      const to = await lockAgent(transaction, props.toAgentId);
      if (!to || !to.active) throw validationError('toAgentId', `is not an active agent: ${props.toAgentId}`);
      if (c.assigneeId === to.id) throw conflict(`${to.name} already owns this case.`, 'already_assigned');
      if ((await lockedLoad(ctx.db, transaction, to.id, c.channel)) >= capacityFor(to.capacity, c.channel)) {
        throw conflict(`${to.name} has no free capacity for ${c.channel} cases now; choose another colleague or transfer to their department.`, 'capacity_full');
      }
      await revokePendingOffers(routingEngine(ctx).runtime, transaction, c.id, 'reassigned');
      const previous = c.assigneeId;
      events.push({ type: 'conversation.transferred', data: { fromAgentId: previous, toAgentId: to.id, toAgentName: to.name, note: props.note ?? null } });
      c.assigneeId = to.id;
      if (c.status === 'new') c.status = 'open';
      await c.save({ transaction });
      transaction.afterCommit(() => {
        ctx.events.emit('agent.changed', { agentId: to.id });
        if (previous !== null) ctx.events.emit('agent.changed', { agentId: previous });
      });
    } else {
      const from = c.assigneeId;
      const moved = await moveToDepartment(c, props.toDepartmentId, { reason: 'transfer', note: props.note }, transaction);
      if (!moved.length) throw conflict('The case is already waiting in that queue.', 'already_assigned');
      events.push(...moved, { type: 'conversation.transferred', data: { fromAgentId: from, toDepartmentId: props.toDepartmentId, note: props.note ?? null } });
    }
    return { result: c, events };
  });
}
