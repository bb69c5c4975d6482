import type { ChannelKind } from '../../channels/contract';
import { UniqueConstraintError } from 'sequelize';
import { CitizenIdentity, CitizenNotification, Conversation, ConversationEvent } from '../../db/models';
import type { ConversationStatus, Resolution } from '../../db/models/Conversation';
import type { AppContext } from '../context';
import { logger } from '../log';
import { createOutboundMessage } from '../outbound/createOutboundMessage';
import { currentTrackingUrl } from '../portal/trackingToken';
import type { BackgroundService } from '../services';
import { NOTIFIED_STATUSES, statusNotificationText } from './statusNotification';

const log = logger('notify');

/** Public status changes that warrant telling the citizen (not the reopening their own message caused). */
function isNotifiable(e: ConversationEvent): boolean {
  return e.public && e.type === 'conversation.status_changed' && e.data.reason !== 'citizen_replied' && NOTIFIED_STATUSES.includes(String(e.data.to) as ConversationStatus);
}

/**
 * Subscribes to committed case changes and enqueues one `citizen.notify` job per notifiable status event
 * (job id `notify:${eventId}`, so a second process or a re-emit does the work once). Agent replies need
 * nothing here: they are already outbound messages on the citizen's channel.
 */
export function subscribeCitizenNotifications(ctx: AppContext): () => void {
  return ctx.events.on('conversation.changed', async (p) => {
    if (!p.eventIds.length) return;
    const events = await ConversationEvent.findAll({ where: { id: p.eventIds, conversationId: p.conversationId } });
    for (const e of events.filter(isNotifiable)) {
      await ctx.jobs.enqueue('citizen.notify', { eventId: e.id }, { jobId: `notify:${e.id}`, attempts: 5, backoffMs: 5000 });
    }
  });
}

/** The channel that reaches the citizen: the one they wrote on when it can answer, else email, else SMS. */
async function notificationChannel(ctx: AppContext, conversation: Conversation): Promise<ChannelKind | null> {
  if (!conversation.citizenId) return null;
  const identities = await CitizenIdentity.findAll({ where: { citizenId: conversation.citizenId } });
  const has = (kind: string) => identities.some((i) => i.kind === kind);
  const candidates: ChannelKind[] = [];
  if (conversation.channel === 'email' || conversation.channel === 'sms') candidates.push(conversation.channel);
  // A caller is best reached by SMS; everyone else by email first.
  if (conversation.channel === 'voice') candidates.push('sms', 'email');
  else candidates.push('email', 'sms');
  for (const c of candidates) {
    if (!ctx.adapters[c]?.canReply) continue;
    if ((c === 'email' && has('email')) || (c === 'sms' && has('phone'))) return c;
  }
  // Portal-only citizens without an email or phone follow the case on the tracking page.
  return null;
}

/**
 * The `citizen.notify` job: re-reads the event and the case, and sends the citizen a short notification on
 * their channel through createOutboundMessage (kind `notification`). A unique claim per event makes it send
 * once however many jobs or processes race on the event; cases nobody can be told about are skipped.
 */
export async function notifyCitizen(ctx: AppContext, eventId: number): Promise<void> {
  const event = await ConversationEvent.findByPk(eventId);
  if (!event || !isNotifiable(event)) return;
  const conversation = await Conversation.findByPk(event.conversationId);
  if (!conversation) return;
  const channel = await notificationChannel(ctx, conversation);
  if (!channel) {
    log.debug({ conversationId: conversation.id, eventId }, 'no channel to notify the citizen on; the tracking page shows the change');
    return;
  }
  // The claim: the unique eventId lets exactly one of several racing jobs or processes go on.
  let claim: CitizenNotification;
  try {
    claim = await CitizenNotification.create({ eventId, messageId: null });
  } catch (err) {
    if (err instanceof UniqueConstraintError) return;
    throw err;
  }
  const { subject, text } = statusNotificationText(conversation.language, channel, conversation.registrationNumber, String(event.data.to) as ConversationStatus, (event.data.resolution as Resolution | undefined) ?? null, currentTrackingUrl(ctx, conversation));
  try {
    const message = await createOutboundMessage(ctx, { conversationId: conversation.id, agentId: null, kind: 'notification', channel, subject, text, metadata: { eventId, template: 'status' } });
    await claim.update({ messageId: message.id });
  } catch (err) {
    // Nothing was queued: give the claim back so the job's retry can send.
    await claim.destroy().catch(() => undefined);
    throw err;
  }
}

/** The notification subscriber, in every process that commits case changes. */
export const citizenNotifyService: BackgroundService = {
  name: 'citizen-notify',
  roles: ['web', 'worker'],
  async start(ctx) {
    const off = subscribeCitizenNotifications(ctx);
    return { stop: async () => off() };
  },
};
