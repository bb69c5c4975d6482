/**
 * bench/routing — time from the inbound POST /api/v1/contacts to the `offer.created` event at an agent's socket,
 * p50/p95/p99, at 100 and 300 contacts/s with 50 connected agents, on MariaDB (durable commits) + Redis (the
 * socket.io adapter), beside the thinnest path in the same run: a bare express handler doing the same inserts
 * with raw mysql2 in one transaction and one socket emit. The ratio is the figure. The agents' sockets and the
 * load generator run in a process of their own (bench/routingClients.ts), as browsers and integrations do; the
 * server's CPU per contact is printed beside the latencies.
 *
 *   source <services env> && npx tsx bench/routing.ts      (needs TEST_MARIADB_URL and TEST_REDIS_URL)
 *   BENCH_SECONDS=5 BENCH_RATES=100,300 BENCH_AGENTS=50 …
 *   BENCH_PATHS=full   (one path only)   BENCH_PROFILE=/tmp/prof   (CPU profiles of the measured windows)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import { fork } from 'node:child_process';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import mysql from 'mysql2/promise';
import { Server } from 'socket.io';
import { Agent } from '../db/models';
import { createApiKey } from '../server/auth/apiKeys';
import { createSession, SESSION_COOKIE } from '../server/auth/sessions';
import { createApp } from '../server/app';
import { closeContext, createContext } from '../server/boot';
import { loadConfig } from '../server/config';
import { configureLogger } from '../server/log';
import { startRealtime } from '../server/realtime/server';
import { configureRouting } from '../server/routing/engine';
import { contactFor, type ClientPlan, type Measure } from './routingClients';
import { printTable, quantile } from './stats';
import { createScratchDatabase } from '../scripts/scratchDatabase';

configureLogger('silent');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const RATES = (process.env.BENCH_RATES ?? '100,300').split(',').map(Number);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 50);
const PATHS = new Set((process.env.BENCH_PATHS ?? 'thin,full').split(','));
const YEAR = new Date().getUTCFullYear();

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: source the test services' env file first`);
  return v;
}


/** What a path under test hands the client process. */
type Target = Pick<ClientPlan, 'socketUrl' | 'sockets' | 'postUrl' | 'headers'>;

interface Result extends Measure {
  /** CPU of the server's process (this one) per contact sent. */
  cpuMsPerContact: number;
  /** Statements the database server received per contact sent (its `Questions` counter). */
  statementsPerContact: number;
}

