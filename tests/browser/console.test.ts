import type { BrowserContext, Page } from 'playwright-core';
import type { TestDialect } from '../helpers/services';
import { AGENT_PASSWORD, startConsoleServer, until, type ConsoleServer } from './helpers/consoleServer';

jest.setTimeout(180_000);

/** SQLite by default (the embedded mode); CONSOLE_BROWSER_DIALECT=mariadb runs the same against MariaDB. */
const DIALECT: TestDialect = process.env.CONSOLE_BROWSER_DIALECT === 'mariadb' ? 'mariadb' : 'sqlite';

interface AgentPage {
  name: string;
  context: BrowserContext;
  page: Page;
}

/** Records every offer card the page ever showed, so "the other agent never had it" is checked, not assumed. */
const RECORD_OFFERS = () => {
  const seen = new Set<number>();
  (window as unknown as { __offersSeen: Set<number> }).__offersSeen = seen;
  new MutationObserver(() => {
    document.querySelectorAll<HTMLElement>('[data-testid="offer"]').forEach((el) => seen.add(Number(el.dataset.conversationId)));
  }).observe(document, { subtree: true, childList: true });
};

describe('agents\' console in Chromium: offers, replies, declines, catch-up after a network drop', () => {
  let s: ConsoleServer;
  const agents: AgentPage[] = [];

  const offersSeen = (a: AgentPage) => a.page.evaluate(() => [...(window as unknown as { __offersSeen: Set<number> }).__offersSeen]);
  const offerCard = (a: AgentPage, id: number) => a.page.locator(`[data-testid="offer"][data-conversation-id="${id}"]`);
  const live = (a: AgentPage) => until(`${a.name}'s console to be live`, async () => (await a.page.locator('[data-testid="connection-banner"]').count()) === 0, 15_000);

  async function signIn(email: string, name: string): Promise<AgentPage> {
    const context = await s.browser.newContext({ locale: 'ro-RO', timezoneId: 'Europe/Bucharest' });
    await context.addInitScript(RECORD_OFFERS);
    const page = await context.newPage();
    await page.goto(`${s.base}/console/`);
    expect(await page.getAttribute('html', 'lang')).toBe('ro');
    await page.fill('#email', email);
    await page.fill('#password', AGENT_PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="who"]');
    const a = { name, context, page };
    await live(a);
    return a;
  }

  async function setPresence(a: AgentPage, presence: string): Promise<void> {
    await a.page.selectOption('#presence', presence);
    await until(`${a.name} to be ${presence}`, async () => {
      const row = (await s.t.ctx.db.sequelize.query('SELECT presence FROM agents WHERE name = ?', { replacements: [a.name], plain: true })) as { presence: string } | null;
      return row?.presence === presence;
    });
  }

  beforeAll(async () => {
    s = await startConsoleServer(DIALECT, [
      { email: 'ana@primarie.test', name: 'Ana Ionescu' },
      { email: 'bogdan@primarie.test', name: 'Bogdan Stan' },
    ]);
    agents.push(await signIn('ana@primarie.test', 'Ana Ionescu'), await signIn('bogdan@primarie.test', 'Bogdan Stan'));
    for (const a of agents) await setPresence(a, 'available');
  });
  afterAll(async () => {
    for (const a of agents) await a.context.close().catch(() => undefined);
    await s?.close();
  });

  test('a wrong password is refused on the page, in Romanian', async () => {
    const context = await s.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${s.base}/console/`);
    await page.fill('#email', 'ana@primarie.test');
    await page.fill('#password', 'nu-este-parola');
    await page.click('button[type="submit"]');
    await until('the error', async () => ((await page.textContent('[role="alert"]')) ?? '').includes('Autentificarea a eșuat'));
    await context.close();
  });

  test('a contact posted to the integration API is offered to exactly one agent within a second; accept, reply; the other never had it', async () => {
    const offerEvents: [number, number][] = [];
    s.t.ctx.events.on('offer.changed', (p) => void offerEvents.push([p.conversationId, Date.now()]));
    const c = await s.postContact();
    const winner = await until('the offer at one console', async () => {
      for (const a of agents) if ((await offerCard(a, c.id).count()) > 0) return a;
      return null;
    }, 5_000, 10);
    const latency = Date.now() - c.at;
    if (latency >= 1000) {
      const madeAt = offerEvents.find(([id]) => id === c.id)?.[1];
      throw new Error(`the offer showed ${latency} ms after the POST answer (routing made it after ${madeAt ? madeAt - c.at : '?'} ms); the issue asks for under 1 s`);
    }
    const other = agents.find((a) => a !== winner)!;
    expect(await offerCard(winner, c.id).textContent()).toContain(c.registrationNumber);
    // A countdown is shown with the offer.
    expect(await offerCard(winner, c.id).locator('.countdown').textContent()).toMatch(/\d+ secunde/);

    await offerCard(winner, c.id).getByRole('button', { name: 'Accept' }).click();
    await winner.page.waitForSelector(`[data-testid="case-view"][data-case-id="${c.id}"]`);
    await winner.page.fill('#reply-text', 'Bună ziua, am transmis sesizarea echipei de iluminat public.');
    await winner.page.click('form.composer button[type="submit"]');
    await until('the reply in the timeline', async () => (await winner.page.locator('.tl-message.dir-outbound').count()) > 0);
    expect(await winner.page.locator('.tl-message.dir-outbound').first().textContent()).toContain('iluminat public');

    expect(await offersSeen(other)).not.toContain(c.id);
    expect(await offerCard(winner, c.id).count()).toBe(0);
    const row = (await s.t.ctx.db.sequelize.query('SELECT assigneeId FROM conversations WHERE id = ?', { replacements: [c.id], plain: true })) as { assigneeId: number };
    const ids = (await s.t.ctx.db.sequelize.query('SELECT id, name FROM agents', { type: 'SELECT' })) as { id: number; name: string }[];
    expect(row.assigneeId).toBe(ids.find((i) => i.name === winner.name)!.id);
  });

  test('a declined offer goes to the other agent', async () => {
    const c = await s.postContact();
    const first = await until('the offer', async () => {
      for (const a of agents) if ((await offerCard(a, c.id).count()) > 0) return a;
      return null;
    }, 5_000, 10);
    const second = agents.find((a) => a !== first)!;
    await offerCard(first, c.id).getByRole('button', { name: 'Refuz' }).click();
    await until('the offer at the other console', async () => (await offerCard(second, c.id).count()) > 0, 5_000, 10);
    expect(await offerCard(first, c.id).count()).toBe(0);
    await offerCard(second, c.id).getByRole('button', { name: 'Accept' }).click();
    await second.page.waitForSelector(`[data-testid="case-view"][data-case-id="${c.id}"]`);

    // The first agent opens the same case: the owner sees who else is looking, and when they type.
    await first.page.goto(`${s.base}/console/#/case/${c.id}`);
    await first.page.waitForSelector(`[data-testid="case-view"][data-case-id="${c.id}"]`);
    await until('the viewer at the owner', async () => ((await second.page.locator('[data-testid="viewers"]').textContent().catch(() => '')) ?? '').includes(first.name), 5_000);
    await first.page.type('#reply-text', 'Verific');
    await until('the typing notice', async () => ((await second.page.locator('[data-testid="viewers"]').textContent().catch(() => '')) ?? '').includes('scrie'), 5_000);

    // A note mentioning the owner by @handle: the owner's console shows a notice linking to the case.
    const handle = second.name === 'Ana Ionescu' ? 'ana' : 'bogdan';
    await first.page.fill('#note-text', `@${handle} te rog verifică adresa`);
    await first.page.click('form.note-composer button[type="submit"]');
    await until('the mention notice', async () => ((await second.page.locator('[data-testid="mentions"]').textContent().catch(() => '')) ?? '').includes(c.registrationNumber), 8_000);
  });

  test('a console that lost the network says so, and on reconnect catches up with nothing missing', async () => {
    const [a, b] = agents as [AgentPage, AgentPage];
    // Nobody available: new cases wait in the general queue, which Ana watches.
    await setPresence(a, 'away');
    await setPresence(b, 'away');
    await a.page.goto(`${s.base}/console/#/queue/general`);
    await live(a);

    await a.context.setOffline(true);
    const banner = a.page.locator('[data-testid="connection-banner"]');
    await until('the offline banner', async () => (await banner.getAttribute('data-state').catch(() => null)) === 'offline', 5_000);
    expect(await banner.textContent()).toMatch(/Conexiune pierdută/);

    const posted = [await s.postContact(), await s.postContact(), await s.postContact()];
    // While offline the console cannot know about them — and it says it may be out of date.
    expect(await banner.isVisible()).toBe(true);

    await a.context.setOffline(false);
    await live(a);
    await until('every case posted while offline in the queue view', async () => {
      const text = (await a.page.locator('main').textContent()) ?? '';
      return posted.every((p) => text.includes(p.registrationNumber));
    }, 10_000);
    expect(await banner.count()).toBe(0);
  });
});
