/**
 * bench/ingest — contacts per second and p50/p99 latency of ingestContact on SQLite and on MariaDB with
 * durable commits, beside the thinnest path that writes the same rows (raw driver, same statements, the
 * counter row locked) in the same run. The ratio is the figure.
 *
 *   bash scripts/with-services.sh npx tsx bench/ingest.ts        (or with TEST_MARIADB_URL already set)
 *   BENCH_CONTACTS=2000 BENCH_CONCURRENCY=8 …
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import sqlite3 from 'sqlite3';
import { closeContext, createContext } from '../server/boot';
import { createScratchDatabase } from '../scripts/scratchDatabase';
import { loadConfig } from '../server/config';
import { ingestContact } from '../server/ingest/ingestContact';
import { configureLogger } from '../server/log';
import { printTable, quantile, runConcurrent } from './stats';

configureLogger('silent');
const COUNT = Number(process.env.BENCH_CONTACTS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const YEAR = new Date().getUTCFullYear();

const contactFor = (run: string, i: number) => ({
  channel: 'api' as const,
  externalId: `${run}-${i}`,
  from: { name: `Cetățean ${i}`, email: `cetatean.${run}.${i}@exemplu.ro` },
  subject: 'Sesizare iluminat public',
  text: 'Becul de pe stâlpul din fața blocului nu mai funcționează de o săptămână.',
});

/** The same rows ingest writes for a new case, in the fewest statements the driver allows. */
const RAW_STATEMENTS = {
  counter: 'UPDATE registry_counters SET lastNumber = lastNumber + 1 WHERE year = ?',
  readCounter: 'SELECT lastNumber FROM registry_counters WHERE year = ?',
  citizen: "INSERT INTO citizens (name, language, createdAt, updatedAt) VALUES (?, 'ro', ?, ?)",
  identity: "INSERT INTO citizen_identities (citizenId, kind, value, verified, createdAt, updatedAt) VALUES (?, 'email', ?, 0, ?, ?)",
  conversation:
    "INSERT INTO conversations (registrationYear, registrationSeq, registrationNumber, registeredAt, citizenId, channel, subject, priority, status, language, anonymous, legalBasis, slaState, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, 'api', ?, 0, 'new', 'ro', 0, 'petition', 'none', ?, ?)",
  message:
    "INSERT INTO messages (conversationId, citizenId, direction, channel, externalId, subject, text, automatic, receivedAt, createdAt, updatedAt) VALUES (?, ?, 'inbound', 'api', ?, ?, ?, 0, ?, ?, ?)",
  event: "INSERT INTO conversation_events (conversationId, type, actorType, data, public, createdAt) VALUES (?, 'conversation.created', 'citizen', '{}', 1, ?)",
};

