import { Op } from 'sequelize';
import { PermanentSendError, type OutboundMessage } from '../../channels/contract';
import { Attachment, Citizen, CitizenIdentity, Conversation, ConversationEvent, Message } from '../../db/models';
import type { DeliveryStatus } from '../../db/models/Message';
import type { AppContext } from '../context';
import type { JobInfo } from '../jobs/types';
import { UnrecoverableJobError } from '../jobs/types';
import { logger } from '../log';
import { enqueueSend } from './createOutboundMessage';

const log = logger('outbound');

/**
 * The `outbound.send` job: re-reads the message, sends it through its channel's adapter, records the
 * provider's id and status. A message already sent is not sent again; a permanent failure is kept on the
 * message with the provider's answer; temporary failures retry with backoff, and the last one is recorded.
 */
export async function sendOutbound(ctx: AppContext, messageId: number, job: Pick<JobInfo, 'attempt' | 'maxAttempts'>): Promise<void> {
  const message = await Message.findByPk(messageId, { include: [{ model: Attachment, as: 'attachments' }] });
  if (!message || message.direction !== 'outbound') throw new UnrecoverableJobError(`outbound message ${messageId} does not exist`);
  if (message.deliveryStatus !== 'queued' && message.deliveryStatus !== 'pending') return;
  const adapter = ctx.adapters[message.channel as keyof typeof ctx.adapters];
  try {
    if (!adapter?.send) throw new PermanentSendError(`no sender for the ${message.channel} channel`);
    const outbound = await buildOutbound(ctx, message);
    const result = await adapter.send(outbound);
    await recordDelivery(ctx, message.id, result.status, null, result.externalId);
  } catch (err) {
    const permanent = err instanceof PermanentSendError;
    const reason = permanent ? (err.providerResponse ?? err.message) : (err as Error).message;
    if (permanent || job.attempt >= job.maxAttempts) {
      await recordDelivery(ctx, message.id, 'failed', permanent ? reason : `gave up after ${job.attempt} attempts: ${reason}`);
      throw new UnrecoverableJobError(reason);
    }
    log.warn({ messageId, attempt: job.attempt, err: (err as Error).message }, 'send failed, will retry');
    throw err;
  }
}

/** Applies a delivery status to an outbound message, writes the timeline event and tells realtime. */
export async function recordDelivery(ctx: AppContext, messageId: number, status: DeliveryStatus, error: string | null, externalId?: string): Promise<void> {
  await ctx.db.transaction(async (transaction) => {
    const m = await Message.findByPk(messageId, { transaction, lock: transaction.LOCK.UPDATE });
    if (!m) return;
    // The provider's status callback for this very send may have been applied first (SMS delivered before the
    // send result is recorded): never move such a message backwards.
    const rank: Record<DeliveryStatus, number> = { pending: 0, queued: 1, sent: 2, delivered: 3, failed: 3 };
    if (externalId && m.externalId === externalId && m.deliveryStatus && rank[m.deliveryStatus] >= rank[status]) return;
    m.deliveryStatus = status;
    m.deliveryError = error;
    m.deliveryUpdatedAt = new Date();
    if (externalId && !m.externalId) m.externalId = externalId;
    await m.save({ transaction });
    const event = await ConversationEvent.create(
      { conversationId: m.conversationId, type: status === 'failed' ? 'message.failed' : 'message.delivery', actorType: 'system', actorId: null, data: { messageId, status, ...(error ? { error } : {}) }, public: false },
      { transaction },
    );
    transaction.afterCommit(() => ctx.events.emit('conversation.changed', { conversationId: m.conversationId, eventIds: [event.id] }));
  });
}

async function buildOutbound(ctx: AppContext, message: Message): Promise<OutboundMessage> {
  const conversation = await Conversation.findByPk(message.conversationId, { rejectOnEmpty: true });
  const citizen = conversation.citizenId ? await Citizen.findByPk(conversation.citizenId) : null;
  const identities = citizen ? await CitizenIdentity.findAll({ where: { citizenId: citizen.id }, order: [['id', 'DESC']] }) : [];
  const pick = (kind: string) => identities.find((i) => i.kind === kind)?.value;
  const earlier = await Message.findAll({
    where: { conversationId: conversation.id, externalId: { [Op.ne]: null }, channel: message.channel, id: { [Op.lt]: message.id } },
    attributes: ['externalId'],
    order: [['id', 'ASC']],
  });
  const attachments = ((message as unknown as { attachments?: Attachment[] }).attachments ?? []).map((a) => ({
    filename: a.filename,
    contentType: a.contentType,
    path: ctx.blobs.pathFor(a.sha256),
  }));
  const lastInbound = await Message.findOne({ where: { conversationId: conversation.id, direction: 'inbound' }, order: [['id', 'DESC']] });
  const meta = (lastInbound?.metadata ?? {}) as { postalAddress?: string };
  return {
    messageId: message.id,
    conversationId: conversation.id,
    registrationNumber: conversation.registrationNumber,
    channel: message.channel as OutboundMessage['channel'],
    to: { name: citizen?.name ?? undefined, email: pick('email'), phone: pick('phone'), postalAddress: meta.postalAddress },
    subject: message.subject ?? conversation.subject ?? undefined,
    text: message.text,
    html: message.html ?? undefined,
    language: conversation.language,
    references: earlier.map((m) => m.externalId!).slice(-20),
    attachments,
    automatic: message.automatic,
    ...(message.externalId ? { externalId: message.externalId } : {}),
  } as OutboundMessage;
}

/** Re-enqueues sends whose job was lost (a crash between commit and enqueue, a wiped Redis). */
export async function requeueStuckOutbound(ctx: AppContext, olderThanMs = 60_000): Promise<number> {
  const stuck = await Message.findAll({
    where: { direction: 'outbound', deliveryStatus: 'queued', deliveryUpdatedAt: { [Op.lt]: new Date(Date.now() - olderThanMs) } },
    attributes: ['id'],
    limit: 500,
  });
  for (const m of stuck) await enqueueSend(ctx, m.id);
  return stuck.length;
}
