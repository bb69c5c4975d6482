import type { ParsedMail } from 'mailparser';

/** Why a message counts as automatic (stored, never acknowledged), or null for a person's mail. */
export type AutomaticReason =
  | 'auto-submitted'
  | 'auto-response-suppress'
  | 'precedence'
  | 'list'
  | 'x-loop'
  | 'own-message-id'
  | 'delivery-report'
  | 'null-sender'
  | 'autoreply-header'
  | 'autoreply-subject';

const AUTOREPLY_SUBJECT = /^\s*(auto(matic)?\s*(reply|response)|out of (the )?office|răspuns automat|raspuns automat|absent|concediu|autoreply|auto:)/i;

/**
 * RFC 3834 and the headers mail systems really use to say "a machine wrote this": Auto-Submitted,
 * X-Auto-Response-Suppress, Precedence bulk|junk|list, List-Id, X-Loop, a null sender, delivery reports, and
 * Message-IDs minted by us. Answering any of them risks a mail loop.
 */
export function automaticReason(mail: ParsedMail, raw: Buffer, messageId: string | null, ownDomains: string[]): AutomaticReason | null {
  const h = mail.headers;
  const header = (name: string): string => {
    const v = h.get(name);
    if (v === undefined || v === null) return '';
    if (typeof v === 'string') return v;
    if (typeof v === 'object' && 'value' in (v as object)) return String((v as { value: unknown }).value);
    return String(v);
  };
  if (isDeliveryReport(mail)) return 'delivery-report';
  const autoSubmitted = header('auto-submitted').trim().toLowerCase();
  if (autoSubmitted && autoSubmitted !== 'no') return 'auto-submitted';
  if (h.has('x-auto-response-suppress')) return 'auto-response-suppress';
  if (/^(bulk|junk|list)$/i.test(header('precedence').trim())) return 'precedence';
  if (h.has('list-id')) return 'list';
  if (h.has('x-loop')) return 'x-loop';
  if (messageId && isOwnMessageId(messageId, ownDomains)) return 'own-message-id';
  if (/^<\s*>$/.test(rawHeader(raw, 'return-path') ?? '')) return 'null-sender';
  if (h.has('x-autoreply') || h.has('x-autorespond') || h.has('x-autoresponse')) return 'autoreply-header';
  if (AUTOREPLY_SUBJECT.test(mail.subject ?? '')) return 'autoreply-subject';
  return null;
}

/** A delivery status notification (RFC 3464): multipart/report; report-type=delivery-status. */
export function isDeliveryReport(mail: ParsedMail): boolean {
  const ct = mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  if (ct?.value?.toLowerCase() === 'multipart/report' && /delivery-status/i.test(ct.params?.['report-type'] ?? '')) return true;
  return mail.attachments.some((a) => /^message\/(global-)?delivery-status$/i.test(a.contentType));
}

/** The first value of a header, read from the raw bytes (mailparser drops empty Return-Path values). */
function rawHeader(raw: Buffer, name: string): string | null {
  const head = raw.subarray(0, 64 * 1024).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const block = end >= 0 ? head.slice(0, end) : head;
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(block);
  return m ? m[1]!.trim() : null;
}

/** What a delivery report says about one message we sent. */
export interface DeliveryReport {
  /** The Message-ID of our message it is about, normalised. */
  originalMessageId: string | null;
  status: 'failed' | 'delivered' | 'delayed';
  /** The receiving server's answer (Diagnostic-Code, Status), for the agent. */
  reason: string;
  recipient?: string;
}

/** Reads a DSN's machine part and the headers of the returned message. */
export function parseDeliveryReport(mail: ParsedMail, normalise: (id: string) => string | null): DeliveryReport | null {
  const statusPart = mail.attachments.find((a) => /^message\/(global-)?delivery-status$/i.test(a.contentType));
  const returned = mail.attachments.find((a) => /^(message\/rfc822|text\/rfc822-headers|message\/global|message\/global-headers)$/i.test(a.contentType));
  const statusText = statusPart ? statusPart.content.toString('utf8').replace(/\r?\n[ \t]+/g, ' ') : '';
  const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'im').exec(statusText)?.[1]?.trim();
  const action = (field('Action') ?? '').toLowerCase();
  const code = field('Status') ?? '';
  const diagnostic = field('Diagnostic-Code')?.replace(/^smtp;\s*/i, '') ?? '';
  const recipient = field('Final-Recipient')?.replace(/^rfc822;\s*/i, '');
  let originalMessageId: string | null = null;
  if (returned) {
    const m = /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(returned.content.toString('utf8').replace(/\r?\n[ \t]+/g, ' '));
    if (m) originalMessageId = normalise(m[1]!);
  }
  if (!originalMessageId) {
    const refs = mail.inReplyTo ?? (Array.isArray(mail.references) ? mail.references[0] : mail.references);
    if (refs) originalMessageId = normalise(refs);
  }
  const status: DeliveryReport['status'] = action === 'delivered' || action === 'relayed' || action === 'expanded' ? 'delivered' : action === 'delayed' ? 'delayed' : 'failed';
  const reason = [diagnostic, code && !diagnostic.includes(code) ? `(${code})` : ''].filter(Boolean).join(' ') || (mail.text ?? '').slice(0, 500).trim() || 'delivery failed';
  return { originalMessageId, status, reason: reason.slice(0, 2000), ...(recipient ? { recipient } : {}) };
}

/** Our outbound Message-IDs are `<uuid@our-domain>` (createOutboundMessage); staff mail on the same domain is not. */
export function isOwnMessageId(messageId: string, ownDomains: string[]): boolean {
  const m = /^<[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}@([^>]+)>$/.exec(messageId);
  return Boolean(m && ownDomains.some((d) => d.toLowerCase() === m[1]!.toLowerCase()));
}
