/**
 * bench/email: messages per second from a mailbox of 2,000 mixed messages into the database, on SQLite and
 * MariaDB, with the time spent storing raw mail, parsing and writing; and the share of replies threaded into
 * the right case when the backlog arrives shuffled.
 *
 *   source <test services env> && npx tsx bench/email.ts [--count 2000] [--dialect sqlite|mariadb|both]
 *
 * Needs the test services (Dovecot for the mailbox, MariaDB for the second run): scripts/test-services.sh.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ImapFlow } from 'imapflow';
import { Op, Sequelize } from 'sequelize';
import { Conversation, Message } from '../db/models';
import { closeContext, createContext } from '../server/boot';
import { loadConfig } from '../server/config';
import { startEmailIntake } from '../server/email/emailIntakeService';
import type { MailboxSpec } from '../server/email/mailboxes';
import { configureLogger } from '../server/log';

const { values } = parseArgs({ options: { count: { type: 'string', default: '2000' }, dialect: { type: 'string', default: 'both' } } });
const COUNT = Number(values.count);
const env = process.env;
const imap = { host: env.TEST_IMAP_HOST ?? '127.0.0.1', port: Number(env.TEST_IMAP_PORT ?? 143), user: env.TEST_IMAP_USER ?? '', pass: env.TEST_IMAP_PASS ?? '' };

interface Generated {
  raws: Buffer[];
  /** Per thread: the Message-IDs, root first; automatic replies included. */
  threads: string[][];
}

const CRLF = '\r\n';
const at = (min: number) => new Date(Date.UTC(2026, 10, 2, 8, 0) + min * 60_000).toUTCString().replace('GMT', '+0000');
const b64word = (s: string) => `=?UTF-8?B?${Buffer.from(s).toString('base64')}?=`;

function message(o: { id: string; from: string; subject: string; text: string; minute: number; refs: string[]; kind: 'plain' | 'html' | 'latin2' | 'attachment' | 'ooo' }): Buffer {
  const head = [
    `From: ${b64word('Cetățean Test')} <${o.from}>`,
    'To: registratura@primarie.test',
    `Subject: ${b64word(o.subject)}`,
    `Date: ${at(o.minute)}`,
    `Message-ID: ${o.id}`,
    ...(o.refs.length ? [`In-Reply-To: ${o.refs[o.refs.length - 1]}`, `References: ${o.refs.join(' ')}`] : []),
    ...(o.kind === 'ooo' ? ['Auto-Submitted: auto-replied'] : []),
    'MIME-Version: 1.0',
  ];
  if (o.kind === 'html') {
    const b = `b-${randomUUID()}`;
    return Buffer.from([...head, `Content-Type: multipart/alternative; boundary="${b}"`, '', `--${b}`, 'Content-Type: text/plain; charset=UTF-8', '', o.text, `--${b}`, 'Content-Type: text/html; charset=UTF-8', '', `<p>${o.text}</p><blockquote>istoric</blockquote>`, `--${b}--`, ''].join(CRLF));
  }
  if (o.kind === 'latin2') {
    const qp = o.text.replace(/ș/g, '=BA').replace(/ț/g, '=FE').replace(/ă/g, '=E3').replace(/î/g, '=EE').replace(/â/g, '=E2');
    return Buffer.from([...head, 'Content-Type: text/plain; charset=ISO-8859-2', 'Content-Transfer-Encoding: quoted-printable', '', qp, ''].join(CRLF), 'latin1');
  }
  if (o.kind === 'attachment') {
    const b = `b-${randomUUID()}`;
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(30_000)]);
    return Buffer.from([...head, `Content-Type: multipart/mixed; boundary="${b}"`, '', `--${b}`, 'Content-Type: text/plain; charset=UTF-8', '', o.text, `--${b}`, 'Content-Type: image/jpeg; name="poza.jpg"', 'Content-Disposition: attachment; filename="poza.jpg"', 'Content-Transfer-Encoding: base64', '', jpeg.toString('base64').replace(/.{76}/g, `$&${CRLF}`), `--${b}--`, ''].join(CRLF));
  }
  return Buffer.from([...head, 'Content-Type: text/plain; charset=UTF-8', '', o.text, ''].join(CRLF));
}

/** Threads of 1–6 messages (replies carry References), some HTML, ISO-8859-2, photos and out-of-office replies. */
function generate(count: number): Generated {
  const raws: Buffer[] = [];
  const threads: string[][] = [];
  let minute = 0;
  const kinds = ['plain', 'plain', 'plain', 'html', 'latin2', 'attachment'] as const;
  while (raws.length < count) {
    const from = `cetatean${threads.length % 400}@exemplu.ro`;
    const size = Math.min(count - raws.length, [1, 1, 1, 2, 2, 3, 4, 5, 6][Math.floor(Math.random() * 9)]!);
    const ids: string[] = [];
    const subject = `Sesizare ${threads.length}: iluminat public pe strada Mureșului`;
    for (let i = 0; i < size; i++) {
      const id = `<${randomUUID()}@exemplu.ro>`;
      const ooo = i > 0 && Math.random() < 0.1;
      raws.push(
        message({
          id, from: ooo ? `absent${threads.length}@exemplu.ro` : from,
          subject: ooo ? `Automatic reply: ${subject}` : i ? `Re: ${subject}` : subject,
          text: i ? `Revin cu detalii (${i}). Vă mulțumesc.\n\n> mesaj anterior` : 'Bună ziua, stâlpul de iluminat din fața blocului nu funcționează de o săptămână.',
          minute: (minute += 1 + Math.floor(Math.random() * 30)), refs: ids.slice(), kind: ooo ? 'ooo' : kinds[Math.floor(Math.random() * kinds.length)]!,
        }),
      );
      ids.push(id);
    }
    threads.push(ids);
  }
  return { raws, threads };
}

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

