import { Op, type Transaction } from 'sequelize';
import { Agent, Message } from '../../db/models';
import type { AppContext } from '../context';
import { validationError } from '../errors';
import type { Actor } from './actor';
import { lockConversation, writeEvents } from './caseTransaction';

export interface AddNoteProps {
  conversationId: number;
  text: string;
  /** Agents picked in the composer's mention list. */
  mentionAgentIds?: number[];
}

/** `@handle` in a note: the part of a colleague's email before the @ (e.g. @ioana.pop). */
const HANDLE = /(^|[\s(,;])@([a-z0-9][a-z0-9._-]{0,63})/gi;

/**
 * Adds an internal note to a case (never sent to the citizen). Mentions — picked ids and `@handle`s in the
 * text — must name active agents; the `note.added` row carries their ids and `note.mentioned` tells their
 * consoles after commit.
 */
export async function addNote(ctx: AppContext, actor: Actor, props: AddNoteProps): Promise<{ message: Message; mentionedAgentIds: number[] }> {
  return ctx.db.transaction(async (transaction) => {
    const c = await lockConversation(actor, props.conversationId, transaction);
    const mentioned = await resolveMentions(props, transaction);
    const now = new Date();
    const message = await Message.create(
      {
        conversationId: c.id,
        citizenId: null,
        agentId: actor.agent.id,
        direction: 'note',
        channel: 'internal',
        externalId: null,
        subject: null,
        text: props.text,
        html: null,
        metadata: mentioned.length ? { mentionedAgentIds: mentioned } : {},
        automatic: false,
        deliveryStatus: null,
        deliveryError: null,
        deliveryUpdatedAt: null,
        receivedAt: now,
      },
      { transaction },
    );
    const [event] = await writeEvents(ctx, actor, c.id, [{ type: 'note.added', data: { messageId: message.id, mentionedAgentIds: mentioned } }], transaction);
    if (mentioned.length) {
      transaction.afterCommit(() =>
        ctx.events.emit('note.mentioned', { conversationId: c.id, messageId: message.id, eventId: event!.id, agentIds: mentioned, byAgentId: actor.agent.id }),
      );
    }
    return { message, mentionedAgentIds: mentioned };
  });
}

async function resolveMentions(props: AddNoteProps, transaction: Transaction): Promise<number[]> {
  const ids = [...new Set(props.mentionAgentIds ?? [])];
  if (ids.length) {
    const found = await Agent.findAll({ where: { id: { [Op.in]: ids }, active: true }, attributes: ['id'], transaction });
    const missing = ids.filter((id) => !found.some((a) => a.id === id));
    if (missing.length) throw validationError('mentionAgentIds', `names no active agent: ${missing.join(', ')}`);
  }
  const handles = [...props.text.matchAll(HANDLE)].map((m) => m[2]!.toLowerCase().replace(/[._-]+$/, ''));
  if (handles.length) {
    const byHandle = await Agent.findAll({
      where: { active: true, [Op.or]: [...new Set(handles)].map((h) => ({ email: { [Op.like]: `${h.replace(/[\\%_]/g, (x) => '\\' + x)}@%` } })) },
      attributes: ['id', 'email'],
      transaction,
    });
    for (const a of byHandle) if (!ids.includes(a.id)) ids.push(a.id);
  }
  return ids.sort((a, b) => a - b);
}
