import { z } from 'zod';
import { Conversation, ConversationEvent, SlaTimer } from '../../db/models';
import { OPEN_STATUSES } from '../../db/models/Conversation';
import { loadBusinessCalendar } from '../calendar/calendarStore';
import { bucharestDate } from '../calendar/dates';
import type { AppContext } from '../context';
import { conflict, notFound } from '../errors';
import { createOutboundMessage } from '../outbound/createOutboundMessage';
import { INFORMATION_EXTENDED_DAYS, PETITION_MAX_EXTENSION_DAYS, legalTerms } from './legalTerms';
import { recomputeSla } from './recomputeSla';

export const ExtendLegalDeadlineSchema = z.object({
  /** Petitions: days added, 1–15. Ignored for information requests (the term becomes 30 days). */
  days: z.number().int().min(1).max(PETITION_MAX_EXTENSION_DAYS).optional(),
  /** The notice sent to the citizen first: why more time is needed. */
  noticeText: z.string().trim().min(20, 'say why more time is needed (at least 20 characters)').max(10_000),
  subject: z.string().trim().max(300).optional(),
});
export type ExtendLegalDeadlineInput = z.infer<typeof ExtendLegalDeadlineSchema>;

/**
 * Extends a case's legal term once, after notifying the citizen: OG 27/2002 art. 9 (a petition, by at most 15
 * days, "cu notificarea prealabilă a petentului") and Legea 544/2001 art. 7(1) (an information request, to 30
 * days, when the requester is told within the 10). The notice is committed as an outbound message first; only then
 * is the deadline moved, recording `legalExtendedAt`. A case whose notice window has passed is refused.
 */
export async function extendLegalDeadline(ctx: AppContext, conversationId: number, agentId: number | null, input: ExtendLegalDeadlineInput): Promise<Conversation> {
  const conv = await Conversation.findByPk(conversationId);
  if (!conv) throw notFound('The case');
  const cal = await loadBusinessCalendar();
  const terms = legalTerms(conv, cal);
  if (!terms) throw conflict('This case has no legal term to extend (it is neither a petition nor a public-information request).', 'no_legal_term');
  if (terms.extended) throw conflict('The legal term of this case was already extended once; the law allows one extension.', 'already_extended');
  if (!OPEN_STATUSES.includes(conv.status)) throw conflict('The case is no longer open; reopen it before extending its term.', 'case_not_open');
  const today = bucharestDate(new Date());
  if (terms.extensionNoticeBy && today > terms.extensionNoticeBy) {
    throw conflict(`The notice had to reach the citizen by ${terms.extensionNoticeBy}; the term can no longer be extended.`, 'extension_too_late');
  }
  const termDays = terms.legalBasis === 'petition' ? 30 + (input.days ?? PETITION_MAX_EXTENSION_DAYS) : INFORMATION_EXTENDED_DAYS;

  // The notice first (OG 27/2002 art. 9: "prealabilă"): if it cannot be queued, the deadline does not move.
  const notice = await createOutboundMessage(ctx, {
    conversationId,
    agentId,
    kind: 'notification',
    subject: input.subject ?? `Prelungirea termenului de răspuns — nr. ${conv.registrationNumber}`,
    text: input.noticeText,
    metadata: { template: 'legal.extension', termDays },
  });

  return ctx.db.transaction(async (transaction) => {
    const locked = await Conversation.findByPk(conversationId, { transaction, lock: transaction.LOCK.UPDATE, rejectOnEmpty: true });
    if (locked.legalExtendedAt) throw conflict('The legal term of this case was already extended once; the law allows one extension.', 'already_extended');
    const fromDueDate = locked.legalDueDate;
    locked.legalExtendedAt = new Date();
    await locked.save({ transaction });
    const [timer] = await SlaTimer.findOrCreate({
      where: { conversationId, kind: 'legal' },
      defaults: { conversationId, kind: 'legal', policyId: null, targetMs: null, termDays, startedAt: locked.registeredAt, runningSince: locked.registeredAt, dueAt: null, warnAt: null, warnedAt: null, breachedAt: null, stoppedAt: null, outcome: null, decidedAt: null, elapsedMs: null },
      transaction,
    });
    // A new due date: a warning raised against the old internal target is raised again against the new one.
    timer.set({ termDays, warnedAt: timer.breachedAt ? timer.warnedAt : null });
    await timer.save({ transaction });
    await recomputeSla(ctx, conversationId, { transaction });
    await locked.reload({ transaction });
    const event = await ConversationEvent.create(
      {
        conversationId, type: 'legal.extended', actorType: agentId ? 'agent' : 'system', actorId: agentId, public: true,
        data: { fromDueDate, toDueDate: locked.legalDueDate, termDays, noticeMessageId: notice.id },
      },
      { transaction },
    );
    transaction.afterCommit(() => ctx.events.emit('conversation.changed', { conversationId, eventIds: [event.id] }));
    return locked;
  });
}
