import { Op } from 'sequelize';
import type { DeliveryUpdate } from '../../channels/contract';
import { DELIVERY_RANK, smsContact, smsKeyword, type SmsParams } from '../../channels/phone/inbound';
import { isTwilioSmsAdapter } from '../../channels/phone/smsAdapter';
import { ConversationEvent, Message, SmsOptOut } from '../../db/models';
import type { AppContext } from '../context';
import { ingestContact, type IngestResult } from '../ingest/ingestContact';
import { claimReceipt, withReceiptRetry } from './receipts';

/** What happened to an inbound SMS. */
export type SmsOutcome = { kind: 'ingested'; result: IngestResult } | { kind: 'opted_out' | 'opted_in' | 'duplicate' };

/**
 * An inbound SMS. STOP/START keywords (English and Romanian) change the number's opt-out and open no case;
 * anything else goes through ingest, deduplicated on MessageSid.
 */
export async function receiveSms(ctx: AppContext, p: SmsParams, all: Record<string, string>): Promise<SmsOutcome> {
  const keyword = smsKeyword(p.Body);
  const contact = smsContact(p, all);
  const phone = contact.from.phone;
  if (keyword && phone) {
    const changed = await withReceiptRetry(() =>
      ctx.db.transaction(async (transaction) => {
        if (!(await claimReceipt('sms.keyword', p.MessageSid, transaction))) return false;
        const existing = await SmsOptOut.findOne({ where: { phone }, transaction, lock: transaction.LOCK.UPDATE });
        if (keyword === 'stop' && !existing) await SmsOptOut.create({ phone, keyword: p.Body.trim().toUpperCase().slice(0, 32), optedOutAt: new Date() }, { transaction });
        if (keyword === 'start' && existing) await existing.destroy({ transaction });
        return true;
      }),
    );
    if (!changed) return { kind: 'duplicate' };
    return { kind: keyword === 'stop' ? 'opted_out' : 'opted_in' };
  }
  const result = await ingestContact(ctx, contact);
  return result.duplicate ? { kind: 'duplicate' } : { kind: 'ingested', result };
}

/** True when the number texted STOP and not START since. */
export async function isOptedOut(phone: string): Promise<boolean> {
  return (await SmsOptOut.count({ where: { phone } })) > 0;
}

/** Gives the Twilio SMS adapter its opt-out lookup (the adapter never reads the database itself). */
export function installOptOutCheck(ctx: AppContext): void {
  const adapter = ctx.adapters.sms;
  if (isTwilioSmsAdapter(adapter)) adapter.setOptOutCheck(isOptedOut);
}

/**
 * A delivery status callback for an outbound SMS, found by our message id (in the callback URL) or by
 * MessageSid. Deduplicated on (MessageSid, status); the status only moves forward (queued < sent < delivered;
 * failed is final with Twilio's error code), so callbacks arriving out of order never undo a later state.
 */
export async function applySmsDelivery(ctx: AppContext, update: DeliveryUpdate, messageId: number | null): Promise<'applied' | 'stale' | 'duplicate' | 'unknown'> {
  return withReceiptRetry(() =>
    ctx.db.transaction(async (transaction) => {
      const where = messageId
        ? { id: messageId, channel: 'sms', direction: 'outbound', [Op.or]: [{ externalId: null }, { externalId: update.externalId }] }
        : { channel: 'sms', direction: 'outbound', externalId: update.externalId };
      const message = await Message.findOne({ where, transaction, lock: transaction.LOCK.UPDATE });
      if (!message) return 'unknown' as const;
      if (!(await claimReceipt('sms.status', `${update.externalId}:${update.status}:${update.error ?? ''}`.slice(0, 160), transaction))) return 'duplicate' as const;
      if (!message.externalId) message.externalId = update.externalId;
      const current = DELIVERY_RANK[message.deliveryStatus ?? 'pending'] ?? 0;
      const next = DELIVERY_RANK[update.status] ?? 0;
      if (next <= current) {
        if (message.changed()) await message.save({ transaction });
        return 'stale' as const;
      }
      message.deliveryStatus = update.status;
      message.deliveryError = update.error ?? null;
      message.deliveryUpdatedAt = update.at;
      await message.save({ transaction });
      const event = await ConversationEvent.create(
        {
          conversationId: message.conversationId,
          type: update.status === 'failed' ? 'message.failed' : 'message.delivery',
          actorType: 'system',
          actorId: null,
          data: { messageId: message.id, status: update.status, ...(update.error ? { error: update.error } : {}) },
          public: false,
        },
        { transaction },
      );
      transaction.afterCommit(() => ctx.events.emit('conversation.changed', { conversationId: message.conversationId, eventIds: [event.id] }));
      return 'applied' as const;
    }),
  );
}
