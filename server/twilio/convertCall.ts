import { z } from 'zod';
import { Citizen, CitizenIdentity, Conversation, ConversationEvent, Message } from '../../db/models';
import { bucharestDate } from '../calendar/dates';
import { INTERNAL_MARGIN_WORKING_DAYS, LEGAL_TERM_DAYS, legalDeadline, workingDaysBefore } from '../calendar/legalDeadline';
import type { AppContext } from '../context';
import { conflict, notFound, validationError } from '../errors';
import { senderIdentities } from '../ingest/identity';

/** What the agent captures to turn a call into a written request (OG 27/2002 art. 2 and 7). */
export const WrittenRequestSchema = z
  .object({
    name: z.string().trim().min(3, 'the caller’s full name is required').max(200),
    email: z.string().trim().max(320).email('must be an email address').optional(),
    postalAddress: z.string().trim().min(5).max(500).optional(),
    /** The request in the caller's words, as the agent wrote it down and read it back. */
    text: z.string().trim().min(10, 'write down the request (at least a sentence)').max(20_000),
    subject: z.string().trim().max(200).optional(),
  })
  .refine((v) => v.email || v.postalAddress, { message: 'an email or a postal address is required to answer a petition', path: ['email'] });
export type WrittenRequest = z.infer<typeof WrittenRequestSchema>;

/**
 * Turns a phone case into a registered written request (a petition): a call is not a petition in law, so the
 * agent writes the request down with the caller's identification (name and an email or postal address for the
 * answer). In one transaction: the identities join the citizen, the request is stored as a written message,
 * the legal basis becomes `petition` with the 30-day legal deadline counted from today's registration of the
 * written request, and the timeline says who did it.
 */
export async function convertCallToWrittenRequest(ctx: AppContext, conversationId: number, agentId: number, raw: WrittenRequest): Promise<Conversation> {
  const parsed = WrittenRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw validationError(issue.path.join('.') || 'body', issue.message);
  }
  const input = parsed.data;
  const identities = senderIdentities({ name: input.name, email: input.email, postalAddress: input.postalAddress }, ctx.config.SESSION_SECRET);
  return ctx.db.transaction(async (transaction) => {
    const conversation = await Conversation.findByPk(conversationId, { transaction, lock: transaction.LOCK.UPDATE });
    if (!conversation) throw notFound('The conversation');
    if (conversation.channel !== 'voice') {
      const hasCall = await Message.count({ where: { conversationId, channel: 'voice' }, transaction });
      if (!hasCall) throw conflict('Only a case with a phone call can be turned into a written request.', 'not_a_call');
    }
    if (conversation.legalBasis === 'petition') throw conflict('This case is already a registered petition.', 'already_petition');
    if (['closed', 'filed_away', 'spam', 'joined'].includes(conversation.status)) throw conflict('The case is closed; open a new one.', 'conversation_closed');

    let citizen = conversation.citizenId ? await Citizen.findByPk(conversation.citizenId, { transaction, lock: transaction.LOCK.UPDATE }) : null;
    if (!citizen) {
      citizen = await Citizen.create({ name: input.name, language: conversation.language, mergedIntoId: null }, { transaction });
      conversation.citizenId = citizen.id;
    } else {
      citizen.name = input.name;
      await citizen.save({ transaction });
    }
    for (const identity of identities) {
      const existing = await CitizenIdentity.findOne({ where: { kind: identity.kind, value: identity.value }, transaction });
      if (existing && existing.citizenId !== citizen.id) throw validationError(identity.kind === 'email' ? 'email' : 'postalAddress', 'belongs to another citizen; merge the two citizens first');
      if (!existing) await CitizenIdentity.create({ citizenId: citizen.id, kind: identity.kind, value: identity.value }, { transaction });
    }

    const now = new Date();
    const registeredOn = bucharestDate(now);
    const legalDueDate = legalDeadline(registeredOn, LEGAL_TERM_DAYS.petition);
    const internalDueDate = workingDaysBefore(legalDueDate, INTERNAL_MARGIN_WORKING_DAYS);
    const from = conversation.legalBasis;
    conversation.legalBasis = 'petition';
    conversation.anonymous = false;
    conversation.legalDueDate = legalDueDate;
    conversation.internalDueDate = internalDueDate;
    conversation.dueAt = new Date(`${internalDueDate}T14:00:00Z`);
    if (input.subject) conversation.subject = input.subject;
    await conversation.save({ transaction });

    const message = await Message.create(
      {
        conversationId,
        citizenId: citizen.id,
        agentId,
        direction: 'inbound',
        channel: 'internal',
        externalId: null,
        subject: input.subject ?? null,
        text: input.text,
        html: null,
        metadata: { kind: 'written_request', source: 'call', recordedBy: agentId, postalAddress: input.postalAddress ?? null },
        deliveryStatus: null,
        deliveryError: null,
        deliveryUpdatedAt: null,
        receivedAt: now,
      },
      { transaction },
    );
    const rows = await ConversationEvent.bulkCreate(
      [
        { conversationId, type: 'call.converted_to_request', actorType: 'agent' as const, actorId: agentId, data: { messageId: message.id }, public: false },
        {
          conversationId,
          type: 'conversation.legal_basis_changed',
          actorType: 'agent' as const,
          actorId: agentId,
          data: { from, to: 'petition', registeredOn, legalDueDate, internalDueDate },
          public: true,
        },
      ],
      { transaction },
    );
    transaction.afterCommit(() => ctx.events.emit('conversation.changed', { conversationId, eventIds: rows.map((r) => r.id) }));
    return conversation;
  });
}
