import { promises as fs } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import type { AdapterDeps } from '../registry';
import { PermanentSendError, type ChannelAdapter, type OutboundMessage, type SendResult } from '../contract';

const DEFAULT_SUBJECT = { ro: 'Răspuns la solicitarea dumneavoastră', en: 'Reply to your request' } as const;

/** `[#12/2026]`: the tag that threads a citizen's answer back into its case whatever their mail program does. */
export function registrationTag(registrationNumber: string): string {
  return `[#${registrationNumber}]`;
}

/** The subject with the case's tag, added once. */
export function taggedSubject(message: Pick<OutboundMessage, 'subject' | 'registrationNumber' | 'language'>): string {
  const tag = registrationTag(message.registrationNumber);
  const subject = (message.subject ?? '').trim() || DEFAULT_SUBJECT[message.language] || DEFAULT_SUBJECT.ro;
  return subject.includes(tag) ? subject : `${subject} ${tag}`;
}

/** The sender address: MAIL_FROM, or a no-reply address on PUBLIC_URL's host when mail only goes to the outbox. */
export function mailFrom(deps: AdapterDeps): string {
  return deps.config.MAIL_FROM ?? `Ghișeu <no-reply@${new URL(deps.config.PUBLIC_URL).hostname}>`;
}

/** The nodemailer message for an outbound email: our Message-ID, In-Reply-To/References, the tag, attachments. */
export function composeEmail(message: OutboundMessage, from: string): Mail.Options {
  if (!message.to.email) throw new PermanentSendError('the citizen has no email address on this case');
  const references = message.references.filter((r) => r.startsWith('<'));
  const headers: Record<string, string> = {};
  if (message.automatic) {
    // RFC 3834: an automatic message, which auto-responders must not answer (no loops).
    headers['Auto-Submitted'] = 'auto-replied';
    headers['X-Auto-Response-Suppress'] = 'All';
  }
  return {
    from,
    to: message.to.name ? { name: message.to.name, address: message.to.email } : message.to.email,
    subject: taggedSubject(message),
    text: message.text,
    ...(message.html ? { html: message.html } : {}),
    ...(message.externalId ? { messageId: message.externalId } : {}),
    ...(references.length ? { inReplyTo: references[references.length - 1], references: references.slice(-20) } : {}),
    headers,
    attachments: message.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, path: a.path })),
  };
}

/** Decides whether an SMTP failure can be retried: 5xx answers cannot, connection trouble and 4xx can. */
export function classifySmtpError(err: unknown): Error {
  const e = err as { responseCode?: number; response?: string; code?: string; message?: string };
  if (typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600) {
    return new PermanentSendError(`the mail server refused the message (${e.responseCode})`, e.response ?? e.message);
  }
  return err instanceof Error ? err : new Error(String(e.message ?? err));
}

/**
 * The email channel's sender. With SMTP_URL: nodemailer over SMTP from MAIL_FROM. Without it: the message is
 * composed exactly as it would be sent and written as an `.eml` file to DATA_DIR/outbox/email, where
 * operators read it (GET /api/v1/admin/mail-outbox).
 */
export function emailAdapter(deps: AdapterDeps): ChannelAdapter {
  const from = mailFrom(deps);
  const smtpUrl = deps.config.SMTP_URL;
  if (!smtpUrl) return emlOutboxAdapter(deps, from);
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    kind: 'email',
    canReply: true,
    async send(message: OutboundMessage): Promise<SendResult> {
      const mail = composeEmail(message, from);
      try {
        const info = await transport.sendMail(mail);
        return { externalId: message.externalId ?? String(info.messageId), status: 'sent' };
      } catch (err) {
        throw classifySmtpError(err);
      }
    },
    async health() {
      const u = new URL(smtpUrl);
      return { ok: true, mode: 'smtp', host: u.hostname, port: u.port || (u.protocol === 'smtps:' ? '465' : '587') };
    },
  };
}

/** Where outbox `.eml` files are written. */
export function emailOutboxDir(outboxDir: string): string {
  return path.join(outboxDir, 'email');
}

function emlOutboxAdapter(deps: AdapterDeps, from: string): ChannelAdapter {
  const dir = emailOutboxDir(deps.outboxDir);
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    kind: 'email',
    canReply: true,
    async send(message: OutboundMessage): Promise<SendResult> {
      const info = await composer.sendMail(composeEmail(message, from));
      await fs.mkdir(dir, { recursive: true });
      const file = path.join(dir, `${message.messageId}.eml`);
      const tmp = `${file}.${process.pid}.tmp`;
      await fs.writeFile(tmp, info.message as Buffer);
      await fs.rename(tmp, file);
      return { externalId: message.externalId ?? String(info.messageId), status: 'sent' };
    },
    async health() {
      return { ok: true, mode: 'outbox', dir };
    },
  };
}
