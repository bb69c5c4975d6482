import { randomUUID } from 'node:crypto';
import type { Transaction } from 'sequelize';
import type { ChannelKind } from '../../channels/contract';
import { Attachment, CitizenIdentity, Conversation, ConversationEvent, Message } from '../../db/models';
import type { AppContext } from '../context';
import type { StoredBlob } from '../files/blobStore';
import { conflict, notFound } from '../errors';

export type OutboundKind = 'reply' | 'acknowledgement' | 'notification';

export interface OutboundProps {
  conversationId: number;
  /** The agent who wrote it; null for automatic messages. */
  agentId: number | null;
  kind: OutboundKind;
  text: string;
  html?: string;
  subject?: string;
  /** Defaults to the channel the citizen used, or the best channel that can reach them. */
  channel?: ChannelKind;
  attachments?: { filename: string; data: Buffer }[];
  /** Extra metadata kept on the message (e.g. the acknowledgement's template). */
  metadata?: Record<string, unknown>;
}

/** Channels to try, in order, when the case's own channel has no way back (a call, an integration). */
const FALLBACK: ChannelKind[] = ['email', 'sms', 'letter'];
const IDENTITY_FOR: Partial<Record<ChannelKind, CitizenIdentity['kind']>> = { email: 'email', sms: 'phone', voice: 'phone', letter: 'postal' };

/**
 * Writes an outbound message on a case (queued for sending) and enqueues its send job after commit. The
 * message row is the source of truth: a lost job is re-enqueued by the maintenance sweep.
 */
export async function createOutboundMessage(ctx: AppContext, props: OutboundProps): Promise<Message> {
  const blobs = await Promise.all((props.attachments ?? []).map((a) => ctx.blobs.put(a.data)));
  return ctx.db.transaction((transaction) => writeOutboundMessage(ctx, props, transaction, blobs));
}

/**
 * The same as createOutboundMessage inside the caller's transaction (a reply that also changes the status
 * commits both or neither). Attachments must already be in the blob store (`blobs`, in the order of
 * props.attachments); the send job is enqueued after the caller's commit.
 */
export async function writeOutboundMessage(
  ctx: AppContext,
  props: OutboundProps,
  transaction: Transaction,
  blobs: StoredBlob[] = [],
): Promise<Message> {
  const conversation = await Conversation.findByPk(props.conversationId, { transaction, lock: transaction.LOCK.UPDATE });
  if (!conversation) throw notFound('The conversation');
  const channel = props.channel ?? (await replyChannel(ctx, conversation, transaction));
  if (!ctx.adapters[channel]?.canReply) throw conflict(`Ghișeu cannot send on the ${channel} channel; choose another channel.`, 'channel_cannot_send');

  const now = new Date();
  const m = await Message.create(
    {
      conversationId: conversation.id,
      citizenId: conversation.citizenId,
      agentId: props.agentId,
      direction: 'outbound',
      channel,
      // Email needs its Message-ID before sending, so replies to it thread even if the send result is lost.
      externalId: channel === 'email' ? `<${randomUUID()}@${messageIdDomain(ctx)}>` : null,
      subject: props.subject ?? null,
      text: props.text,
      html: props.html ?? null,
      metadata: { kind: props.kind, ...props.metadata },
      automatic: props.kind !== 'reply',
      deliveryStatus: 'queued',
      deliveryError: null,
      deliveryUpdatedAt: now,
      receivedAt: now,
    },
    { transaction },
  );
  if (blobs.length) {
    await Attachment.bulkCreate(
      blobs.map((b, i) => ({
        messageId: m.id, sha256: b.sha256, filename: props.attachments![i]!.filename, contentType: b.contentType,
        declaredType: null, size: b.size, contentId: null,
      })),
      { transaction },
    );
  }
  if (props.kind === 'reply' && !conversation.firstRespondedAt) conversation.firstRespondedAt = now;
  conversation.lastMessageAt = now;
  await conversation.save({ transaction });
  const event = await ConversationEvent.create(
    {
      conversationId: conversation.id,
      type: 'message.queued',
      actorType: props.agentId ? 'agent' : 'system',
      actorId: props.agentId,
      data: { messageId: m.id, channel, kind: props.kind },
      public: props.kind === 'reply',
    },
    { transaction },
  );
  transaction.afterCommit(() => {
    void enqueueSend(ctx, m.id);
    ctx.events.emit('conversation.changed', { conversationId: conversation.id, eventIds: [event.id] });
  });
  return m;
}

/** Enqueues the send job of a message; the deterministic id makes a second enqueue a no-op. */
export async function enqueueSend(ctx: AppContext, messageId: number): Promise<void> {
  await ctx.jobs.enqueue('outbound.send', { messageId }, { jobId: `send:${messageId}`, attempts: 8, backoffMs: 2000 });
}

async function replyChannel(ctx: AppContext, conversation: Conversation, transaction: Transaction): Promise<ChannelKind> {
  const identities = conversation.citizenId ? await CitizenIdentity.findAll({ where: { citizenId: conversation.citizenId }, transaction }) : [];
  const reachable = (channel: ChannelKind) => {
    if (channel === 'portal') return conversation.portalTokenHash !== null || ctx.adapters.portal.canReply;
    const kind = IDENTITY_FOR[channel];
    return Boolean(kind && identities.some((i) => i.kind === kind));
  };
  if (ctx.adapters[conversation.channel]?.canReply && reachable(conversation.channel)) return conversation.channel;
  const fallback = FALLBACK.find((c) => ctx.adapters[c]?.canReply && reachable(c));
  if (!fallback) throw conflict('The citizen left no address, phone number or email we can answer on; add one to the case first.', 'no_reply_channel');
  return fallback;
}

function messageIdDomain(ctx: AppContext): string {
  const from = ctx.config.MAIL_FROM ?? '';
  const m = /@([^>\s]+)/.exec(from);
  return m ? m[1]! : new URL(ctx.config.PUBLIC_URL).hostname;
}
