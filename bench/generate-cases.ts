/**
 * bench/generate-cases — fills a MariaDB database with a city hall's year and more: by default 1,000,000 cases,
 * 5,000,000 messages, their SLA clocks and timeline rows, 10 departments, 24 categories, 60 agents. Multi-row
 * INSERTs on two connections; a few minutes on two cores. Used by bench/wallboard.ts.
 *
 *   TEST_MARIADB_URL=mysql://user:pass@host:port/db npx tsx bench/generate-cases.ts
 *   BENCH_DATABASE=ghiseu_bench BENCH_CASES=1000000 BENCH_MESSAGES_PER_CASE=5 …
 *
 * The database named by BENCH_DATABASE is dropped and re-created (migrated by the app's own migrations).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { closeContext, createContext } from '../server/boot';
import { loadConfig } from '../server/config';
import { configureLogger } from '../server/log';
import { seededRandom } from '../scripts/seededRandom';

configureLogger('silent');
const CASES = Number(process.env.BENCH_CASES ?? 1_000_000);
const MESSAGES_PER_CASE = Number(process.env.BENCH_MESSAGES_PER_CASE ?? 5);
const DATABASE = process.env.BENCH_DATABASE ?? 'ghiseu_bench';
const BATCH = 2_000;
const DAY = 86_400_000;
const SPAN_DAYS = 400;

/** The bench database's URL (the server from TEST_MARIADB_URL, database BENCH_DATABASE). */
export function benchDatabaseUrl(): string {
  const base = process.env.TEST_MARIADB_URL;
  if (!base) throw new Error('Set TEST_MARIADB_URL (e.g. source the test-services env file) to a MariaDB server.');
  const u = new URL(base);
  u.pathname = `/${DATABASE}`;
  return u.toString();
}

