import { z } from 'zod';
import type { DeliveryUpdate, InboundContact } from '../contract';

/**
 * Translation of Twilio's webhook form posts (application/x-www-form-urlencoded, PascalCase fields) into
 * Ghișeu's shapes. Only translation: no business rules, no database.
 */

const sid = (prefix: string) => z.string().regex(new RegExp(`^${prefix}[0-9a-fA-F]{32}$`), `expected ${prefix} followed by 32 hex digits`);

/** Fields Twilio sends on every voice request (the first webhook, Gather actions, status callbacks). */
export const VoiceParamsSchema = z.object({
  CallSid: sid('CA'),
  AccountSid: sid('AC'),
  From: z.string().max(64).default(''),
  To: z.string().max(64).default(''),
  CallStatus: z.string().max(32).default(''),
  Direction: z.string().max(32).optional(),
  CallerName: z.string().max(200).optional(),
  Digits: z.string().max(32).optional(),
  SpeechResult: z.string().max(2000).optional(),
  Confidence: z.string().max(32).optional(),
  CallDuration: z.string().regex(/^\d+$/).optional(),
  SequenceNumber: z.string().regex(/^\d+$/).optional(),
  Timestamp: z.string().max(64).optional(),
  QueueSid: sid('QU').optional(),
  QueuePosition: z.string().regex(/^\d+$/).optional(),
  QueueTime: z.string().regex(/^\d+$/).optional(),
  AvgQueueTime: z.string().regex(/^\d+$/).optional(),
  CurrentQueueSize: z.string().regex(/^\d+$/).optional(),
});
export type VoiceParams = z.infer<typeof VoiceParamsSchema>;

export const RecordingParamsSchema = z.object({
  CallSid: sid('CA'),
  AccountSid: sid('AC'),
  RecordingSid: sid('RE'),
  RecordingUrl: z.string().url(),
  RecordingStatus: z.string().max(32).default('completed'),
  RecordingDuration: z.string().regex(/^-?\d+$/).optional(),
});
export type RecordingParams = z.infer<typeof RecordingParamsSchema>;

export const TranscriptionParamsSchema = z.object({
  CallSid: sid('CA'),
  AccountSid: sid('AC'),
  TranscriptionSid: sid('TR'),
  TranscriptionText: z.string().max(20_000).default(''),
  TranscriptionStatus: z.string().max(32),
  RecordingSid: sid('RE').optional(),
  RecordingUrl: z.string().url().optional(),
});
export type TranscriptionParams = z.infer<typeof TranscriptionParamsSchema>;

export const SmsParamsSchema = z.object({
  MessageSid: z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/, 'expected SM or MM followed by 32 hex digits'),
  AccountSid: sid('AC'),
  From: z.string().min(1).max(64),
  To: z.string().max(64).default(''),
  Body: z.string().max(20_000).default(''),
  NumMedia: z.string().regex(/^\d+$/).default('0'),
  NumSegments: z.string().regex(/^\d+$/).optional(),
  OptOutType: z.string().max(32).optional(),
});
export type SmsParams = z.infer<typeof SmsParamsSchema>;

export const SmsStatusParamsSchema = z.object({
  MessageSid: z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/),
  AccountSid: sid('AC'),
  MessageStatus: z.string().max(32),
  ErrorCode: z.string().max(16).optional(),
  ErrorMessage: z.string().max(500).optional(),
});
export type SmsStatusParams = z.infer<typeof SmsStatusParamsSchema>;

/** The caller's number in E.164, or undefined for withheld, anonymous or softphone (client:) callers. */
export function callerNumber(from: string): string | undefined {
  return /^\+[1-9]\d{6,14}$/.test(from) ? from : undefined;
}

/** The first webhook of an inbound call as an InboundContact: a message of kind call, keyed by CallSid. */
export function voiceCallContact(p: VoiceParams, receivedAt = new Date()): InboundContact {
  const phone = callerNumber(p.From);
  return {
    channel: 'voice',
    externalId: p.CallSid,
    receivedAt,
    from: phone ? { phone } : {},
    to: p.To ? [p.To] : undefined,
    text: '',
    metadata: {
      kind: 'call',
      direction: p.Direction ?? 'inbound',
      status: p.CallStatus || 'ringing',
      statusHistory: [{ status: p.CallStatus || 'ringing', at: receivedAt.toISOString() }],
      withheldNumber: !phone,
    },
  };
}

/** An inbound SMS as an InboundContact keyed by MessageSid; media are listed by URL (Twilio keeps them). */
export function smsContact(p: SmsParams, all: Record<string, string>, receivedAt = new Date()): InboundContact {
  const media: { url: string; contentType?: string }[] = [];
  for (let i = 0; i < Math.min(Number(p.NumMedia), 10); i++) {
    const url = all[`MediaUrl${i}`];
    if (url) media.push({ url, contentType: all[`MediaContentType${i}`] });
  }
  const phone = callerNumber(p.From);
  return {
    channel: 'sms',
    externalId: p.MessageSid,
    receivedAt,
    from: phone ? { phone } : {},
    to: p.To ? [p.To] : undefined,
    text: p.Body,
    metadata: { kind: 'sms', segments: p.NumSegments ? Number(p.NumSegments) : undefined, media },
  };
}

/** Keywords (English, as Twilio's carriers honour them, and Romanian) that unsubscribe or resubscribe a number. */
const STOP_WORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE', 'DEZABONARE', 'DEZABONEAZA', 'DEZABONEAZĂ']);
const START_WORDS = new Set(['START', 'UNSTOP', 'YES', 'SUBSCRIBE', 'ABONARE', 'DA']);

/** Whether an inbound SMS is an opt-out or opt-in keyword (the whole message, any case, trimmed). */
export function smsKeyword(body: string): 'stop' | 'start' | null {
  const word = body.trim().replace(/[.!]+$/, '').toUpperCase();
  if (STOP_WORDS.has(word)) return 'stop';
  if (START_WORDS.has(word)) return 'start';
  return null;
}

/** Twilio's message statuses mapped to Ghișeu's delivery statuses (accepted…sending are still queued). */
const SMS_STATUS: Record<string, DeliveryUpdate['status']> = {
  accepted: 'queued', scheduled: 'queued', queued: 'queued', sending: 'queued',
  sent: 'sent', delivered: 'delivered', read: 'delivered',
  failed: 'failed', undelivered: 'failed', canceled: 'failed',
};

/** A status callback as a DeliveryUpdate, or null for a status Ghișeu does not track (e.g. receiving). */
export function smsDeliveryUpdate(p: SmsStatusParams, at = new Date()): DeliveryUpdate | null {
  const status = SMS_STATUS[p.MessageStatus];
  if (!status) return null;
  const error = status === 'failed' ? `${p.MessageStatus}${p.ErrorCode ? ` (Twilio error ${p.ErrorCode})` : ''}${p.ErrorMessage ? `: ${p.ErrorMessage}` : ''}` : undefined;
  return { externalId: p.MessageSid, status, ...(error ? { error } : {}), at };
}

/** Delivery statuses in the order they may advance; failed is final like delivered. */
export const DELIVERY_RANK: Record<string, number> = { pending: 0, queued: 1, sent: 2, delivered: 3, failed: 3 };

/** Call statuses in the order Twilio reports them; the terminal ones share the last rank. */
export const CALL_STATUS_RANK: Record<string, number> = {
  queued: 1, initiated: 1, ringing: 2, 'in-progress': 3, completed: 4, busy: 4, failed: 4, 'no-answer': 4, canceled: 4,
};