async function benchIngest(databaseUrl: string, label: string) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ghiseu-bench-'));
  const ctx = await createContext(loadConfig({ DATA_DIR: dataDir, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' }), { poolMax: CONCURRENCY });
  await ingestContact(ctx, contactFor('warm', 0));
  const run = `b${Date.now()}`;
  const result = await runConcurrent(COUNT, CONCURRENCY, (i) => ingestContact(ctx, contactFor(run, i)));
  await closeContext(ctx);
  rmSync(dataDir, { recursive: true, force: true });
  return { label, ...result };
}

async function benchRawMysql(url: string) {
  const u = new URL(url);
  const pool = mysql.createPool({ host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1), connectionLimit: CONCURRENCY, charset: 'utf8mb4' });
  const run = `r${Date.now()}`;
  const task = async (i: number) => {
    const c = contactFor(run, i);
    const conn = await pool.getConnection();
    try {
      const now = new Date();
      await conn.beginTransaction();
      await conn.execute(RAW_STATEMENTS.counter, [YEAR]);
      const [[row]] = (await conn.execute(RAW_STATEMENTS.readCounter, [YEAR])) as unknown as [[{ lastNumber: number }]];
      const [cit] = (await conn.execute(RAW_STATEMENTS.citizen, [c.from.name, now, now])) as unknown as [{ insertId: number }];
      await conn.execute(RAW_STATEMENTS.identity, [cit.insertId, c.from.email, now, now]);
      const seq = row.lastNumber;
      const [conv] = (await conn.execute(RAW_STATEMENTS.conversation, [YEAR, seq, `${seq}/${YEAR}`, now, cit.insertId, c.subject, now, now])) as unknown as [{ insertId: number }];
      await conn.execute(RAW_STATEMENTS.message, [conv.insertId, cit.insertId, c.externalId, c.subject, c.text, now, now, now]);
      await conn.execute(RAW_STATEMENTS.event, [conv.insertId, now]);
      await conn.commit();
    } catch (err) {
      await conn.rollback();
      throw err;
    } finally {
      conn.release();
    }
  };
  const result = await runConcurrent(COUNT, CONCURRENCY, task);
  await pool.end();
  return { label: 'raw mysql2', ...result };
}

async function benchRawSqlite(file: string) {
  const db = new sqlite3.Database(file);
  const exec = (sql: string) => new Promise<void>((res, rej) => db.exec(sql, (e) => (e ? rej(e) : res())));
  const runSql = (sql: string, params: unknown[]) =>
    new Promise<{ lastID: number }>((res, rej) => db.run(sql, params, function (this: { lastID: number }, e: Error | null) { if (e) rej(e); else res({ lastID: this.lastID }); }));
  const get = (sql: string, params: unknown[]) => new Promise<{ lastNumber: number }>((res, rej) => db.get(sql, params, (e, row) => (e ? rej(e) : res(row as { lastNumber: number }))));
  await exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=15000;');
  const run = `r${Date.now()}`;
  // One connection, one writer at a time: the thinnest SQLite path is serial.
  const result = await runConcurrent(COUNT, 1, async (i) => {
    const c = contactFor(run, i);
    const now = new Date().toISOString().replace('T', ' ').replace('Z', ' +00:00');
    await exec('BEGIN IMMEDIATE');
    try {
      await runSql(RAW_STATEMENTS.counter, [YEAR]);
      const row = await get(RAW_STATEMENTS.readCounter, [YEAR]);
      const cit = await runSql(RAW_STATEMENTS.citizen, [c.from.name, now, now]);
      await runSql(RAW_STATEMENTS.identity, [cit.lastID, c.from.email, now, now]);
      const conv = await runSql(RAW_STATEMENTS.conversation, [YEAR, row.lastNumber, `${row.lastNumber}/${YEAR}`, now, cit.lastID, c.subject, now, now]);
      await runSql(RAW_STATEMENTS.message, [conv.lastID, cit.lastID, c.externalId, c.subject, c.text, now, now, now]);
      await runSql(RAW_STATEMENTS.event, [conv.lastID, now]);
      await exec('COMMIT');
    } catch (err) {
      await exec('ROLLBACK');
      throw err;
    }
  });
  await new Promise<void>((res) => db.close(() => res()));
  return { label: 'raw sqlite3', ...result };
}

/** Migrates the database at `url` with the real migrator (the same rows and indexes as the app) and opens the year's register. */
async function prepare(url: string, dataDir: string): Promise<void> {
  const ctx = await createContext(loadConfig({ DATA_DIR: dataDir, DATABASE_URL: url, LOG_LEVEL: 'silent' }));
  await ctx.db.sequelize.query(`INSERT INTO registry_counters (year, lastNumber) VALUES (${YEAR}, 0)`);
  await closeContext(ctx);
}

/** Runs `measure` on a fresh SQLite file, removed after (also when the measure fails). */
async function onFreshSqlite<T>(measure: (file: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ghiseu-bench-sqlite-'));
  const file = path.join(dir, 'bench.sqlite');
  try {
    await prepare(`sqlite:${file}`, dir);
    return await measure(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `measure` on a fresh MariaDB database, dropped after (also when the measure fails). */
async function onFreshMariadb<T>(base: string, measure: (url: string) => Promise<T>): Promise<T> {
  const db = await createScratchDatabase(base, 'bench');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ghiseu-bench-'));
  try {
    await prepare(db.url, dataDir);
    return await measure(db.url);
  } finally {
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function row(dialect: string, r: { label: string; latencies: number[]; seconds: number }, baseline?: number) {
  const rate = r.latencies.length / r.seconds;
  return {
    dialect,
    path: r.label,
    contacts: r.latencies.length,
    'contacts/s': rate,
    'p50 ms': quantile(r.latencies, 0.5),
    'p99 ms': quantile(r.latencies, 0.99),
    'share of raw rate': baseline ? `${((rate / baseline) * 100).toFixed(0)} %` : '100 %',
  };
}

async function main() {
  const rows: ReturnType<typeof row>[] = [];
  console.log(`bench/ingest: ${COUNT} new cases per path, ${CONCURRENCY} in flight (SQLite raw path: 1, it has one writer)`);
  console.log('durable commits: SQLite WAL + synchronous=FULL; MariaDB innodb_flush_log_at_trx_commit=1\n');

  const rawSqlite = await onFreshSqlite(benchRawSqlite);
  const ingSqlite = await onFreshSqlite((file) => benchIngest(`sqlite:${file}`, 'ingestContact'));
  const sqliteBase = rawSqlite.latencies.length / rawSqlite.seconds;
  rows.push(row('sqlite', rawSqlite), row('sqlite', ingSqlite, sqliteBase));

  const mariadb = process.env.TEST_MARIADB_URL ?? process.env.BENCH_MARIADB_URL;
  if (mariadb) {
    const rawMy = await onFreshMariadb(mariadb, benchRawMysql);
    const ingMy = await onFreshMariadb(mariadb, (url) => benchIngest(url, 'ingestContact'));
    const myBase = rawMy.latencies.length / rawMy.seconds;
    rows.push(row('mariadb', rawMy), row('mariadb', ingMy, myBase));
  } else {
    console.log('(no TEST_MARIADB_URL: run through scripts/with-services.sh for the MariaDB rows)');
  }
  printTable(rows);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
