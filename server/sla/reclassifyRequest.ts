import { z } from 'zod';
import { Conversation, ConversationEvent } from '../../db/models';
import { OPEN_STATUSES } from '../../db/models/Conversation';
import { loadBusinessCalendar } from '../calendar/calendarStore';
import { bucharestDate } from '../calendar/dates';
import type { AppContext } from '../context';
import { conflict, notFound } from '../errors';
import { createOutboundMessage } from '../outbound/createOutboundMessage';
import { legalTerms } from './legalTerms';
import { recomputeSla } from './recomputeSla';

export const LegalTriageSchema = z.object({
  action: z.enum(['reclassify_as_petition', 'forward', 'refuse']),
  /** What the citizen is told (the reasoned refusal, the competent institution, the reclassification). */
  noticeText: z.string().trim().min(20, 'write the notice to the citizen (at least 20 characters)').max(10_000),
  /** The competent institution (forwarding only). */
  institution: z.string().trim().min(2).max(300).optional(),
});
export type LegalTriageInput = z.infer<typeof LegalTriageSchema>;

/**
 * The 5-day decisions of the law, each with a notice to the citizen first: an information request reclassified as
 * a petition (HG 123/2002 art. 21, the 30-day petition term then runs), refused with reasons (Legea 544 art. 7(2)),
 * or a petition forwarded to the competent institution (OG 27/2002 art. 6^1). Done after the 5 days, it is still
 * recorded — the citizen must be told — but marked late in the timeline so the report shows it.
 */
export async function triageLegalRequest(ctx: AppContext, conversationId: number, agentId: number | null, input: LegalTriageInput): Promise<Conversation> {
  const conv = await Conversation.findByPk(conversationId);
  if (!conv) throw notFound('The case');
  const terms = legalTerms(conv, await loadBusinessCalendar());
  if (!terms) throw conflict('This case has no legal term; reclassification, refusal and forwarding apply to petitions and information requests.', 'no_legal_term');
  if (!OPEN_STATUSES.includes(conv.status)) throw conflict('The case is no longer open; reopen it first.', 'case_not_open');
  const by = input.action === 'forward' ? terms.forwardBy ?? terms.reclassifyBy : input.action === 'refuse' ? terms.refusalBy : terms.reclassifyBy;
  if (input.action !== 'forward' && terms.legalBasis !== 'public_information') {
    throw conflict('Only a public-information request can be refused or reclassified under Legea 544/2001.', 'not_information_request');
  }
  if (input.action === 'forward' && !input.institution) throw conflict('Name the institution the request is forwarded to.', 'institution_required');
  const late = by !== null && bucharestDate(new Date()) > by;

  const notice = await createOutboundMessage(ctx, {
    conversationId, agentId, kind: input.action === 'refuse' ? 'reply' : 'notification', text: input.noticeText,
    metadata: { template: `legal.${input.action}` },
  });

  return ctx.db.transaction(async (transaction) => {
    const c = await Conversation.findByPk(conversationId, { transaction, lock: transaction.LOCK.UPDATE, rejectOnEmpty: true });
    const now = new Date();
    const from = { legalBasis: c.legalBasis, status: c.status };
    if (input.action === 'reclassify_as_petition') {
      c.legalBasis = 'petition';
      c.legalExtendedAt = null;
    } else {
      c.set({ status: 'resolved', resolution: input.action === 'refuse' ? 'rejected' : 'forwarded', resolvedAt: now, answeredAt: c.answeredAt ?? now });
    }
    await c.save({ transaction });
    await recomputeSla(ctx, conversationId, { transaction, now });
    await c.reload({ transaction });
    const event = await ConversationEvent.create(
      {
        conversationId, type: `legal.${input.action === 'reclassify_as_petition' ? 'reclassified' : input.action === 'refuse' ? 'refused' : 'forwarded'}`,
        actorType: agentId ? 'agent' : 'system', actorId: agentId, public: true,
        data: { from, dueBy: by, late, noticeMessageId: notice.id, ...(input.institution ? { institution: input.institution } : {}) },
      },
      { transaction },
    );
    transaction.afterCommit(() => ctx.events.emit('conversation.changed', { conversationId, eventIds: [event.id] }));
    return c;
  });
}
