import { promises as fs } from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';
import { simpleParser } from 'mailparser';
import { z } from 'zod';
import { emailOutboxDir } from '../../channels/email/sendEmail';
import { MailCursor, MailIntake, Mailbox } from '../../db/models';
import { requireRole } from '../auth/sessions';
import type { AppContext } from '../context';
import { badRequest, notFound, validationError } from '../errors';
import { registerHealthCheck } from '../http/healthz';
import { EmailIntake, retryFromQuarantine } from './intake';
import { MailboxLease } from './mailboxLease';
import { loadMailboxes, ownMessageIdDomains, storedMailboxPassword } from './mailboxes';
import { addressText, OUTBOX_FILE, readOutboxFile } from './outboxRoutes';
import { ParsePool } from './parsePool';

const ListQuery = z.object({
  status: z.enum(['quarantined', 'failing', 'ingested', 'all']).default('quarantined'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const MailboxBody = z.object({
  name: z.string().trim().min(1).max(200),
  host: z.string().trim().min(1).max(255),
  port: z.number().int().min(1).max(65535).default(993),
  secure: z.boolean().default(true),
  tlsInsecure: z.boolean().default(false),
  username: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(500),
  folder: z.string().trim().min(1).max(255).default('INBOX'),
  processedFolder: z.string().trim().min(1).max(255).nullable().default(null),
});
export type MailboxBody = z.infer<typeof MailboxBody>;

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw validationError(issue.path.join('.') || 'body', issue.message);
}

/** The quarantine row as operators see it. */
function presentIntake(row: MailIntake) {
  return {
    id: row.id, mailbox: row.mailboxKey, uidValidity: row.uidValidity, uid: row.uid, subject: row.subject, from: row.fromAddress,
    size: row.size, status: row.status, attempts: row.attempts, error: row.error, messageId: row.messageId,
    flagPending: row.flagPending, createdAt: row.createdAt, updatedAt: row.updatedAt,
  };
}

/** A mailbox as administrators see it: whether a password is set, never the password (not even encrypted). */
function presentMailbox(m: Mailbox) {
  return {
    id: m.id, name: m.name, host: m.host, port: m.port, secure: m.secure, tlsInsecure: m.tlsInsecure, username: m.username, folder: m.folder,
    processedFolder: m.processedFolder, active: m.active, passwordSet: m.password.length > 0,
  };
}

const PasswordBody = z.object({ password: z.string().min(1).max(500) });

/** An edit of a mailbox: any field but the password (PUT /mailboxes/:id/password); `active` brings one back. */
const MailboxPatch = z
  .object({
    name: z.string().trim().min(1).max(200),
    host: z.string().trim().min(1).max(255),
    port: z.number().int().min(1).max(65535),
    secure: z.boolean(),
    tlsInsecure: z.boolean(),
    username: z.string().trim().min(1).max(320),
    folder: z.string().trim().min(1).max(255),
    processedFolder: z.string().trim().min(1).max(255).nullable(),
    active: z.boolean(),
  })
  .partial()
  .strict();

/**
 * The email channel's administration under /api/v1/admin (supervisors and administrators): the quarantine
 * of mail that could not be ingested (list, read, download the raw, retry), the `.eml` outbox written when
 * no SMTP server is configured, and the mailboxes table (administrators).
 */
export function emailAdminRouter(ctx: AppContext): Router {
  const router = express.Router();
  let intake: EmailIntake | null = null;
  const getIntake = () => (intake ??= new EmailIntake(ctx, new ParsePool(1), { ownDomains: ownMessageIdDomains(ctx.config) }));

  // A database view of every mailbox for /healthz in any process (the live watcher adds its own section).
  registerHealthCheck('email', async () => {
    const specs = await loadMailboxes(ctx.config);
    const mailboxes = await Promise.all(
      specs.map(async (s) => {
        const cursor = await MailCursor.findOne({ where: { mailboxKey: s.key } });
        const quarantined = await MailIntake.count({ where: { mailboxKey: s.key, status: 'quarantined' } });
        const flagsPending = await MailIntake.count({ where: { mailboxKey: s.key, flagPending: true } });
        // Which process watches it (host:pid:…); null when no live lease: nobody is watching.
        const lease = await MailboxLease.holderOf(ctx.db.sequelize, s.key);
        return { name: s.name, lastFetchAt: cursor?.lastFetchAt ?? null, lastUid: cursor?.lastUid ?? null, quarantined, flagsPending, watchedBy: lease?.holder ?? null };
      }),
    );
    return { ok: true, mode: ctx.config.SMTP_URL ? 'smtp' : 'outbox', mailboxes };
  });

  const staff = requireRole('supervisor', 'admin');

  router.get('/mail-quarantine', staff, async (req, res) => {
    const q = parse(ListQuery, req.query);
    const rows = await MailIntake.findAll({ where: q.status === 'all' ? {} : { status: q.status }, order: [['id', 'DESC']], limit: q.limit });
    res.json({ items: rows.map(presentIntake) });
  });

  const byId = async (id: string) => {
    const n = Number(id);
    const row = Number.isInteger(n) && n > 0 ? await MailIntake.findByPk(n) : null;
    if (!row) throw notFound('The quarantined email');
    return row;
  };

  router.get('/mail-quarantine/:id', staff, async (req, res) => {
    const row = await byId(String(req.params.id));
    const raw = await ctx.blobs.get(row.rawSha256).catch(() => null);
    const head = raw ? raw.subarray(0, 64 * 1024).toString('utf8') : '';
    const end = head.search(/\r?\n\r?\n/);
    res.json({ ...presentIntake(row), headers: end >= 0 ? head.slice(0, end) : head, rawAvailable: Boolean(raw) });
  });

  router.get('/mail-quarantine/:id/raw', staff, async (req, res) => {
    const row = await byId(String(req.params.id));
    // Content-addressed and never deleted; a missing blob means the data directory lost it.
    const raw = await ctx.blobs.get(row.rawSha256).catch(() => null);
    if (!raw) throw notFound(`The stored raw message (sha256 ${row.rawSha256})`);
    res.type('message/rfc822').set('Content-Disposition', `attachment; filename="quarantine-${row.id}.eml"`).set('X-Content-Type-Options', 'nosniff').send(raw);
  });

  router.post('/mail-quarantine/:id/retry', staff, async (req, res) => {
    const row = await byId(String(req.params.id));
    if (row.status === 'ingested') throw badRequest('This email was already ingested; open its case instead.', 'already_ingested');
    const result = await retryFromQuarantine(ctx, getIntake(), row);
    res.status(result.ok ? 200 : 422).json({ ...result, item: presentIntake(row) });
  });

  const outbox = emailOutboxDir(path.join(ctx.config.DATA_DIR, 'outbox'));

  router.get('/mail-outbox', staff, async (_req, res) => {
    const names = (await fs.readdir(outbox).catch(() => [] as string[])).filter((f) => OUTBOX_FILE.test(f));
    const found = await Promise.all(
      names.map(async (file) => {
        // Regular files only: a link planted in the outbox is neither listed nor followed.
        const stat = await fs.lstat(path.join(outbox, file)).catch(() => null);
        if (!stat?.isFile()) return null;
        // The header block only, decoded (RFC 2047 encoded words: Romanian subjects and names).
        const head = await simpleParser(`${await readHead(path.join(outbox, file))}\r\n\r\n`, { skipTextToHtml: true, skipHtmlToText: true });
        return { file, messageId: Number(file.replace('.eml', '')), size: stat.size, writtenAt: stat.mtime, to: addressText(head.to), subject: head.subject ?? null, externalId: head.messageId ?? null };
      }),
    );
    const items = found.filter((i) => i !== null);
    items.sort((a, b) => b.messageId - a.messageId);
    res.json({ dir: outbox, items });
  });

  router.get('/mail-outbox/:file', staff, async (req, res) => {
    const { data, file } = await readOutboxFile(outbox, String(req.params.file));
    res.type('message/rfc822').set('Content-Disposition', `attachment; filename="outbox-${file}"`).set('X-Content-Type-Options', 'nosniff').send(data);
  });

  const admin = requireRole('admin');

  router.get('/mailboxes', admin, async (_req, res) => {
    res.json({ items: (await Mailbox.findAll({ order: [['id', 'ASC']] })).map(presentMailbox) });
  });

  router.post('/mailboxes', admin, async (req, res) => {
    const body = parse(MailboxBody, req.body);
    const m = await Mailbox.create({ ...body, password: storedMailboxPassword(body.password, ctx.config), active: true });
    res.status(201).json(presentMailbox(m));
  });

  // A new password (changed on the mail server, or one that can no longer be decrypted); watchers pick it up
  // with the table's next reload.
  router.put('/mailboxes/:id/password', admin, async (req, res) => {
    const body = parse(PasswordBody, req.body);
    const m = await Mailbox.findByPk(Number(req.params.id));
    if (!m) throw notFound('The mailbox');
    m.password = storedMailboxPassword(body.password, ctx.config);
    await m.save();
    res.json(presentMailbox(m));
  });

  // Watchers pick the change up with the table's next reload. A new user, host, port or folder is another
  // mailbox to the intake (a new cursor): it reads that folder from the start and dedupe drops what it has.
  router.patch('/mailboxes/:id', admin, async (req, res) => {
    if (req.body && typeof req.body === 'object' && 'password' in req.body) throw validationError('password', 'change the password with PUT /mailboxes/:id/password');
    const body = parse(MailboxPatch, req.body);
    const m = await Mailbox.findByPk(Number(req.params.id));
    if (!m) throw notFound('The mailbox');
    m.set(body);
    await m.save();
    res.json(presentMailbox(m));
  });

  router.delete('/mailboxes/:id', admin, async (req, res) => {
    const m = await Mailbox.findByPk(Number(req.params.id));
    if (!m) throw notFound('The mailbox');
    // Deactivated, not deleted: its cursor and quarantine keep their history.
    m.active = false;
    await m.save();
    res.json(presentMailbox(m));
  });

  return router;
}

async function readHead(file: string): Promise<string> {
  const h = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(16 * 1024);
    const { bytesRead } = await h.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead).toString('utf8');
    const end = text.search(/\r?\n\r?\n/);
    return end >= 0 ? text.slice(0, end) : text;
  } finally {
    await h.close();
  }
}
