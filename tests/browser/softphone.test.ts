import { createServer, type Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PhoneCall } from '../../db/models';
import { createApp } from '../../server/app';
import { createAgent } from '../../server/auth/createAgent';
import { registerJobHandlers } from '../../server/jobs/handlers';
import { realtimeService } from '../../server/realtime/server';
import { routingService } from '../../server/routing/engine';
import { SERVICES, startServices } from '../../server/services';
import { phoneClock } from '../../server/twilio/officeHours';
import { simulateCall } from '../../scripts/twilio-simulator';
import { createTestContext, type TestContext } from '../helpers/context';
import { AGENT_PASSWORD, CHROMIUM_ARGS, buildConsole, freePort, until } from './helpers/consoleServer';

jest.setTimeout(180_000);

const TWILIO = {
  TWILIO_ACCOUNT_SID: `AC${'a1'.repeat(16)}`,
  TWILIO_AUTH_TOKEN: 'browser-test-auth-token-0123',
  TWILIO_PHONE_NUMBER: '+40256000100',
  TWILIO_API_KEY_SID: `SK${'b2'.repeat(16)}`,
  TWILIO_API_KEY_SECRET: 'browser-test-api-key-secret-0123',
  TWILIO_TWIML_APP_SID: `AP${'c3'.repeat(16)}`,
};

interface Running {
  t: TestContext;
  base: string;
  close(): Promise<void>;
}

/** Ghișeu as npm start runs it (every background service) on SQLite, with the given extra configuration. */
async function startGhiseu(env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const t = await createTestContext('sqlite', { PUBLIC_URL: base, PORT: String(port), ...env });
  await createAgent(t.ctx, { email: 'ana@primarie.test', name: 'Ana Ionescu', role: 'agent', password: AGENT_PASSWORD, allDepartments: true });
  registerJobHandlers(t.ctx);
  await t.ctx.jobs.start();
  const server: Server = createServer(createApp(t.ctx));
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  const services = [...SERVICES];
  for (const s of [routingService, realtimeService]) if (!services.some((x) => x.name === s.name)) services.push(s);
  const stop = await startServices(t.ctx, 'all', server, services);
  return {
    t,
    base,
    async close() {
      await stop();
      server.closeAllConnections?.();
      await new Promise((r) => server.close(r));
      await t.cleanup();
    },
  };
}

describe('softphone panel in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    buildConsole();
    // Twilio's signalling and media hosts resolve to nothing, whatever the machine's network: "Twilio unreachable".
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP *.twilio.com ~NOTFOUND, MAP *.twiliocdn.com ~NOTFOUND', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    phoneClock.now = () => new Date();
  });

  async function signIn(base: string): Promise<{ page: Page; errors: string[]; requests: string[]; close(): Promise<void> }> {
    const context = await browser.newContext({ locale: 'ro-RO', timezoneId: 'Europe/Bucharest' });
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && /unhandled|uncaught/i.test(m.text())) errors.push(m.text());
    });
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    await page.goto(`${base}/console/`);
    await page.fill('#email', 'ana@primarie.test');
    await page.fill('#password', AGENT_PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="who"]');
    return { page, errors, requests, close: () => context.close() };
  }

  test('phone channel configured: the panel shows, asks for a token, says clearly that Twilio is unreachable; a call offer rings and goes away on decline', async () => {
    const g = await startGhiseu(TWILIO);
    try {
      // Office hours for the IVR (Tuesday 10:00 in Bucharest).
      phoneClock.now = () => new Date('2026-11-24T08:00:00Z');
      const a = await signIn(g.base);
      const panel = a.page.locator('[data-testid="softphone"]');
      await panel.waitFor({ timeout: 10_000 });
      expect(await a.page.getByRole('heading', { name: /Telefon/ }).count()).toBeGreaterThan(0);
      await until('the token request', async () => a.requests.includes('/api/v1/phone/token'));
      await until('the error state', async () => (await panel.getAttribute('data-state')) === 'error', 30_000);
      expect(await a.page.locator('[data-testid="softphone-status"]').textContent()).toMatch(/Nu ne putem conecta la Twilio/);
      expect(await a.page.locator('[data-testid="softphone-fallback"]').textContent()).toMatch(/număr de telefon de rezervă/);
      expect(a.errors).toEqual([]);

      // A call rings for this agent: the card shows the masked caller, the department and a countdown.
      await a.page.selectOption('#presence', 'available');
      await until('available', async () => ((await g.t.ctx.db.sequelize.query(`SELECT presence FROM agents WHERE email = 'ana@primarie.test'`, { plain: true })) as { presence: string } | null)?.presence === 'available');
      const target = { baseUrl: g.base, publicUrl: g.base, authToken: TWILIO.TWILIO_AUTH_TOKEN, accountSid: TWILIO.TWILIO_ACCOUNT_SID };
      const sim = await simulateCall(target, { from: '+40721987654', to: TWILIO.TWILIO_PHONE_NUMBER, digits: '1' });
      expect(sim.steps.map((s) => s.status)).toEqual([200, 200, 200]);
      const card = a.page.locator('[data-testid="call-offer"]');
      await card.waitFor({ timeout: 10_000 });
      expect(await card.locator('[data-testid="call-caller"]').textContent()).toBe('+407•••••654');
      expect(await card.textContent()).toMatch(/Mai aveți \d+ secunde/);
      await card.getByRole('button', { name: 'Refuz' }).click();
      await until('the card to go', async () => (await card.count()) === 0);
      // The decline reached the server (nobody else is available: the call waits in the queue).
      const call = await until('the decline', async () => {
        const c = await PhoneCall.findOne({ where: { callSid: sim.callSid } });
        return c?.declinedAgentIds?.length === 1 ? c : null;
      });
      expect(call.routingState).toBe('queued');
      expect(a.errors).toEqual([]);
      await a.close();
    } finally {
      await g.close();
    }
  });

  test('phone channel not configured: no softphone panel, no token asked for', async () => {
    const g = await startGhiseu({});
    try {
      const a = await signIn(g.base);
      await until('the console to be live', async () => (await a.page.locator('[data-testid="connection-banner"]').count()) === 0, 15_000);
      await until('the phone config answer', async () => a.requests.includes('/api/v1/phone/config'));
      await a.page.waitForTimeout(300);
      expect(await a.page.locator('[data-testid="softphone"]').count()).toBe(0);
      expect(a.requests).not.toContain('/api/v1/phone/token');
      expect(a.requests).not.toContain('/api/v1/phone/calls/mine');
      expect(a.errors).toEqual([]);
      await a.close();
    } finally {
      await g.close();
    }
  });
});
