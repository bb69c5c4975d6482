import { createServer, type Server } from 'node:http';
import net from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Conversation, Rating } from '../../db/models';
import { createApp } from '../../server/app';
import { createAgent } from '../../server/auth/createAgent';
import { createTestContext, type TestContext } from '../helpers/context';
import { category } from '../helpers/factories';
import { jpegPhoto } from '../helpers/portal';

// Generous: the suite shares two cores with other suites and other sessions.
jest.setTimeout(180_000);

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** The agent's side, through the agents' API as the console calls it: sign in, reply, change the status. */
async function agentApi(base: string) {
  const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: base }, body: JSON.stringify({ email: 'dispecer@primarie.test', password: 'parola-foarte-lunga-1' }) });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const call = async (path: string, body: unknown) => {
    const r = await fetch(`${base}/api/v1${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: base, Cookie: cookie, 'X-CSRF-Token': csrfToken }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`${path} failed: ${r.status} ${await r.text()}`);
    return r.json();
  };
  return { call };
}

describe('citizen portal in a real browser (Chromium)', () => {
  let t: TestContext;
  let server: Server;
  let browser: Browser;
  let base: string;
  const outsideRequests: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // Tiles from this server (they 404): the test never reaches the internet, and the map still takes clicks.
    t = await createTestContext('sqlite', { PUBLIC_URL: base, PORT: String(port), MAP_TILE_URL: `${base}/portal-assets/tiles/{z}/{x}/{y}.png` });
    await category('drumuri-gropi', { locationBased: true, legalBasis: 'none' });
    await createAgent(t.ctx, { email: 'dispecer@primarie.test', name: 'Dispecer', role: 'supervisor', password: 'parola-foarte-lunga-1', allDepartments: true });
    server = createServer(createApp(t.ctx));
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
    await t?.cleanup();
  });

  async function submitRequest(page: Page, js: boolean): Promise<{ number: string; link: string }> {
    await page.goto(`${base}/`);
    expect(await page.getAttribute('html', 'lang')).toBe('ro');
    await page.selectOption('#category', 'drumuri-gropi');
    await page.fill('#description', `Groapă adâncă pe Str. Mărășești 12 (${js ? 'cu' : 'fără'} JavaScript).`);
    if (js) {
      // The map appears only where JavaScript runs; a click drops the pin and fills the hidden fields.
      await page.waitForSelector('#map:not([hidden])');
      await page.click('#map', { position: { x: 120, y: 90 } });
      await page.waitForFunction(() => (document.getElementById('lat') as HTMLInputElement).value !== '');
      expect(await page.textContent('#map-status')).toMatch(/Reper pus la/);
    } else {
      expect(await page.isHidden('#map')).toBe(true);
      await page.fill('#address', 'Str. Mărășești 12');
    }
    await page.setInputFiles('#photos', { name: 'groapa.jpg', mimeType: 'image/jpeg', buffer: await jpegPhoto({ lat: 46.17, lng: 21.31 }) });
    await page.fill('#name', 'Ioana Popescu');
    await page.fill('#email', `ioana.${js ? 'js' : 'nojs'}@exemplu.ro`);
    await page.check('#consent');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    const number = (await page.textContent('#registration-number'))!.trim();
    expect(number).toMatch(/^\d+\/\d{4}$/);
    const link = (await page.getAttribute('#tracking-link', 'href'))!;
    expect(link).toMatch(new RegExp(`^${base}/t/\\d{4}/\\d+/[A-Za-z0-9_-]{32}$`));
    return { number, link };
  }

  test.each([
    ['with JavaScript (live update)', true],
    ['without JavaScript', false],
  ])('submit with a photo, track, the agent resolves, the citizen sees it and rates it — %s', async (_label, js) => {
    const context = await browser.newContext({ javaScriptEnabled: js, locale: 'ro-RO' });
    context.setDefaultTimeout(60_000);
    // Any request leaving this server fails the test: no tiles, fonts or trackers from elsewhere.
    context.on('request', (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith('data:')) outsideRequests.push(r.url());
    });
    const page = await context.newPage();
    const { number } = await submitRequest(page, js);
    const c = (await Conversation.findOne({ where: { registrationNumber: number } }))!;
    expect(c.channel).toBe('portal');
    if (js) expect(c.locationLat).not.toBeNull();
    else {
      // No pin without JavaScript: the typed address, and the position the photo's EXIF carried.
      expect(c.address).toBe('Str. Mărășești 12');
      expect(c.locationLat).toBeCloseTo(46.17, 3);
    }

    await page.click('#tracking-link');
    await page.waitForSelector('#case-status');
    expect(await page.textContent('h1')).toBe(`Cererea nr. ${number}`);
    expect(await page.textContent('#case-status')).toContain('Înregistrată');
    expect(await page.isVisible('text=Cum apreciați rezolvarea?')).toBe(false);

    // The agent answers and resolves the case through the agents' API, the way the console does.
    const agent = await agentApi(base);
    await agent.call(`/conversations/${c.id}/replies`, { text: 'Echipa a astupat groapa astăzi.', statusAfter: 'resolved', resolution: 'answered' });
    await agent.call(`/conversations/${c.id}/status`, { status: 'resolved', resolution: 'fixed' });

    if (js) {
      // No reload: the page polls and swaps in the new state.
      await page.waitForFunction(() => document.getElementById('case-status')?.textContent?.includes('Soluționată'), undefined, { timeout: 45_000 });
    } else {
      await page.reload();
    }
    expect(await page.textContent('#case-status')).toContain('Problemă remediată');
    expect(await page.textContent('#timeline')).toContain('Echipa a astupat groapa astăzi.');
    expect(await page.textContent('#case-answered')).not.toContain('Încă nu');
    expect(await page.textContent('#case-fixed')).not.toContain('nu a fost încă');
    expect(await page.textContent('#timeline')).not.toContain('Dispecer');

    await page.check('input[name=score][value="5"]');
    await page.fill('#comment', 'Foarte rapid, mulțumesc!');
    await Promise.all([page.waitForNavigation(), page.click('text=Trimite evaluarea')]);
    expect(await page.textContent('#rating-done')).toContain('nota 5 din 5');
    expect(await page.isVisible('text=Cum apreciați rezolvarea?')).toBe(false);
    expect((await Rating.findAll({ where: { conversationId: c.id } })).map((r) => r.score)).toEqual([5]);
    expect(outsideRequests).toEqual([]);
    await context.close();
  });

  test('form errors are announced next to the field and keep what was typed (no JavaScript)', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    context.setDefaultTimeout(60_000);
    const page = await context.newPage();
    await page.goto(`${base}/en/`);
    await page.selectOption('#category', 'drumuri-gropi');
    await page.fill('#description', '<script>window.pwned=1</script> pothole');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    expect(await page.getAttribute('#address', 'aria-describedby')).toBe('address-error');
    expect(await page.textContent('#address-error')).toContain('drop a pin on the map, type the address');
    expect(await page.getAttribute('#address-error', 'role')).toBe('alert');
    expect(await page.inputValue('#description')).toBe('<script>window.pwned=1</script> pothole');
    await context.close();
  });
  test('accessibility basics: every control has a label, the skip link comes first, the language switch keeps the page', async () => {
    const context = await browser.newContext();
    context.setDefaultTimeout(60_000);
    const page = await context.newPage();
    for (const path of ['/', '/en/', '/harta']) {
      await page.goto(`${base}${path}`);
      const unlabelled = await page.evaluate(() =>
        [...document.querySelectorAll('input, select, textarea')]
          .filter((el) => (el as HTMLInputElement).type !== 'hidden' && !el.closest('[aria-hidden="true"]'))
          .filter((el) => !(el as HTMLInputElement).labels?.length)
          .map((el) => el.id || el.getAttribute('name')),
      );
      expect(unlabelled).toEqual([]);
    }
    await page.goto(`${base}/`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('skip');
    await page.click('a[hreflang="en"]');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.goto(`${base}/harta`);
    await page.click('a[hreflang="en"]');
    expect(page.url()).toBe(`${base}/en/map`);
    await context.close();
  });
});
