import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { createApp } from '../../../server/app';
import { createApiKey } from '../../../server/auth/apiKeys';
import { createAgent } from '../../../server/auth/createAgent';
import { registerJobHandlers } from '../../../server/jobs/handlers';
import { realtimeService } from '../../../server/realtime/server';
import { routingService } from '../../../server/routing/engine';
import { SERVICES, startServices } from '../../../server/services';
import { createTestContext, type TestContext } from '../../helpers/context';
import type { TestDialect } from '../../helpers/services';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
export const AGENT_PASSWORD = 'parola-consola-test-1';

/** Builds agent-console/dist when its sources changed (the same script `npm start` runs first). */
export function buildConsole(): void {
  execFileSync(process.execPath, [path.resolve(__dirname, '../../../scripts/build-console.mjs')], { stdio: 'inherit' });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface ConsoleServer {
  t: TestContext;
  base: string;
  apiKey: string;
  browser: Browser;
  /** Posts a contact to the integration API; returns the case it opened. */
  postContact(over?: Record<string, unknown>): Promise<{ id: number; registrationNumber: string; at: number }>;
  close(): Promise<void>;
}

/**
 * The real thing, as `npm start` runs it: the express app on an HTTP server, the job handlers and every
 * background service of the `all` role (routing, realtime, SLA…) on a fresh database, plus Chromium.
 */
export async function startConsoleServer(dialect: TestDialect, agents: { email: string; name: string; role?: 'agent' | 'supervisor' }[]): Promise<ConsoleServer> {
  buildConsole();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const t = await createTestContext(dialect, { PUBLIC_URL: base, PORT: String(port) });
  for (const a of agents) await createAgent(t.ctx, { email: a.email, name: a.name, role: a.role ?? 'agent', password: AGENT_PASSWORD, allDepartments: true });
  const { key } = await createApiKey('browser-test');
  registerJobHandlers(t.ctx);
  await t.ctx.jobs.start();
  const server: Server = createServer(createApp(t.ctx));
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  // Every service npm start runs; routing and realtime are added if the registry does not list them (yet).
  const services = [...SERVICES];
  for (const s of [routingService, realtimeService]) if (!services.some((x) => x.name === s.name)) services.push(s);
  const stopServices = await startServices(t.ctx, 'all', server, services);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  let n = 0;
  return {
    t,
    base,
    apiKey: key,
    browser,
    async postContact(over = {}) {
      n++;
      const r = await fetch(`${base}/api/v1/contacts`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
        body: JSON.stringify({
          externalId: `browser-${Date.now()}-${n}`,
          from: { name: `Cetățean ${n}`, email: `cetatean${n}.${Date.now()}@exemplu.ro` },
          subject: `Sesizare ${n}: iluminat public`,
          text: `Stâlpul de iluminat nr. ${n} de pe strada Țebei nu funcționează.`,
          ...over,
        }),
      });
      if (r.status !== 201) throw new Error(`POST /api/v1/contacts → ${r.status} ${await r.text()}`);
      const body = (await r.json()) as { conversation: { id: number; registrationNumber: string } };
      return { ...body.conversation, at: Date.now() };
    },
    async close() {
      await browser.close().catch(() => undefined);
      await stopServices();
      server.closeAllConnections?.();
      await new Promise((r) => server.close(r));
      await t.cleanup();
    },
  };
}

/** Polls a condition until it holds or the time is up (no sleeps that hope). */
export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