/** With BENCH_PROFILE=<dir>, a CPU profile of this process over the measured window only (no start-up, no set-up). */
async function startProfile(): Promise<{ stop(file: string): Promise<void> } | null> {
  const dir = process.env.BENCH_PROFILE;
  if (!dir) return null;
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, file), JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** The database server's count of statements received so far. */
async function statementsSoFar(url: string): Promise<number> {
  const u = new URL(url);
  const conn = await mysql.createConnection({ host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Questions'");
    return Number(rows[0]?.Value ?? 0);
  } finally {
    await conn.end();
  }
}

/** Runs the agents and the load generator in their own process against `target`; measures this process's CPU meanwhile. */
async function drive(rate: number, target: Target, run: string, mariadb: string): Promise<Result> {
  const child = fork(path.join(__dirname, 'routingClients.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = (type: string) =>
    new Promise<{ type: string; measure?: Measure }>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the client process exited (${code}) before '${type}'`));
      child.once('exit', onExit);
      child.once('message', (m: { type: string; measure?: Measure }) => {
        child.off('exit', onExit);
        if (m.type === type) resolve(m);
        else reject(new Error(`expected '${type}' from the client process, got '${m.type}'`));
      });
    });
  const ready = next('ready');
  child.send({ type: 'start', plan: { ...target, rate, seconds: SECONDS, run } satisfies ClientPlan });
  await ready;
  const statements0 = await statementsSoFar(mariadb);
  const profiler = await startProfile();
  const cpu0 = process.cpuUsage();
  const result = next('result');
  child.send({ type: 'go' });
  const { measure } = await result;
  const cpu = process.cpuUsage(cpu0);
  await profiler?.stop(`${run}.cpuprofile`);
  const statements = (await statementsSoFar(mariadb)) - statements0;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send({ type: 'quit' });
  await exited;
  return { ...measure!, cpuMsPerContact: (cpu.user + cpu.system) / 1000 / measure!.sent, statementsPerContact: statements / measure!.sent };
}

/** The full path: the app's POST /api/v1/contacts → ingest → routing → realtime (Redis adapter) → the socket. */
async function fullPath(mariadb: string, redis: string) {
  const db = await createScratchDatabase(mariadb, 'bench');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ghiseu-bench-'));
  // 300 contacts/s from one key is above the production default of 1,200 a minute.
  const config = loadConfig({ DATA_DIR: dataDir, DATABASE_URL: db.url, REDIS_URL: redis, LOG_LEVEL: 'silent', PUBLIC_URL: 'http://127.0.0.1', API_CONTACTS_PER_MINUTE: '1000000' });
  const ctx = await createContext(config, { poolMax: 20 });
  const { key } = await createApiKey('bench');
  const agents: Agent[] = [];
  for (let i = 0; i < AGENTS; i++) {
    agents.push(
      await Agent.create({
        email: `bench.${i}@primarie.test`, name: `Agent ${i}`, passwordHash: 'x', role: 'agent', allDepartments: true, presence: 'available',
        presenceChangedAt: new Date(), lastOfferAt: null, lockedUntil: null, lastLoginAt: null, capacity: { api: 100_000 }, languages: ['ro'],
      }),
    );
  }
  const cookies = await Promise.all(agents.map(async (a) => `${SESSION_COOKIE}=${(await createSession(a)).token}`));
  const routing = configureRouting(ctx, {}).start();
  const server = createServer(createApp(ctx));
  const realtime = await startRealtime(ctx, server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const target: Target = { socketUrl: `${url}/agents`, sockets: cookies.map((cookie) => ({ cookie })), postUrl: `${url}/api/v1/contacts`, headers: { authorization: `Bearer ${key}` } };
  return {
    target,
    async close() {
      realtime.io.disconnectSockets(true);
      await routing.stop();
      await ctx.events.drain();
      await realtime.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await closeContext(ctx);
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The thinnest path: the same rows (counter, citizen, identity, case, message, events, queue entry, offer) with raw mysql2 in one transaction, then one emit. */
async function thinPath(mariadb: string) {
  const db = await createScratchDatabase(mariadb, 'bench');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ghiseu-bench-'));
  const ctx = await createContext(loadConfig({ DATA_DIR: dataDir, DATABASE_URL: db.url, LOG_LEVEL: 'silent' }));
  await closeContext(ctx); // only for the schema
  const u = new URL(db.url);
  const pool = mysql.createPool({ host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1), connectionLimit: 20, charset: 'utf8mb4' });
  await pool.query('INSERT INTO registry_counters (year, lastNumber) VALUES (?, 0) ON DUPLICATE KEY UPDATE year = year', [YEAR]);
  const agentIds: number[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const [r] = await pool.query<mysql.ResultSetHeader>(
      "INSERT INTO agents (email, name, passwordHash, role, languages, capacity, allDepartments, presence, active, failedLogins, createdAt, updatedAt) VALUES (?, ?, 'x', 'agent', '[\"ro\"]', '{}', 1, 'available', 1, 0, NOW(3), NOW(3))",
      [`thin.${i}@primarie.test`, `Agent ${i}`],
    );
    agentIds.push(r.insertId);
  }
  const app = express();
  app.use(express.json());
  const http: HttpServer = createServer(app);
  const io = new Server(http, { serveClient: false });
  io.on('connection', (s) => void s.join(`agent:${String(s.handshake.query.agentId)}`));
  let rr = 0;
  app.post('/contacts', async (req, res) => {
    const c = req.body as ReturnType<typeof contactFor>;
    const conn = await pool.getConnection();
    try {
      const now = new Date();
      await conn.beginTransaction();
      await conn.query('UPDATE registry_counters SET lastNumber = lastNumber + 1 WHERE year = ?', [YEAR]);
      const [[counter]] = await conn.query<mysql.RowDataPacket[]>('SELECT lastNumber FROM registry_counters WHERE year = ?', [YEAR]);
      const seq = Number(counter!.lastNumber);
      const [citizen] = await conn.query<mysql.ResultSetHeader>("INSERT INTO citizens (name, language, createdAt, updatedAt) VALUES (?, 'ro', ?, ?)", [c.from.name, now, now]);
      await conn.query("INSERT INTO citizen_identities (citizenId, kind, value, verified, createdAt, updatedAt) VALUES (?, 'email', ?, 0, ?, ?)", [citizen.insertId, c.from.email, now, now]);
      const [conv] = await conn.query<mysql.ResultSetHeader>(
        "INSERT INTO conversations (registrationYear, registrationSeq, registrationNumber, registeredAt, citizenId, channel, subject, priority, status, language, anonymous, legalBasis, slaState, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, 'api', ?, 0, 'new', 'ro', 0, 'petition', 'none', ?, ?)",
        [YEAR, seq, `${seq}/${YEAR}`, now, citizen.insertId, c.subject, now, now],
      );
      const [msg] = await conn.query<mysql.ResultSetHeader>(
        "INSERT INTO messages (conversationId, citizenId, direction, channel, externalId, subject, text, automatic, receivedAt, createdAt, updatedAt) VALUES (?, ?, 'inbound', 'api', ?, ?, ?, 0, ?, ?, ?)",
        [conv.insertId, citizen.insertId, c.externalId, c.subject, c.text, now, now, now],
      );
      await conn.query("INSERT INTO conversation_events (conversationId, type, actorType, data, public, createdAt) VALUES (?, 'conversation.created', 'citizen', '{}', 1, ?), (?, 'message.received', 'citizen', ?, 1, ?)", [conv.insertId, now, conv.insertId, JSON.stringify({ messageId: msg.insertId }), now]);
      const [entry] = await conn.query<mysql.ResultSetHeader>("INSERT INTO queue_entries (conversationId, departmentId, channel, language, priority, dueAt, state, offerId, enqueuedAt, createdAt, updatedAt) VALUES (?, NULL, 'api', 'ro', 0, NULL, 'offered', NULL, ?, ?, ?)", [conv.insertId, now, now, now]);
      const agentId = agentIds[rr++ % agentIds.length]!;
      const expires = new Date(now.getTime() + 30_000);
      const [offer] = await conn.query<mysql.ResultSetHeader>("INSERT INTO offers (queueEntryId, conversationId, agentId, channel, state, pendingKey, expiresAt, createdAt, updatedAt) VALUES (?, ?, ?, 'api', 'pending', ?, ?, ?, ?)", [entry.insertId, conv.insertId, agentId, conv.insertId, expires, now, now]);
      const [ev] = await conn.query<mysql.ResultSetHeader>("INSERT INTO conversation_events (conversationId, type, actorType, data, public, createdAt) VALUES (?, 'offer.created', 'system', '{}', 0, ?)", [conv.insertId, now]);
      await conn.commit();
      io.to(`agent:${agentId}`).emit('offer.created', { eventId: ev.insertId, offer: { id: offer.insertId, conversationId: conv.insertId, agentId } });
      res.status(201).json({ conversation: { id: conv.insertId } });
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      res.status(500).json({ error: String(err) });
    } finally {
      conn.release();
    }
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const target: Target = { socketUrl: url, sockets: agentIds.map((id) => ({ query: { agentId: String(id) } })), postUrl: `${url}/contacts`, headers: {} };
  return {
    target,
    async close() {
      io.disconnectSockets(true);
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
      await pool.end();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const mariadb = required('TEST_MARIADB_URL');
  const redis = required('TEST_REDIS_URL');
  console.log(`bench/routing: ${AGENTS} agents connected, ${SECONDS} s per rate, MariaDB (innodb_flush_log_at_trx_commit=1) + Redis adapter`);
  const rows: Record<string, string | number>[] = [];
  const ratios: string[] = [];
  const none: Result = { latencies: [], errors: 0, missing: 0, sent: 0, cpuMsPerContact: 0, statementsPerContact: 0 };
  for (const rate of RATES) {
    let t = none;
    let f = none;
    if (PATHS.has('thin')) {
      const thin = await thinPath(mariadb);
      t = await drive(rate, thin.target, `thin${Date.now()}`, mariadb);
      await thin.close();
    }
    if (PATHS.has('full')) {
      const full = await fullPath(mariadb, redis);
      f = await drive(rate, full.target, `full${Date.now()}`, mariadb);
      await full.close();
    }
    for (const [label, m] of [['thinnest (raw mysql2 + 1 emit)', t], ['Ghișeu (API → ingest → routing → socket)', f]] as const) {
      if (m === none) continue;
      rows.push({ path: label, rate, sent: m.sent, errors: m.errors, missing: m.missing, p50: quantile(m.latencies, 0.5), p95: quantile(m.latencies, 0.95), p99: quantile(m.latencies, 0.99), 'server cpu ms/contact': m.cpuMsPerContact, 'statements/contact': m.statementsPerContact });
    }
    if (t !== none && f !== none) ratios.push(`${rate}/s: p50 ×${(quantile(f.latencies, 0.5) / quantile(t.latencies, 0.5)).toFixed(2)}, p99 ×${(quantile(f.latencies, 0.99) / quantile(t.latencies, 0.99)).toFixed(2)}`);
  }
  printTable(rows);
  console.log(`ratio Ghișeu / thinnest: ${ratios.join('; ')}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
