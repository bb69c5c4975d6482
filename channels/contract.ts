import { z } from 'zod';

/** Every way a contact reaches the city hall. A new kind fails to compile until the registries handle it. */
export const CHANNEL_KINDS = ['voice', 'sms', 'email', 'portal', 'letter', 'api'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];
export const ChannelKindSchema = z.enum(CHANNEL_KINDS);

/** Internal notes live in the same timeline but belong to no external channel. */
export type MessageChannel = ChannelKind | 'internal';

export const LANGUAGES = ['ro', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export const LEGAL_BASES = ['petition', 'public_information', 'none'] as const;
export type LegalBasis = (typeof LEGAL_BASES)[number];

const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);

/** Who sent the contact, as the channel saw it. Ingest normalises phones (E.164) and emails (lower case). */
export const ContactSenderSchema = z
  .object({
    name: text(200).trim().optional(),
    email: z.string().trim().max(320).email('must be an email address').optional(),
    phone: text(40).trim().optional(),
    postalAddress: text(500).trim().optional(),
    cnp: z.string().regex(/^\d{13}$/, 'must be 13 digits').optional(),
  })
  .strict();
export type ContactSender = z.infer<typeof ContactSenderSchema>;

/** A file received with a contact; ingest stores it content-addressed before opening its transaction. */
export const InboundAttachmentSchema = z.object({
  filename: text(255).min(1),
  contentType: text(200).optional(),
  data: z.instanceof(Buffer),
  /** Inline parts (email cid: images) are shown in the body, not listed as files. */
  inline: z.boolean().optional(),
  contentId: text(255).optional(),
});
export type InboundAttachment = z.infer<typeof InboundAttachmentSchema>;

export const LocationSchema = z.object({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
  address: text(500).optional(),
});

/**
 * A contact normalised by a channel adapter: the one shape that enters the ingest pipeline.
 * `externalId` is the provider's id (Message-ID, MessageSid, CallSid, file sha256, API caller's id):
 * the same contact delivered twice carries the same externalId and yields one message.
 */
export const InboundContactSchema = z.object({
  channel: ChannelKindSchema,
  externalId: z.string().trim().min(1, 'is required').max(255, 'must be at most 255 characters'),
  receivedAt: z.coerce.date().optional(),
  from: ContactSenderSchema,
  /** Our addresses or numbers the contact was sent to. */
  to: z.array(text(320)).max(50).optional(),
  subject: text(998).optional(),
  text: text(1_000_000).default(''),
  /** Raw HTML as received; ingest sanitises it before storing. */
  html: text(5_000_000).optional(),
  /** External ids of earlier messages this one answers (email In-Reply-To + References). */
  inReplyTo: z.array(text(998)).max(100).optional(),
  categoryCode: text(64).optional(),
  departmentCode: text(64).optional(),
  language: z.enum(LANGUAGES).optional(),
  legalBasis: z.enum(LEGAL_BASES).optional(),
  priority: z.number().int().min(0).max(3).optional(),
  location: LocationSchema.optional(),
  /** Channel metadata kept on the message (headers, call duration, OCR confidence). No secrets. */
  metadata: z.record(z.string(), z.unknown()).optional(),
  /** Automatic mail (auto-replies, bounces): stored, never acknowledged, never opens a case by itself if it threads. */
  automatic: z.boolean().optional(),
  attachments: z.array(InboundAttachmentSchema).max(50).optional(),
  /**
   * Thread into this case when it is still open (a repeat call from the same number): followed through joins;
   * a closed, filed or spam case is not reopened, a new case is opened and linked to it instead.
   */
  threadConversationId: z.number().int().positive().optional(),
});
export type InboundContact = z.input<typeof InboundContactSchema>;
export type ParsedInboundContact = z.output<typeof InboundContactSchema>;

/** A message going out on a channel, built from a committed outbound Message row. */
export interface OutboundMessage {
  messageId: number;
  /** Set when the id is chosen before sending (email Message-ID), so a retry reuses it. */
  externalId?: string;
  conversationId: number;
  registrationNumber: string;
  channel: ChannelKind;
  to: { name?: string; email?: string; phone?: string; postalAddress?: string };
  subject?: string;
  text: string;
  html?: string;
  language: Language;
  /** External ids of the conversation's earlier messages, newest last (email threading). */
  references: string[];
  attachments: { filename: string; contentType: string; path: string }[];
  /** Sent by the system, not an agent (acknowledgements): email marks it Auto-Submitted so auto-responders stay quiet. */
  automatic?: boolean;
}

/** What a provider answered when it accepted an outbound message. */
export interface SendResult {
  externalId: string;
  status: 'sent' | 'queued' | 'delivered';
}

/** A delivery update parsed from a provider callback (bounce, Twilio status). */
export interface DeliveryUpdate {
  externalId: string;
  status: 'queued' | 'sent' | 'delivered' | 'failed';
  error?: string;
  at: Date;
}

/** The one interface each channel implements. Adapters only translate; they never touch the database. */
export interface ChannelAdapter {
  kind: ChannelKind;
  /** Can the city hall answer on this channel (configured, and the channel has a return path)? */
  canReply: boolean;
  /** Sends an outbound message; throws PermanentSendError for failures that retrying cannot fix. */
  send?(message: OutboundMessage): Promise<SendResult>;
  /** A short health summary for /healthz. */
  health?(): Promise<Record<string, unknown>>;
}

/** A send failure that retrying cannot fix (bad address, rejected content); the server's answer is kept. */
export class PermanentSendError extends Error {
  constructor(message: string, public readonly providerResponse?: string) {
    super(message);
    this.name = 'PermanentSendError';
  }
}
