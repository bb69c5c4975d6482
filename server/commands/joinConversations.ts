import { Op } from 'sequelize';
import { Conversation } from '../../db/models';
import type { AppContext } from '../context';
import { conflict, validationError } from '../errors';
import type { Actor } from './actor';
import { lockConversation, writeEvents, type EventDraft } from './caseTransaction';

export interface JoinProps {
  /** The case that stays and gets the one answer. */
  conversationId: number;
  /** Duplicates on the same issue, joined into it ("se conexează", OG 27/2002 art. 10). */
  duplicateIds: number[];
}

/** Duplicates must still be waiting for an answer; one that was answered already is filed away instead. */
const JOINABLE = new Set(['new', 'open', 'pending_citizen', 'pending_department']);
const TARGET_OK = new Set(['new', 'open', 'pending_citizen', 'pending_department', 'resolved']);

/**
 * Joins duplicates into one case: each duplicate gets status `joined` and `joinedIntoId`, lets go of its
 * owner, and later contacts on it thread into the target; cases already joined into a duplicate follow it.
 * Every case is locked in id order (no deadlock between two joins), in one transaction.
 */
export async function joinConversations(ctx: AppContext, actor: Actor, props: JoinProps): Promise<{ conversation: Conversation; joined: Conversation[] }> {
  const ids = [...new Set(props.duplicateIds)];
  if (!ids.length) throw validationError('duplicateIds', 'must name at least one case');
  if (ids.includes(props.conversationId)) throw validationError('duplicateIds', 'must not contain the case they are joined into');
  return ctx.db.transaction(async (transaction) => {
    const locked = new Map<number, Conversation>();
    for (const id of [props.conversationId, ...ids].sort((a, b) => a - b)) locked.set(id, await lockConversation(actor, id, transaction));
    const target = locked.get(props.conversationId)!;
    if (!TARGET_OK.has(target.status)) throw conflict(`Cases cannot be joined into a case that is ${target.status}.`, 'invalid_transition');

    const events: EventDraft[] = [];
    const joined: Conversation[] = [];
    for (const id of ids) {
      const d = locked.get(id)!;
      if (!JOINABLE.has(d.status)) {
        throw conflict(`Case ${d.registrationNumber} is ${d.status}; only cases still waiting for an answer can be joined.`, 'invalid_transition');
      }
      events.push({
        conversationId: d.id,
        type: 'conversation.joined',
        public: true,
        data: { from: d.status, to: 'joined', intoId: target.id, intoRegistrationNumber: target.registrationNumber, previousAssigneeId: d.assigneeId },
      });
      d.status = 'joined';
      d.joinedIntoId = target.id;
      d.assigneeId = null;
      await d.save({ transaction });
      joined.push(d);
    }
    // Cases joined earlier into one of these duplicates now point at the case that gets the answer.
    const chained = await Conversation.findAll({ where: { joinedIntoId: { [Op.in]: ids } }, transaction, lock: transaction.LOCK.UPDATE });
    for (const c of chained) {
      c.joinedIntoId = target.id;
      await c.save({ transaction });
      events.push({ conversationId: c.id, type: 'conversation.join_moved', data: { intoId: target.id } });
    }
    events.push({
      conversationId: target.id,
      type: 'conversation.duplicates_joined',
      data: { duplicateIds: ids, registrationNumbers: joined.map((d) => d.registrationNumber) },
    });
    await writeEvents(ctx, actor, target.id, events, transaction);
    return { conversation: target, joined };
  });
}
