import { constants, promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';
import { simpleParser, type AddressObject } from 'mailparser';
import { emailOutboxDir } from '../../channels/email/sendEmail';
import { requireRole } from '../auth/sessions';
import type { AppContext } from '../context';
import { notFound, payloadTooLarge } from '../errors';
import { sanitizeEmailHtml } from '../text/sanitize';

/** The only names the outbox holds: `<message id>.eml`, written by the `.eml` adapter of sendEmail. */
export const OUTBOX_FILE = /^[1-9]\d{0,15}\.eml$/;
/** Larger files are offered for download only (the outbox keeps what SMTP would have sent, attachments too). */
const MAX_VIEW_BYTES = 30 * 1024 * 1024;
/** Headers worth showing first; the full list follows them. */
const MAIN_HEADERS = ['from', 'to', 'cc', 'subject', 'date', 'message-id', 'in-reply-to', 'references', 'auto-submitted'];

/**
 * The outbox file `name` as a path inside `dir`, or a 404: the name must match OUTBOX_FILE (no separators, no
 * dots but the extension's), and the resolved path must still sit directly in the outbox directory.
 */
export function outboxFilePath(dir: string, name: string): string {
  const full = OUTBOX_FILE.test(name) ? path.resolve(dir, name) : null;
  if (!full || path.dirname(full) !== path.resolve(dir)) throw notFound('The outbox file (named <number>.eml)');
  return full;
}

/**
 * Reads one outbox file: a regular file in the outbox itself (a symbolic link there is not followed), at most
 * `maxBytes`; 404 when there is none, 413 when it is larger.
 */
export async function readOutboxFile(dir: string, name: string, maxBytes = Number.MAX_SAFE_INTEGER): Promise<{ data: Buffer; stat: Stats; file: string }> {
  const file = outboxFilePath(dir, name);
  const handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
  if (!handle) throw notFound('The outbox file');
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw notFound('The outbox file');
    if (stat.size > maxBytes) throw payloadTooLarge(`${Math.round(maxBytes / 1024 / 1024)} MB shown in the console; download the file instead`);
    return { data: await handle.readFile(), stat, file: path.basename(file) };
  } finally {
    await handle.close();
  }
}

/** Addresses as written for a reader: `Name <address>`, decoded, without the quotes mailparser adds. */
export const addressText = (a: AddressObject | AddressObject[] | undefined): string | null =>
  a ? (Array.isArray(a) ? a : [a]).flatMap((x) => x.value).map((v) => (v.name ? `${v.name} <${v.address ?? ''}>` : (v.address ?? ''))).join(', ') || null : null;

/**
 * Reading the `.eml` outbox (written when SMTP_URL is unset) under /api/v1/admin, for supervisors and
 * administrators like the rest of the outbox: one file parsed for display (headers, the text part, the HTML
 * sanitised for a sandboxed frame, attachment names). The listing and the raw file are in adminRoutes.ts.
 */
export function emailOutboxRouter(ctx: AppContext): Router {
  const router = express.Router();
  const outbox = emailOutboxDir(path.join(ctx.config.DATA_DIR, 'outbox'));
  const staff = requireRole('supervisor', 'admin');

  router.get('/mail-outbox/:file/view', staff, async (req, res) => {
    const { data: raw, stat, file } = await readOutboxFile(outbox, String(req.params.file), MAX_VIEW_BYTES);
    const mail = await simpleParser(raw, { skipTextToHtml: true, skipImageLinks: true, maxHtmlLengthToParse: 5_000_000 });
    const lines = mail.headerLines.map((h) => {
      const i = h.line.indexOf(':');
      return { name: i > 0 ? h.line.slice(0, i) : h.key, value: (i > 0 ? h.line.slice(i + 1) : h.line).replace(/\r?\n[ \t]+/g, ' ').trim() };
    });
    const rank = (n: string) => {
      const i = MAIN_HEADERS.indexOf(n.toLowerCase());
      return i < 0 ? MAIN_HEADERS.length : i;
    };
    lines.sort((a, b) => rank(a.name) - rank(b.name));
    res.json({
      file,
      size: stat.size,
      writtenAt: stat.mtime,
      from: addressText(mail.from),
      to: addressText(mail.to),
      cc: addressText(mail.cc),
      subject: mail.subject ?? null,
      date: mail.date ?? null,
      messageId: mail.messageId ?? null,
      headers: lines,
      text: mail.text ?? null,
      html: typeof mail.html === 'string' && mail.html.trim() ? sanitizeEmailHtml(mail.html) : null,
      attachments: mail.attachments.map((a) => ({ filename: a.filename ?? null, contentType: a.contentType, size: a.size })),
    });
  });

  return router;
}