const sqlDate = (ms: number) => `'${new Date(ms).toISOString().slice(0, 23).replace('T', ' ')}'`;
const sqlDay = (ms: number) => `'${new Date(ms + 2 * 3_600_000).toISOString().slice(0, 10)}'`;
const pick = <T>(r: () => number, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
const weighted = <T>(r: () => number, items: readonly [T, number][]): T => {
  let x = r() * items.reduce((s, [, w]) => s + w, 0);
  for (const [v, w] of items) if ((x -= w) < 0) return v;
  return items[items.length - 1]![0];
};

const CHANNELS: [string, number][] = [['voice', 35], ['email', 25], ['portal', 20], ['sms', 8], ['letter', 7], ['api', 5]];
const BASES: [string, number][] = [['none', 60], ['petition', 35], ['public_information', 5]];
const OPEN: [string, number][] = [['new', 15], ['open', 45], ['pending_citizen', 25], ['pending_department', 15]];
const PRESENCE = ['available', 'busy', 'away', 'offline', 'after_call_work'];

class Writer {
  private inFlight: Promise<unknown>[] = [];
  private rows = new Map<string, string[]>();
  constructor(private readonly pool: mysql.Pool, private readonly columns: Record<string, string>) {}

  async add(table: string, values: string): Promise<void> {
    let list = this.rows.get(table);
    if (!list) this.rows.set(table, (list = []));
    list.push(`(${values})`);
    if (list.length >= BATCH) await this.flush(table);
  }

  async flush(table: string): Promise<void> {
    const list = this.rows.get(table);
    if (!list?.length) return;
    this.rows.set(table, []);
    const sql = `INSERT INTO ${table} (${this.columns[table]}) VALUES ${list.join(',')}`;
    // Two statements in flight: the database works while this process builds the next batch.
    if (this.inFlight.length >= 2) await this.inFlight.shift();
    this.inFlight.push(this.pool.query(sql));
  }

  async end(): Promise<void> {
    for (const t of this.rows.keys()) await this.flush(t);
    await Promise.all(this.inFlight);
  }
}

async function main() {
  const url = benchDatabaseUrl();
  const u = new URL(url);
  const conn = { host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), charset: 'utf8mb4' };
  const admin = await mysql.createConnection(conn);
  await admin.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``);
  await admin.query(`CREATE DATABASE \`${DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  // A production server keeps its working set in memory; the test server starts with 256 MB. Loading with
  // relaxed log flushing is only for this load; it is put back at the end.
  await admin.query('SET GLOBAL innodb_buffer_pool_size = 4294967296').catch((e: Error) => console.warn(`buffer pool unchanged: ${e.message}`));
  await admin.query('SET GLOBAL innodb_flush_log_at_trx_commit = 2').catch(() => undefined);

  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ghiseu-gen-'));
  const ctx = await createContext(loadConfig({ DATA_DIR: dataDir, DATABASE_URL: url, LOG_LEVEL: 'silent' }));
  await closeContext(ctx);
  rmSync(dataDir, { recursive: true, force: true });

  const pool = mysql.createPool({ ...conn, database: DATABASE, connectionLimit: 3 });
  pool.on('connection', (c) => {
    c.query('SET foreign_key_checks = 0, unique_checks = 0');
  });
  const w = new Writer(pool, {
    departments: 'id, code, nameRo, nameEn, email, active, createdAt, updatedAt',
    categories: 'id, code, nameRo, nameEn, groupCode, departmentId, locationBased, legalBasis, sortOrder, active, createdAt, updatedAt',
    agents: 'id, email, name, passwordHash, role, languages, capacity, allDepartments, presence, active, failedLogins, createdAt, updatedAt',
    agent_departments: 'agentId, departmentId',
    conversations:
      'id, registrationYear, registrationSeq, registrationNumber, registeredAt, channel, subject, categoryId, departmentId, priority, status, resolution, assigneeId, language, anonymous, legalBasis, legalDueDate, internalDueDate, dueAt, slaState, firstRespondedAt, answeredAt, resolvedAt, closedAt, lastMessageAt, lastInboundAt, createdAt, updatedAt',
    messages: 'conversationId, agentId, direction, channel, text, automatic, receivedAt, createdAt, updatedAt',
    // The case's columns are given too: a batch of clocks may reach the database before its cases' batch.
    sla_timers: 'conversationId, kind, targetMs, termDays, startedAt, usedMs, runningSince, dueAt, warnAt, warnedAt, breachedAt, stoppedAt, outcome, decidedAt, elapsedMs, createdAt, updatedAt, departmentId, channel, categoryId, assigneeId',
    conversation_events: 'conversationId, type, actorType, actorId, data, public, createdAt',
  });
  const r = seededRandom(20261124);
  const now = Date.now();
  const started = Date.now();

  for (let d = 1; d <= 10; d++) await w.add('departments', `${d}, 'dept${d}', 'Direcția ${d}', 'Department ${d}', NULL, 1, ${sqlDate(now)}, ${sqlDate(now)}`);
  for (let c = 1; c <= 24; c++) {
    await w.add('categories', `${c}, 'cat${c}', 'Categoria ${c}', 'Category ${c}', 'g${c % 6}', ${((c - 1) % 10) + 1}, ${c % 3 === 0 ? 1 : 0}, 'petition', ${c}, 1, ${sqlDate(now)}, ${sqlDate(now)}`);
  }
  for (let a = 1; a <= 60; a++) {
    await w.add(
      'agents',
      `${a}, 'agent${a}@primarie.test', 'Agent ${a}', 'x', '${a <= 5 ? 'supervisor' : 'agent'}', '["ro"]', '{"voice":1,"email":5}', ${a <= 3 ? 1 : 0}, '${pick(r, PRESENCE)}', 1, 0, ${sqlDate(now)}, ${sqlDate(now)}`,
    );
    await w.add('agent_departments', `${a}, ${((a - 1) % 10) + 1}`);
  }

  const seqByYear = new Map<number, number>();
  for (let id = 1; id <= CASES; id++) {
    // Registration moments spread over the last SPAN_DAYS days, in id order, office hours mostly.
    const dayOffset = Math.floor(((CASES - id) / CASES) * SPAN_DAYS);
    const reg = now - dayOffset * DAY - Math.floor(r() * 9 * 3_600_000) - (dayOffset === 0 ? 0 : 0);
    const regAt = Math.min(reg, now - 60_000);
    const year = new Date(regAt).getUTCFullYear();
    const seq = (seqByYear.get(year) ?? 0) + 1;
    seqByYear.set(year, seq);
    const channel = weighted(r, CHANNELS);
    const basis = channel === 'voice' || channel === 'sms' ? 'none' : weighted(r, BASES);
    const categoryId = 1 + Math.floor(r() * 24);
    const departmentId = r() < 0.05 ? null : ((categoryId - 1) % 10) + 1;
    const age = now - regAt;
    const isOpen = age < 30 * DAY ? r() < 0.4 : r() < 0.002;
    const status = isOpen ? weighted(r, OPEN) : r() < 0.5 ? 'resolved' : 'closed';
    const assigneeId = status === 'new' ? 'NULL' : String(6 + Math.floor(r() * 55));
    const firstResponseMs = Math.floor(60_000 + r() * r() * 3 * DAY);
    const responded = !isOpen || (status !== 'new' && r() < 0.7);
    const resolutionMs = Math.floor(firstResponseMs + r() * 20 * DAY);
    const resolvedAt = !isOpen ? Math.min(regAt + resolutionMs, now - 1000) : null;
    const legalDue = basis === 'none' ? null : regAt + (basis === 'petition' ? 31 : 11) * DAY;
    const slaState = isOpen ? weighted(r, [['ok', 70], ['warning', 15], ['breached', 15]] as [string, number][]) : r() < 0.12 ? 'breached' : 'ok';
    const dueAt = isOpen ? now + Math.floor((r() - 0.2) * 5 * DAY) : null;
    const priority = Math.floor(r() * r() * 4);
    await w.add(
      'conversations',
      [
        id, year, seq, `'${seq}/${year}'`, sqlDate(regAt), `'${channel}'`, `'Sesizarea ${id}'`, categoryId, departmentId ?? 'NULL', priority, `'${status}'`,
        resolvedAt ? "'answered'" : 'NULL', assigneeId, "'ro'", 0, `'${basis}'`, legalDue ? sqlDay(legalDue) : 'NULL', legalDue ? sqlDay(legalDue - 2 * DAY) : 'NULL',
        dueAt ? sqlDate(dueAt) : 'NULL', `'${slaState}'`, responded ? sqlDate(Math.min(regAt + firstResponseMs, now - 1000)) : 'NULL', resolvedAt ? sqlDate(resolvedAt) : 'NULL',
        resolvedAt ? sqlDate(resolvedAt) : 'NULL', status === 'closed' && resolvedAt ? sqlDate(resolvedAt) : 'NULL', sqlDate(regAt), sqlDate(regAt), sqlDate(regAt), sqlDate(resolvedAt ?? regAt),
      ].join(', '),
    );

    // SLA clocks: first response and resolution always (measured), the legal one on petitions and requests.
    const caseColumns = `, ${departmentId ?? 'NULL'}, '${channel}', ${categoryId}, ${assigneeId}`;
    const frTarget = 8 * 3_600_000;
    const frAt = Math.min(regAt + firstResponseMs, now - 1000);
    const frBreached = firstResponseMs > 2 * DAY;
    await w.add(
      'sla_timers',
      responded
        ? `${id}, 'first_response', ${frTarget}, NULL, ${sqlDate(regAt)}, ${frTarget}, NULL, NULL, NULL, NULL, ${frBreached ? sqlDate(regAt + 2 * DAY) : 'NULL'}, ${sqlDate(frAt)}, '${frBreached ? 'breached' : 'met'}', ${sqlDate(frBreached ? regAt + 2 * DAY : frAt)}, ${frAt - regAt}, ${sqlDate(regAt)}, ${sqlDate(frAt)}${caseColumns}`
        : `${id}, 'first_response', ${frTarget}, NULL, ${sqlDate(regAt)}, 0, ${sqlDate(regAt)}, ${sqlDate(regAt + frTarget)}, ${sqlDate(regAt + frTarget * 0.8)}, NULL, NULL, NULL, NULL, NULL, NULL, ${sqlDate(regAt)}, ${sqlDate(regAt)}${caseColumns}`,
    );
    const resTarget = 10 * DAY;
    const resBreached = resolutionMs > resTarget;
    await w.add(
      'sla_timers',
      resolvedAt
        ? `${id}, 'resolution', ${resTarget}, NULL, ${sqlDate(regAt)}, 0, NULL, NULL, NULL, NULL, ${resBreached ? sqlDate(regAt + resTarget) : 'NULL'}, ${sqlDate(resolvedAt)}, '${resBreached ? 'breached' : 'met'}', ${sqlDate(resBreached ? regAt + resTarget : resolvedAt)}, ${resolvedAt - regAt}, ${sqlDate(regAt)}, ${sqlDate(resolvedAt)}${caseColumns}`
        : `${id}, 'resolution', ${resTarget}, NULL, ${sqlDate(regAt)}, 0, ${sqlDate(regAt)}, ${sqlDate(regAt + resTarget)}, ${sqlDate(regAt + resTarget * 0.8)}, NULL, NULL, NULL, NULL, NULL, NULL, ${sqlDate(regAt)}, ${sqlDate(regAt)}${caseColumns}`,
    );
    if (legalDue) {
      const late = resolvedAt !== null && resolvedAt > legalDue;
      await w.add(
        'sla_timers',
        resolvedAt
          ? `${id}, 'legal', NULL, ${basis === 'petition' ? 30 : 10}, ${sqlDate(regAt)}, 0, NULL, NULL, NULL, NULL, ${late ? sqlDate(legalDue) : 'NULL'}, ${sqlDate(resolvedAt)}, '${late ? 'breached' : 'met'}', ${sqlDate(late ? legalDue : resolvedAt)}, ${resolvedAt - regAt}, ${sqlDate(regAt)}, ${sqlDate(resolvedAt)}${caseColumns}`
          : `${id}, 'legal', NULL, ${basis === 'petition' ? 30 : 10}, ${sqlDate(regAt)}, 0, ${sqlDate(regAt)}, ${sqlDate(legalDue)}, ${sqlDate(legalDue - 2 * DAY)}, NULL, NULL, NULL, NULL, NULL, NULL, ${sqlDate(regAt)}, ${sqlDate(regAt)}${caseColumns}`,
      );
    }

    const until = resolvedAt ?? now - 1000;
    for (let m = 0; m < MESSAGES_PER_CASE; m++) {
      const at = regAt + Math.floor(((until - regAt) * m) / MESSAGES_PER_CASE);
      const outbound = m % 2 === 1;
      await w.add(
        'messages',
        `${id}, ${outbound && assigneeId !== 'NULL' ? assigneeId : 'NULL'}, '${outbound ? 'outbound' : 'inbound'}', '${channel}', 'Mesajul ${m} din cazul ${id}', 0, ${sqlDate(at)}, ${sqlDate(at)}, ${sqlDate(at)}`,
      );
    }
    await w.add('conversation_events', `${id}, 'conversation.created', 'citizen', NULL, '{}', 1, ${sqlDate(regAt)}`);
    if (age < 8 * DAY) {
      const offers = 1 + Math.floor(r() * 3);
      for (let o = 0; o < offers; o++) {
        await w.add('conversation_events', `${id}, '${o === offers - 1 && assigneeId !== 'NULL' ? 'offer.accepted' : 'offer.declined'}', 'agent', ${6 + Math.floor(r() * 55)}, '{}', 0, ${sqlDate(regAt + (o + 1) * 20_000)}`);
      }
    }
    if (id % 100_000 === 0) console.log(`${id} cases (${Math.round((Date.now() - started) / 1000)} s)`);
  }
  await w.end();
  for (const [year, seq] of seqByYear) await pool.query('INSERT INTO registry_counters (year, lastNumber) VALUES (?, ?)', [year, seq]).catch(() => undefined);
  await pool.query('ANALYZE TABLE conversations, messages, sla_timers, conversation_events');
  const [[counts]] = (await pool.query(
    'SELECT (SELECT COUNT(*) FROM conversations) AS cases, (SELECT COUNT(*) FROM messages) AS messages, (SELECT COUNT(*) FROM sla_timers) AS timers, (SELECT COUNT(*) FROM conversation_events) AS events',
  )) as unknown as [Record<string, number>[]];
  console.log(`generated in ${Math.round((Date.now() - started) / 1000)} s:`, counts);
  await admin.query('SET GLOBAL innodb_flush_log_at_trx_commit = 1').catch(() => undefined);
  await admin.end();
  await pool.end();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