async function fillMailbox(folder: string, raws: Buffer[]): Promise<void> {
  const c = new ImapFlow({ host: imap.host, port: imap.port, secure: false, auth: { user: imap.user, pass: imap.pass }, logger: false, tls: { rejectUnauthorized: false } });
  await c.connect();
  await c.mailboxCreate(folder);
  for (const raw of raws) await c.append(folder, raw);
  await c.logout();
}

async function databaseUrl(dialect: 'sqlite' | 'mariadb', dataDir: string): Promise<{ url: string; drop(): Promise<void> }> {
  if (dialect === 'sqlite') return { url: `sqlite:${path.join(dataDir, 'bench.sqlite')}`, drop: async () => {} };
  const base = new URL(env.TEST_MARIADB_URL ?? env.BENCH_MARIADB_URL ?? '');
  const name = `bench_${randomBytes(4).toString('hex')}`;
  const admin = new Sequelize(base.toString().replace(/\/[^/]*$/, '/'), { logging: false, dialect: 'mysql' });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  base.pathname = `/${name}`;
  return { url: base.toString(), drop: async () => void (await admin.query(`DROP DATABASE IF EXISTS \`${name}\``), await admin.close()) };
}

async function run(dialect: 'sqlite' | 'mariadb', gen: Generated, arrival: Buffer[]) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ghiseu-bench-'));
  const db = await databaseUrl(dialect, dataDir);
  const ctx = await createContext(loadConfig({ DATA_DIR: dataDir, DATABASE_URL: db.url, LOG_LEVEL: 'silent', MAIL_FROM: 'Primăria <registratura@primarie.test>' }));
  const folder = `Bench-${dialect}-${randomUUID().slice(0, 6)}`;
  await fillMailbox(folder, arrival);
  const spec: MailboxSpec = { key: `${imap.user}@${imap.host}:${imap.port}/${folder}`, name: folder, host: imap.host, port: imap.port, secure: false, tlsInsecure: true, user: imap.user, pass: imap.pass, folder, processedFolder: null, source: 'env' };

  const started = Date.now();
  const running = await startEmailIntake(ctx, { mailboxes: [spec], pollMs: 1000 });
  for (;;) {
    if ((await Message.count({ where: { channel: 'email' } })) >= arrival.length) break;
    if (Date.now() - started > 30 * 60_000) throw new Error('gave up after 30 minutes');
    await new Promise((r) => setTimeout(r, 100));
  }
  const elapsedMs = Date.now() - started;
  const stats = { ...running.intake.stats };
  await running.stop();

  // Threading: every message of a thread in the root's case, and no two threads sharing a case.
  const rows = await Message.findAll({ where: { channel: 'email', direction: 'inbound' }, attributes: ['externalId', 'conversationId'] });
  const caseOf = new Map(rows.map((r) => [r.externalId!, r.conversationId]));
  let replies = 0;
  let right = 0;
  const rootCases = new Map<number, number>();
  for (const ids of gen.threads) {
    const root = caseOf.get(ids[0]!)!;
    rootCases.set(root, (rootCases.get(root) ?? 0) + 1);
    for (const id of ids.slice(1)) {
      replies++;
      if (caseOf.get(id) === root) right++;
    }
  }
  const merged = [...rootCases.values()].filter((n) => n > 1).length;
  const cases = await Conversation.count();
  const duplicates = arrival.length - new Set(rows.map((r) => r.externalId)).size;
  const automatic = await Message.count({ where: { channel: 'email', automatic: true, direction: { [Op.eq]: 'inbound' } } });
  await closeContext(ctx);
  await db.drop();
  rmSync(dataDir, { recursive: true, force: true });
  return { dialect, messages: arrival.length, elapsedMs, perSecond: arrival.length / (elapsedMs / 1000), stats, replies, right, merged, cases, threads: gen.threads.length, duplicates, automatic };
}

async function main() {
  configureLogger('silent');
  const dialects = values.dialect === 'both' ? (['sqlite', 'mariadb'] as const) : [values.dialect as 'sqlite' | 'mariadb'];
  const gen = generate(COUNT);
  const arrival = shuffle(gen.raws.slice());
  const bytes = arrival.reduce((n, r) => n + r.length, 0);
  process.stdout.write(`${arrival.length} messages (${(bytes / 1e6).toFixed(1)} MB) in ${gen.threads.length} threads, shuffled arrival; ${os.cpus().length} CPUs\n\n`);
  process.stdout.write('| database | msg/s | wall s | raw store s | parse s | write s | replies threaded right | threads merged | duplicates |\n|---|---|---|---|---|---|---|---|---|\n');
  for (const d of dialects) {
    const r = await run(d, gen, arrival);
    process.stdout.write(
      `| ${r.dialect} | ${r.perSecond.toFixed(1)} | ${(r.elapsedMs / 1000).toFixed(1)} | ${(r.stats.storeMs / 1000).toFixed(1)} | ${(r.stats.parseMs / 1000).toFixed(1)} | ${(r.stats.writeMs / 1000).toFixed(1)} | ${r.right}/${r.replies} (${((100 * r.right) / Math.max(1, r.replies)).toFixed(1)} %) | ${r.merged} | ${r.duplicates} |\n`,
    );
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error)?.stack ?? err}\n`);
    process.exit(1);
  },
);
