import type { Language } from '../../channels/contract';
import { Op } from 'sequelize';
import { Citizen, Conversation, ConversationEvent, Message } from '../../db/models';
import { bucharestDate } from '../calendar/dates';
import type { AppContext } from '../context';
import type { DomainEvents } from '../events/bus';
import { logger } from '../log';
import { createOutboundMessage } from '../outbound/createOutboundMessage';
import { issueTrackingToken } from '../portal/trackingToken';
import { ACKNOWLEDGEMENT, SHORT_CHANNELS, formatDate } from './catalogue';

const log = logger('acknowledge');

/** At most one acknowledgement per citizen in this window: a flood of mails gets one answer, not a flood. */
export const ACK_WINDOW_MS = 60 * 60 * 1000;

/** Why no acknowledgement was sent (kept in the timeline for the audit), or 'sent'. */
export type AckOutcome = 'sent' | 'automatic' | 'already' | 'rate_limited' | 'cannot_reply' | 'no_citizen' | 'missing';

/**
 * Subscribes the acknowledgement to new cases: a case opened by a person (not automatic mail) on a channel
 * that can answer gets the `conversation.acknowledge` job, keyed `ack:${conversationId}` so it runs once.
 */
export function registerAcknowledgements(ctx: AppContext): () => void {
  return ctx.events.on('contact.ingested', async (p: DomainEvents['contact.ingested']) => {
    if (!p.conversationCreated || p.automatic) return;
    if (!ctx.adapters[p.channel]?.canReply) return;
    await enqueueAcknowledgement(ctx, p.conversationId, p.messageId);
  });
}

/**
 * Enqueues a case's acknowledgement. The job id `ack:${conversationId}` makes the subscriber's enqueue and the
 * sweep's (sweepAcknowledgements.ts) one job; the job itself re-checks that none was sent.
 */
export async function enqueueAcknowledgement(ctx: AppContext, conversationId: number, messageId: number): Promise<{ id: string; created: boolean }> {
  return ctx.jobs.enqueue('conversation.acknowledge', { conversationId, messageId }, { jobId: `ack:${conversationId}`, attempts: 5, backoffMs: 5000 });
}

/** Notes in the timeline why a case got no acknowledgement (the audit, and what tells the sweep to leave it). */
async function skipped(conversationId: number, reason: AckOutcome, data: Record<string, unknown> = {}): Promise<AckOutcome> {
  await ConversationEvent.create({ conversationId, type: 'acknowledgement.skipped', actorType: 'system', actorId: null, data: { reason, ...data }, public: false });
  return reason;
}

/**
 * The `conversation.acknowledge` job: tells the citizen their registration number, the legal deadline and
 * the tracking link, in their language, on the channel they used. Re-reads everything first; never for
 * automatic mail, never twice for a case, at most once per citizen per hour.
 */
export async function acknowledgeConversation(ctx: AppContext, conversationId: number, messageId: number): Promise<AckOutcome> {
  const conversation = await Conversation.findByPk(conversationId);
  const trigger = await Message.findByPk(messageId);
  if (!conversation || !trigger) return 'missing';
  if (trigger.automatic) return skipped(conversationId, 'automatic');
  if (!ctx.adapters[conversation.channel]?.canReply) return skipped(conversationId, 'cannot_reply');
  if (!conversation.citizenId && conversation.channel !== 'portal') return skipped(conversationId, 'no_citizen');

  const earlier = await Message.findAll({
    where: { conversationId, direction: 'outbound', automatic: true },
    attributes: ['id', 'metadata'],
  });
  if (earlier.some((m) => (m.metadata as { kind?: string }).kind === 'acknowledgement')) return 'already';

  if (conversation.citizenId) {
    const recent = await Message.findAll({
      where: { citizenId: conversation.citizenId, direction: 'outbound', automatic: true, createdAt: { [Op.gt]: new Date(Date.now() - ACK_WINDOW_MS) } },
      attributes: ['id', 'metadata', 'conversationId'],
    });
    const last = recent.find((m) => (m.metadata as { kind?: string }).kind === 'acknowledgement');
    if (last) return skipped(conversationId, 'rate_limited', { acknowledgedConversationId: last.conversationId });
  }

  const citizen = conversation.citizenId ? await Citizen.findByPk(conversation.citizenId) : null;
  // A link already given (the portal shows it on submit) stays valid: only a case without one gets a new one.
  const tracking = conversation.portalTokenHash ? null : await issueTrackingToken(ctx, conversation.id);
  const language: Language = conversation.language === 'en' ? 'en' : 'ro';
  const texts = ACKNOWLEDGEMENT[language] ?? ACKNOWLEDGEMENT.ro;
  const facts = {
    registrationNumber: conversation.registrationNumber,
    registeredOn: formatDate(bucharestDate(conversation.registeredAt)),
    legalDueDate: conversation.legalDueDate ? formatDate(conversation.legalDueDate) : null,
    legalBasis: conversation.legalBasis,
    trackingUrl: tracking?.url ?? null,
    citizenName: citizen?.name ?? null,
    institution: language === 'en' ? 'The City Hall' : 'Primăria',
  };
  const short = SHORT_CHANNELS.includes(conversation.channel);
  try {
    await createOutboundMessage(ctx, {
      conversationId,
      agentId: null,
      kind: 'acknowledgement',
      text: short ? texts.sms(facts) : texts.body(facts),
      ...(short ? {} : { subject: texts.subject(facts) }),
      metadata: { template: 'acknowledgement', language, inReplyToMessageId: messageId },
    });
  } catch (err) {
    // No address to answer on (e.g. an email whose sender could not be read): nothing to retry.
    if ((err as { code?: string }).code === 'no_reply_channel') return skipped(conversationId, 'cannot_reply', { detail: 'no_reply_channel' });
    throw err;
  }
  log.info({ conversationId }, 'acknowledgement queued');
  return 'sent';
}
