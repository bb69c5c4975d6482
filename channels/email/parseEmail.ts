import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { convert } from 'html-to-text';
import { z } from 'zod';
import type { InboundAttachment, InboundContact } from '../contract';
import { automaticReason, isDeliveryReport, parseDeliveryReport, type DeliveryReport } from './classify';
import { normaliseMessageId, parseIdList, synthesiseMessageId } from './messageId';
import { guessLanguage, normaliseRomanian } from './normalise';
import { quotedHistoryStart } from './quotedHistory';

/** What the intake needs from one raw email: the contact for ingest plus what threading and bounces use. */
export interface ParsedEmail {
  contact: InboundContact & { channel: 'email'; externalId: string };
  /** In-Reply-To and References, normalised, oldest first. */
  references: string[];
  /** Set when the message is a delivery report about a message we sent. */
  delivery: DeliveryReport | null;
  /** The Date header (or null); used to order a backlog so originals come before replies. */
  date: string | null;
}

export interface ParseOptions {
  /** Domains of our own Message-IDs (from MAIL_FROM / PUBLIC_URL): mail carrying one is ours coming back. */
  ownDomains: string[];
}

const MAX_TEXT = 1_000_000;
const MAX_HTML = 5_000_000;
const MAX_ATTACHMENTS = 50;
const Email = z.email();

/**
 * Translates one raw RFC 5322 message into an InboundContact. Pure: no database, no network. Charsets
 * (UTF-8, ISO-8859-2, Windows-1250, QP, base64) are decoded by mailparser; text comes from text/plain or,
 * failing that, from the HTML; ş/ţ with cedilla become ș/ț in the searchable text and subject.
 */
export async function parseEmail(raw: Buffer, opts: ParseOptions): Promise<ParsedEmail> {
  const mail = await simpleParser(raw, { skipTextToHtml: true, skipImageLinks: true, keepDeliveryStatus: true, maxHtmlLengthToParse: MAX_HTML });
  const headerId = normaliseMessageId(mail.messageId ?? null);
  const externalId = headerId ?? synthesiseMessageId(raw);
  const references = parseIdList(mail.references, mail.inReplyTo).filter((id) => id !== externalId);
  const auto = automaticReason(mail, raw, headerId, opts.ownDomains);
  const delivery = isDeliveryReport(mail) ? parseDeliveryReport(mail, normaliseMessageId) : null;
  if (delivery?.originalMessageId && !references.includes(delivery.originalMessageId)) references.push(delivery.originalMessageId);

  const html = typeof mail.html === 'string' && mail.html.trim() ? mail.html.slice(0, MAX_HTML) : undefined;
  let text = (mail.text ?? '').trim() ? mail.text! : html ? htmlToText(html) : '';
  if (!text.trim() && !html && !mail.attachments.length) text = rawBodyText(raw);
  text = normaliseRomanian(text.replace(/\r\n/g, '\n')).slice(0, MAX_TEXT);
  const subject = mail.subject ? normaliseRomanian(mail.subject).replace(/\s+/g, ' ').trim().slice(0, 998) : undefined;

  const sender = firstAddress(mail.from);
  const replyTo = firstAddress(mail.replyTo);
  // A bounce comes from a mail system, not a person: it creates no citizen.
  const from = delivery
    ? { name: sender?.name || 'Mail Delivery System' }
    : { ...(sender?.name ? { name: normaliseRomanian(sender.name).slice(0, 200) } : {}), ...((replyTo?.email ?? sender?.email) ? { email: (replyTo?.email ?? sender?.email)! } : {}) };

  const recipients = [...addresses(mail.to), ...addresses(mail.cc)].map((a) => a.email).filter((e): e is string => Boolean(e));
  const { attachments, skipped } = collectAttachments(mail);
  const quoteStart = quotedHistoryStart(text);

  const metadata: Record<string, unknown> = {
    messageId: externalId,
    ...(headerId ? {} : { messageIdSynthesised: true }),
    ...(mail.inReplyTo ? { inReplyTo: normaliseMessageId(mail.inReplyTo) } : {}),
    ...(references.length ? { references: references.slice(-20) } : {}),
    ...(mail.date ? { date: mail.date.toISOString() } : {}),
    ...(recipients.length ? { to: addresses(mail.to).map((a) => a.email), cc: addresses(mail.cc).map((a) => a.email) } : {}),
    ...(sender?.email && replyTo?.email && sender.email !== replyTo.email ? { sender: sender.email } : {}),
    ...(quoteStart !== null ? { quoteStart } : {}),
    ...(auto ? { automaticReason: auto } : {}),
    ...(delivery ? { deliveryReport: delivery } : {}),
    ...(skipped ? { attachmentsSkipped: skipped } : {}),
  };

  return {
    contact: {
      channel: 'email',
      externalId,
      from,
      ...(recipients.length ? { to: [...new Set(recipients)].slice(0, 50) } : {}),
      ...(subject ? { subject } : {}),
      text,
      ...(html ? { html } : {}),
      ...(references.length ? { inReplyTo: references.slice(-100) } : {}),
      language: guessLanguage(text),
      metadata,
      automatic: Boolean(auto),
      ...(attachments.length ? { attachments } : {}),
    },
    references,
    delivery,
    date: mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date.toISOString() : null,
  };
}

