/**
 * bench/routing — time from the inbound POST /api/v1/contacts to the `offer.created` event at an agent's socket,
 * p50/p95/p99, at 100 and 300 contacts/s with 50 connected agents, on MariaDB (durable commits) + Redis (the
 * socket.io adapter), beside the thinnest path in the same run: a bare express handler doing the same inserts
 * with raw mysql2 in one transaction and one socket emit. The ratio is the figure.
 *
 *   source <services env> && npx tsx bench/routing.ts      (needs TEST_MARIADB_URL and TEST_REDIS_URL)
 *   BENCH_SECONDS=5 BENCH_RATES=100,300 BENCH_AGENTS=50 …
 *   BENCH_PATHS=full   (one path only, e.g. under --cpu-prof)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Agent as HttpAgent, request, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import mysql from 'mysql2/promise';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import { Agent } from '../db/models';
import { createApiKey } from '../server/auth/apiKeys';
import { createSession, SESSION_COOKIE } from '../server/auth/sessions';
import { createApp } from '../server/app';
import { closeContext, createContext } from '../server/boot';
import { loadConfig } from '../server/config';
import { configureLogger } from '../server/log';
import type { OfferCreatedPayload } from '../server/realtime/contract';
import { startRealtime } from '../server/realtime/server';
import { configureRouting } from '../server/routing/engine';
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


const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 64 });

/** POSTs JSON; resolves with the parsed body. */
function post(url: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; json: { conversation?: { id: number } } }> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: keepAlive, headers: { 'content-type': 'application/json', 'content-length': String(data.length), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || '{}') });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

const contactFor = (run: string, i: number) => ({
  channel: 'api',
  externalId: `${run}-${i}`,
  from: { name: `Cetățean ${i}`, email: `cetatean.${run}.${i}@exemplu.ro` },
  subject: 'Sesizare iluminat public',
  text: 'Becul de pe stâlpul din fața blocului nu mai funcționează de o săptămână.',
});

interface Measure { latencies: number[]; errors: number; missing: number; sent: number; cpuMsPerContact: number }

/**
 * Fires `rate` contacts per second for SECONDS (open loop: the schedule does not wait for answers) and matches
 * each to the first offer.created for its conversation.
 */
async function drive(rate: number, send: (i: number) => Promise<number | null>, arrivals: Map<number, number>): Promise<Measure> {
  const total = Math.round(rate * SECONDS);
  const sentAt = new Map<number, number>();
  // CPU of this process (server, load generator and the agents' sockets alike) per contact sent.
  const cpu0 = process.cpuUsage();
  let errors = 0;
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    inflight.push(
      send(i).then(
        (conversationId) => {
          if (conversationId === null) errors++;
          else sentAt.set(conversationId, t0);
        },
        () => void errors++,
      ),
    );
  }
  await Promise.all(inflight);
  const deadline = performance.now() + 10_000;
  while ([...sentAt.keys()].some((id) => !arrivals.has(id)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const latencies: number[] = [];
  let missing = 0;
  for (const [id, t0] of sentAt) {
    const at = arrivals.get(id);
    if (at === undefined) missing++;
    else latencies.push(at - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  return { latencies, errors, missing, sent: total, cpuMsPerContact: (cpu.user + cpu.system) / 1000 / total };
}

async function connectAll(url: string, opts: (i: number) => { query?: Record<string, string>; cookie?: string }, onOffer: (p: OfferCreatedPayload) => void): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const o = opts(i);
    const s = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false, query: o.query, extraHeaders: o.cookie ? { cookie: o.cookie } : {} });
    s.on('offer.created', (p: OfferCreatedPayload) => onOffer(p));
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('connect_error', reject);
    });
    sockets.push(s);
  }
  return sockets;
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
  const arrivals = new Map<number, number>();
  const sockets = await connectAll(`${url}/agents`, (i) => ({ cookie: cookies[i] }), (p) => {
    if (!arrivals.has(p.offer.conversationId)) arrivals.set(p.offer.conversationId, performance.now());
  });
  const run = `full${Date.now()}`;
  const send = async (i: number) => {
    const res = await post(`${url}/api/v1/contacts`, contactFor(run, i), { authorization: `Bearer ${key}` });
    return res.status === 201 && res.json.conversation ? res.json.conversation.id : null;
  };
  await send(-1); // warm-up
  return {
    arrivals,
    send,
    async close() {
      for (const s of sockets) s.close();
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
  const arrivals = new Map<number, number>();
  const sockets = await connectAll(url, (i) => ({ query: { agentId: String(agentIds[i]) } }), (p) => {
    if (!arrivals.has(p.offer.conversationId)) arrivals.set(p.offer.conversationId, performance.now());
  });
  const run = `thin${Date.now()}`;
  const send = async (i: number) => {
    const res = await post(`${url}/contacts`, contactFor(run, i), {});
    return res.status === 201 && res.json.conversation ? res.json.conversation.id : null;
  };
  await send(-1);
  return {
    arrivals,
    send,
    async close() {
      for (const s of sockets) s.close();
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
  const none: Measure = { latencies: [], errors: 0, missing: 0, sent: 0, cpuMsPerContact: 0 };
  for (const rate of RATES) {
    let t = none;
    let f = none;
    if (PATHS.has('thin')) {
      const thin = await thinPath(mariadb);
      t = await drive(rate, thin.send, thin.arrivals);
      await thin.close();
    }
    if (PATHS.has('full')) {
      const full = await fullPath(mariadb, redis);
      f = await drive(rate, full.send, full.arrivals);
      await full.close();
    }
    for (const [label, m] of [['thinnest (raw mysql2 + 1 emit)', t], ['Ghișeu (API → ingest → routing → socket)', f]] as const) {
      if (m === none) continue;
      rows.push({ path: label, rate, sent: m.sent, errors: m.errors, missing: m.missing, p50: quantile(m.latencies, 0.5), p95: quantile(m.latencies, 0.95), p99: quantile(m.latencies, 0.99), 'cpu ms/contact': m.cpuMsPerContact });
    }
    if (t !== none && f !== none) ratios.push(`${rate}/s: p50 ×${(quantile(f.latencies, 0.5) / quantile(t.latencies, 0.5)).toFixed(2)}, p99 ×${(quantile(f.latencies, 0.99) / quantile(t.latencies, 0.99)).toFixed(2)}`);
  }
  printTable(rows);
  console.log(`ratio Ghișeu / thinnest: ${ratios.join('; ')}`);
  keepAlive.destroy();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
