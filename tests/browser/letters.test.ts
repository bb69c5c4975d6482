import type { BrowserContext, Page } from 'playwright-core';
import { Conversation, ConversationEvent, Letter } from '../../db/models';
import { intakeLetter } from '../../server/letters/intakeLetter';
import { renderTextPage } from '../fixtures/letters/makeScans';
import type { TestDialect } from '../helpers/services';
import { AGENT_PASSWORD, startConsoleServer, until, type ConsoleServer } from './helpers/consoleServer';

jest.setTimeout(240_000);

/** SQLite by default (the embedded mode); CONSOLE_BROWSER_DIALECT=mariadb runs the same against MariaDB. */
const DIALECT: TestDialect = process.env.CONSOLE_BROWSER_DIALECT === 'mariadb' ? 'mariadb' : 'sqlite';

describe('letters page in Chromium: filing away a letter without a sender', () => {
  let s: ConsoleServer;
  let clerk: { context: BrowserContext; page: Page };
  let letterId: number;

  beforeAll(async () => {
    s = await startConsoleServer(DIALECT, [{ email: 'registratura@primarie.test', name: 'Radu Registru' }]);
    // A real scan through intake and the real OCR job: an unsigned complaint lands in review with no sender.
    const scan = await renderTextPage(['Vă rog să tăiați copacul uscat din fața blocului nr. 4,', 'poate cădea peste mașinile parcate.']);
    letterId = (await intakeLetter(s.t.ctx, { data: scan, filename: 'nesemnata.png', source: 'upload' })).letter.id;
    await until('the letter read', async () => (await Letter.findByPk(letterId))?.status === 'review', 180_000, 200);

    const context = await s.browser.newContext({ locale: 'ro-RO', timezoneId: 'Europe/Bucharest' });
    const page = await context.newPage();
    await page.goto(`${s.base}/console/`);
    await page.fill('#email', 'registratura@primarie.test');
    await page.fill('#password', AGENT_PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="who"]');
    clerk = { context, page };
  });

  afterAll(async () => {
    await clerk?.context.close().catch(() => undefined);
    await s?.close();
  });

  test('the clerk is asked first, can go back, then files it away with a reason; it leaves the review queue', async () => {
    const p = clerk.page;
    await p.goto(`${s.base}/console/#/letters`);
    const item = p.getByRole('button', { name: /nesemnata\.png/ });
    await item.waitFor();
    expect(await item.textContent()).toContain('fără expeditor');
    await item.click();

    // The first button only asks; going back changes nothing.
    await p.getByRole('button', { name: 'Clasează: petiție fără expeditor' }).click();
    const dialog = p.getByRole('alertdialog');
    expect(await dialog.textContent()).toContain('OG 27/2002');
    const confirm = p.getByRole('button', { name: 'Da, clasează' });
    expect(await confirm.isDisabled()).toBe(true); // no reason yet
    await p.getByRole('button', { name: 'Renunță' }).click();
    expect(await p.getByRole('alertdialog').count()).toBe(0);
    expect((await Letter.findByPk(letterId, { rejectOnEmpty: true })).status).toBe('review');

    await p.getByRole('button', { name: 'Clasează: petiție fără expeditor' }).click();
    await p.getByLabel('Motivul clasării').fill('Petiție anonimă, fără nume și adresă.');
    await p.getByRole('button', { name: 'Da, clasează' }).click();

    const letter = await until('the letter filed away', async () => {
      const l = await Letter.findByPk(letterId);
      return l?.status === 'filed_away' ? l : null;
    });
    expect((await Conversation.findByPk(letter.conversationId!, { rejectOnEmpty: true })).status).toBe('filed_away');
    const event = await ConversationEvent.findOne({ where: { conversationId: letter.conversationId!, type: 'letter.filed_away' }, rejectOnEmpty: true });
    expect(event.data).toMatchObject({ reason: 'Petiție anonimă, fără nume și adresă.' });
    await until('the letter gone from the review queue', async () => (await p.getByRole('button', { name: /nesemnata\.png/ }).count()) === 0);
    await until('the recent list saying it was filed away', async () => ((await p.locator('table').textContent()) ?? '').includes('clasată (anonimă)'));
  });
});