/** Plain text of an HTML body, for search and for agents who read text. */
export function htmlToText(html: string): string {
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true, ignoreHref: false } },
    ],
  });
}

interface Address {
  name?: string;
  email?: string;
}

function addresses(field: AddressObject | AddressObject[] | undefined): Address[] {
  if (!field) return [];
  const out: Address[] = [];
  const walk = (list: { name?: string; address?: string; group?: { name?: string; address?: string }[] }[]) => {
    for (const a of list) {
      if (a.group) walk(a.group);
      const email = a.address?.trim().toLowerCase();
      out.push({ name: a.name?.trim() || undefined, email: email && Email.safeParse(email).success ? email : undefined });
    }
  };
  for (const f of Array.isArray(field) ? field : [field]) walk(f.value);
  return out;
}

function firstAddress(field: AddressObject | AddressObject[] | undefined): Address | undefined {
  return addresses(field).find((a) => a.email || a.name);
}

const EXT: Record<string, string> = {
  'application/pdf': 'pdf', 'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'message/rfc822': 'eml', 'text/plain': 'txt',
  'text/html': 'html', 'application/zip': 'zip',
};

function collectAttachments(mail: ParsedMail): { attachments: InboundAttachment[]; skipped: number } {
  const attachments: InboundAttachment[] = [];
  let skipped = 0;
  mail.attachments.forEach((a, i) => {
    if (/^message\/(global-)?delivery-status$/i.test(a.contentType)) return;
    if (attachments.length >= MAX_ATTACHMENTS) {
      skipped++;
      return;
    }
    const ext = EXT[a.contentType.toLowerCase()] ?? 'bin';
    const name = (a.filename ?? '').replace(/[\\/\0]/g, '_').trim().slice(0, 255) || (a.contentType === 'message/rfc822' ? `mesaj-redirectionat-${i + 1}.eml` : `atasament-${i + 1}.${ext}`);
    const inline = a.contentDisposition === 'inline' && Boolean(a.cid) && a.related;
    attachments.push({
      filename: name,
      contentType: a.contentType.slice(0, 200),
      data: a.content,
      ...(inline ? { inline: true } : {}),
      ...(a.cid ? { contentId: a.cid.slice(0, 255) } : {}),
    });
  });
  return { attachments, skipped };
}

/**
 * Broken MIME (a multipart without a boundary, a part mailparser cannot read) still says something: the
 * body after the headers, as UTF-8 (Latin-2 when it is not), without MIME boundary and part-header lines.
 */
function rawBodyText(raw: Buffer): string {
  const latin = raw.toString('latin1');
  const m = /\r?\n\r?\n/.exec(latin);
  if (!m) return '';
  const body = raw.subarray(Buffer.byteLength(latin.slice(0, m.index + m[0].length), 'latin1'));
  const utf8 = new TextDecoder('utf-8', { fatal: false }).decode(body);
  const decoded = utf8.includes('\uFFFD') ? new TextDecoder('iso-8859-2').decode(body) : utf8;
  return decoded
    .split(/\r?\n/)
    .filter((line) => !/^--\S*$/.test(line.trim()) && !/^content-[a-z-]+:/i.test(line))
    .join('\n')
    .trim();
}
