import { Op } from 'sequelize';
import type { ChannelKind } from '../../channels/contract';
import { Conversation, type Message } from '../../db/models';
import type { Resolution } from '../../db/models/Conversation';
import type { AppContext } from '../context';
import { AppError, conflict } from '../errors';
import { writeOutboundMessage } from '../outbound/createOutboundMessage';
import { isSupervisor, type Actor } from './actor';
import { changeCase, type EventDraft } from './caseTransaction';
import { applyStatusChange, type SettableStatus } from './statusMachine';

export interface ReplyProps {
  conversationId: number;
  text: string;
  subject?: string;
  /** Another channel than the citizen's own (e.g. a letter to someone who phoned). */
  channel?: ChannelKind;
  /** The status after the reply, e.g. pending_citizen (asked for more) or resolved. */
  statusAfter?: SettableStatus;
  /** With statusAfter resolved; defaults to "answered" (a reply answers). */
  resolution?: Resolution;
  /** The canned response the text started from, kept for reports. */
  cannedResponseId?: number;
}

export interface ReplyResult {
  conversation: Conversation;
  message: Message;
  /** Messages sent with the same answer to the citizens of duplicates joined into this case. */
  joinedCopies: Message[];
}

/** Statuses in which a reply makes no sense: the agent must reopen (or work on the case it was joined into). */
const NO_REPLY: Record<string, string> = {
  joined: 'This case was joined into another one; answer on that case, which answers every joined duplicate.',
  closed: 'The case is closed; ask a supervisor to reopen it before answering.',
  filed_away: 'The case was filed away; ask a supervisor to reopen it before answering.',
  spam: 'The case is marked as spam; reopen it first if it is a real request.',
};

/**
 * Answers a case on the citizen's channel (or the one chosen): the outbound message and its send job, an
 * optional status change, and the same answer to the citizens of joined duplicates (OG 27/2002 art. 10: one
 * answer) — all in one transaction with the case locked.
 */
export async function replyToConversation(ctx: AppContext, actor: Actor, props: ReplyProps): Promise<ReplyResult> {
  return changeCase(ctx, actor, props.conversationId, async (c, transaction) => {
    if (NO_REPLY[c.status]) throw conflict(NO_REPLY[c.status]!, 'case_not_answerable');
    const metadata = props.cannedResponseId ? { cannedResponseId: props.cannedResponseId } : undefined;
    const message = await writeOutboundMessage(
      ctx,
      { conversationId: c.id, agentId: actor.agent.id, kind: 'reply', text: props.text, subject: props.subject ?? replySubject(c), channel: props.channel, metadata },
      transaction,
    );

    const events: EventDraft[] = [];
    const joinedCopies: Message[] = [];
    const duplicates = await Conversation.findAll({
      where: { joinedIntoId: c.id, status: 'joined', citizenId: { [Op.ne]: null } },
      order: [['id', 'ASC']],
      transaction,
      lock: transaction.LOCK.UPDATE,
    });
    const answered = new Set([c.citizenId]);
    for (const d of duplicates) {
      if (answered.has(d.citizenId)) continue;
      answered.add(d.citizenId);
      try {
        joinedCopies.push(
          await writeOutboundMessage(
            ctx,
            { conversationId: d.id, agentId: actor.agent.id, kind: 'reply', text: props.text, subject: props.subject ?? replySubject(d), metadata: { joinedReplyOf: c.id } },
            transaction,
          ),
        );
      } catch (err) {
        // A duplicate's author left no way back: the main answer still goes; the timeline says who was missed.
        if (!(err instanceof AppError) || err.status !== 409) throw err;
        events.push({ type: 'reply.copy_skipped', data: { duplicateId: d.id, registrationNumber: d.registrationNumber, code: err.code } });
      }
    }

    await c.reload({ transaction });
    const target: SettableStatus | undefined = props.statusAfter ?? (c.status === 'new' ? 'open' : undefined);
    if (target && target !== c.status) {
      const resolution = target === 'resolved' ? props.resolution ?? 'answered' : undefined;
      const data = applyStatusChange(c, { to: target, resolution, supervisor: isSupervisor(actor), now: new Date() });
      data.reason = 'reply';
      data.messageId = message.id;
      await c.save({ transaction });
      events.push({ type: 'conversation.status_changed', public: true, data });
    }
    return { result: { conversation: c, message, joinedCopies }, events };
  });
}

/** Email replies keep the registration number in the subject, so the citizen's answer threads back. */
function replySubject(c: Conversation): string {
  const base = c.subject ? c.subject.replace(/^(re|răspuns)\s*:\s*/i, '') : 'Solicitarea dumneavoastră';
  return `Re: ${base} [nr. ${c.registrationNumber}]`.slice(0, 998);
}
