/**
 * bench/twilio — latency of Twilio's webhooks on MariaDB at a steady 100 requests/s (open loop: requests start
 * on schedule whether or not earlier ones finished, as Twilio's do), beside a bare handler that parses the same
 * signed form, checks the same signature and returns the same TwiML without touching the database. The ratio
 * of the two is the figure: what the database work (ingest of the call, its routing row, the receipt) costs.
 *
 *   source $TEST_SERVICES_DIR/env && npx tsx bench/twilio.ts
 *   BENCH_RATE=100 BENCH_SECONDS=20 BENCH_DATABASE_URL=mysql://… npx tsx bench/twilio.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { IvrMenuEntry } from '../db/models';
import { createApp } from '../server/app';
import { closeContext, createContext } from '../server/boot';
import { loadConfig } from '../server/config';
import { configureLogger } from '../server/log';
import { phoneClock } from '../server/twilio/officeHours';
import { twilioWebhook } from '../server/twilio/signature';
import { emptyTwiml, menuTwiml } from '../server/twilio/twiml';
import { twilioSignature, twilioSid } from '../scripts/twilio-simulator';
import { printTable, quantile } from './stats';
import { createScratchDatabase } from '../scripts/scratchDatabase';

configureLogger('silent');
const RATE = Number(process.env.BENCH_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const ACCOUNT_SID = 'AC' + 'b'.repeat(32);
const AUTH_TOKEN = 'bench-auth-token-0123456789';
const PUBLIC_URL = 'https://ghiseu.bench.example';
const OUR_NUMBER = '+40256000100';

async function freshMariaDb(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = process.env.BENCH_DATABASE_URL ?? process.env.TEST_MARIADB_URL;
  if (!base || !/^(mysql|mariadb):/.test(base)) throw new Error('Set BENCH_DATABASE_URL or TEST_MARIADB_URL to a MariaDB URL (source the test services env).');
  return createScratchDatabase(base, 'bench_twilio');
}

function listen(app: express.Express): Promise<{ server: http.Server; url: string }> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
    // Longer than any pause in the run, so the client never reuses a socket the server is closing (ECONNRESET).
    server.keepAliveTimeout = 120_000;
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function post(baseUrl: string, pathname: string, params: Record<string, string>): Promise<number> {
  const body = new URLSearchParams(params).toString();
  const signature = twilioSignature(AUTH_TOKEN, `${PUBLIC_URL}${pathname}`, params);
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}${pathname}`, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), 'x-twilio-signature': signature },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends `count` requests at `rate` per second on a fixed schedule; returns latencies (ms) and failures. */
async function openLoop(count: number, rate: number, send: (i: number) => Promise<number>): Promise<{ latencies: number[]; failures: number; codes: Record<string, number>; seconds: number }> {
  const latencies: number[] = [];
  const codes: Record<string, number> = {};
  let failures = 0;
  const started = process.hrtime.bigint();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = Number(started) / 1e6 + (i * 1000) / rate;
    const wait = due - Number(process.hrtime.bigint()) / 1e6;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t0 = process.hrtime.bigint();
    inflight.push(
      send(i)
        .then((status) => {
          if (status !== 200 && status !== 204) {
            failures++;
            codes[status] = (codes[status] ?? 0) + 1;
          }
        })
        .catch((err: Error) => {
          failures++;
          codes[err.message] = (codes[err.message] ?? 0) + 1;
        })
        .finally(() => void latencies.push(Number(process.hrtime.bigint() - t0) / 1e6)),
    );
  }
  await Promise.all(inflight);
  return { latencies, failures, codes, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

function callParams(callSid: string, i: number, extra: Record<string, string>): Record<string, string> {
  const from = `+4072${String(1_000_000 + i).slice(-7)}`;
  return { AccountSid: ACCOUNT_SID, ApiVersion: '2010-04-01', CallSid: callSid, Called: OUR_NUMBER, Caller: from, Direction: 'inbound', From: from, To: OUR_NUMBER, ...extra };
}

async function main(): Promise<void> {
  const db = await freshMariaDb();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ghiseu-bench-twilio-'));
  const config = loadConfig({
    DATA_DIR: dataDir, DATABASE_URL: db.url, LOG_LEVEL: 'silent', PUBLIC_URL,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_PHONE_NUMBER: OUR_NUMBER, TWILIO_API_URL: 'http://127.0.0.1:9',
  });
  const ctx = await createContext(config, { poolMax: 20 });
  // A Tuesday at 10:00 in Bucharest: every call gets the menu (the path that writes the call and answers the IVR).
  phoneClock.now = () => new Date('2026-11-24T08:00:00Z');
  const full = await listen(createApp(ctx));

  // The bare handler: same body parser and signature check, the same TwiML, no database.
  const menu = await IvrMenuEntry.findAll({ where: { active: true }, order: [['sortOrder', 'ASC'], ['digit', 'ASC']] });
  const menuXml = menuTwiml(menu, 'ro', 1, { welcome: true });
  const bareApp = express();
  bareApp.post('/twilio/voice', ...twilioWebhook(ctx), (_req, res) => void res.type('text/xml').send(menuXml));
  bareApp.post('/twilio/voice/status', ...twilioWebhook(ctx), (_req, res) => void res.type('text/xml').send(emptyTwiml()));
  const bare = await listen(bareApp);

  const count = RATE * SECONDS;
  const rows: Record<string, string | number>[] = [];
  const figures: Record<string, { p50: number; p99: number }> = {};
  for (const [label, route] of [['voice', '/twilio/voice'], ['status', '/twilio/voice/status']] as const) {
    const sids = Array.from({ length: count }, () => twilioSid('CA'));
    // Status callbacks refer to calls that exist: the voice phase created them (same sids, in order).
    const extra: Record<string, string> = route === '/twilio/voice' ? { CallStatus: 'ringing' } : { CallStatus: 'completed', CallDuration: '63' };
    for (const [kind, target] of [['bare', bare.url], ['mariadb', full.url]] as const) {
      const callSids = label === 'status' ? voiceSids : sids;
      const r = await openLoop(count, RATE, (i) => post(target, route, callParams(callSids[i]!, i, extra)));
      if (label === 'voice' && kind === 'mariadb') voiceSids = sids;
      const p50 = quantile(r.latencies, 0.5);
      const p99 = quantile(r.latencies, 0.99);
      figures[`${label}:${kind}`] = { p50, p99 };
      if (r.failures) console.error(`${route} ${kind}: failures by answer`, r.codes);
      rows.push({ webhook: route, handler: kind, requests: count, 'req/s': count / r.seconds, failures: r.failures, 'p50 ms': p50, 'p99 ms': p99, 'max ms': Math.max(...r.latencies) });
    }
  }
  console.log(`\nTwilio webhooks at ${RATE} req/s for ${SECONDS} s each, MariaDB (${ctx.db.dialect}), Node ${process.version}\n`);
  printTable(rows);
  for (const label of ['voice', 'status']) {
    const b = figures[`${label}:bare`]!;
    const m = figures[`${label}:mariadb`]!;
    console.log(`${label}: p50 ratio ${(m.p50 / b.p50).toFixed(1)}x, p99 ratio ${(m.p99 / b.p99).toFixed(1)}x (database handler / bare handler)`);
  }

  await new Promise<void>((r) => full.server.close(() => r()));
  await new Promise<void>((r) => bare.server.close(() => r()));
  agent.destroy();
  await closeContext(ctx);
  await db.drop();
  rmSync(dataDir, { recursive: true, force: true });
}

let voiceSids: string[] = [];

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
