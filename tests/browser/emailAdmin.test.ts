import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { Conversation, MailIntake, Mailbox, Message } from '../../db/models';
import { createAgent } from '../../server/auth/createAgent';
import { createOutboundMessage } from '../../server/outbound/createOutboundMessage';
import * as fx from '../fixtures/email/messages';
import type { TestDialect } from '../helpers/services';
import { AGENT_PASSWORD, startConsoleServer, until, type ConsoleServer } from './helpers/consoleServer';

jest.setTimeout(240_000);

/** SQLite by default (the embedded mode); CONSOLE_BROWSER_DIALECT=mariadb runs the same against MariaDB. */
const DIALECT: TestDialect = process.env.CONSOLE_BROWSER_DIALECT === 'mariadb' ? 'mariadb' : 'sqlite';

const MAILBOX_PASSWORD = 'parola-cutiei-registratura-9';

describe('email admin page in Chromium: mailboxes, quarantine with retry, outbox', () => {
  let s: ConsoleServer;
  const opened: BrowserContext[] = [];

  async function signIn(email: string): Promise<Page> {
    const context = await s.browser.newContext({ locale: 'ro-RO', timezoneId: 'Europe/Bucharest', acceptDownloads: true });
    opened.push(context);
    const page = await context.newPage();
    await page.goto(`${s.base}/console/`);
    await page.fill('#email', email);
    await page.fill('#password', AGENT_PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="who"]');
    return page;
  }
  const text = async (page: Page, sel: string) => ((await page.locator(sel).textContent()) ?? '').replace(/\s+/g, ' ');

  beforeAll(async () => {
    s = await startConsoleServer(DIALECT, [{ email: 'ana@primarie.test', name: 'Ana Ionescu' }]);
    await createAgent(s.t.ctx, { email: 'admin@primarie.test', name: 'Ioana Admin', role: 'admin', password: AGENT_PASSWORD, allDepartments: true });
    await createAgent(s.t.ctx, { email: 'sef@primarie.test', name: 'Mihai Șef', role: 'supervisor', password: AGENT_PASSWORD, allDepartments: true });
  });
  afterAll(async () => {
    for (const c of opened) await c.close().catch(() => undefined);
    await s?.close();
  });

  test('an agent has no link to the page, is told it is not for them, and every endpoint answers 403', async () => {
    const page = await signIn('ana@primarie.test');
    expect(await page.locator('nav a', { hasText: 'Email: cutii și carantină' }).count()).toBe(0);
    await page.goto(`${s.base}/console/#/admin/email`);
    await page.waitForSelector('[data-testid="email-forbidden"]');
    expect(await text(page, '[data-testid="email-forbidden"]')).toContain('pentru supervizori și administratori');
    expect(await page.locator('[data-testid="quarantine"], [data-testid="mailboxes"], [data-testid="outbox"]').count()).toBe(0);
    // The same session asks the API directly: refused.
    const csrf = await page.evaluate(async () => ((await (await fetch('/api/v1/auth/session')).json()) as { csrfToken: string }).csrfToken);
    for (const url of ['/api/v1/admin/mail-quarantine', '/api/v1/admin/mail-quarantine/1/raw', '/api/v1/admin/mail-outbox', '/api/v1/admin/mail-outbox/1.eml/view', '/api/v1/admin/mailboxes']) {
      expect([url, (await page.request.get(`${s.base}${url}`)).status()]).toEqual([url, 403]);
    }
    const created = await page.request.post(`${s.base}/api/v1/admin/mailboxes`, { headers: { 'X-CSRF-Token': csrf }, data: { name: 'x', host: 'h', username: 'u', password: 'p' } });
    expect(created.status()).toBe(403);
    expect((await page.request.post(`${s.base}/api/v1/admin/mail-quarantine/1/retry`, { headers: { 'X-CSRF-Token': csrf } })).status()).toBe(403);
    expect(await Mailbox.count()).toBe(0);
  });

  test('an administrator adds a mailbox (errors next to their fields, the password write-only), then edits it', async () => {
    const page = await signIn('admin@primarie.test');
    await page.click('nav a:has-text("Email: cutii și carantină")');
    await page.waitForSelector('h1:has-text("Canalul email")');
    await page.waitForSelector('[data-testid="quarantine-empty"]');
    expect(await text(page, '[data-testid="quarantine-empty"]')).toBe('Nicio scrisoare în carantină.');

    await page.click('button:has-text("Adaugă o cutie poștală")');
    await page.waitForSelector('[data-testid="mailbox-form"]');
    // Nothing filled in, a bad port: each error beside its field, focus on the first wrong one.
    await page.fill('#mb-port', '99999');
    await page.click('[data-testid="mailbox-form"] button[type="submit"]');
    await until('field errors', async () => (await page.locator('.field-error').count()) >= 4);
    expect(await text(page, '#mb-port-err')).toBe('Un număr întreg între 1 și 65535.');
    expect(await text(page, '#mb-host-err')).toBe('Câmp obligatoriu.');
    expect(await text(page, '#mb-password-err')).toBe('Câmp obligatoriu.');
    expect(await page.getAttribute('#mb-port', 'aria-describedby')).toContain('mb-port-err');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('mb-name');
    expect(await Mailbox.count()).toBe(0);

    // An error only the server finds (a name over 200 characters) lands next to its field too.
    await page.fill('#mb-name', 'R'.repeat(201));
    await page.fill('#mb-host', '127.0.0.1');
    await page.fill('#mb-port', '1');
    await page.uncheck('label:has-text("TLS direct") input');
    await page.fill('#mb-username', 'registratura');
    await page.fill('#mb-processedFolder', 'Preluate');
    await page.fill('#mb-password', MAILBOX_PASSWORD);
    await page.click('[data-testid="mailbox-form"] button[type="submit"]');
    await page.waitForSelector('#mb-name-err');
    expect(await page.getAttribute('#mb-name', 'aria-invalid')).toBe('true');
    expect(await Mailbox.count()).toBe(0);

    await page.fill('#mb-name', 'Registratură');
    await page.click('[data-testid="mailbox-form"] button[type="submit"]');
    await until('saved', async () => (await text(page, '[data-testid="mailbox-status"]')).includes('Cutia „Registratură” a fost salvată.'));
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid)).toBe('mailbox-status');
    const stored = (await Mailbox.findOne())!;
    expect(stored).toMatchObject({ host: '127.0.0.1', port: 1, secure: false, username: 'registratura', folder: 'INBOX', processedFolder: 'Preluate' });
    const row = page.locator('[data-testid="mailbox-row"]', { hasText: 'Registratură' });
    await row.waitFor();
    expect(await row.textContent()).toContain('setată');
    // Nobody watches it yet (or the worker just tried and failed): the row says what to do.
    expect(['unwatched', 'connecting', 'error']).toContain(await row.getAttribute('data-state'));
    expect(await row.textContent()).toMatch(/Porniți procesul worker|Verificați gazda|se conectează/);
    expect(await page.content()).not.toContain(MAILBOX_PASSWORD);

    await row.locator('button:has-text("Modifică")').click();
    await page.waitForSelector('[data-testid="password-state"]');
    expect(await text(page, '[data-testid="password-state"]')).toContain('Parola: setată');
    expect(await page.inputValue('#mb-password')).toBe('');
    await page.fill('#mb-port', '2');
    await page.click('[data-testid="mailbox-form"] button[type="submit"]');
    await until('edited', async () => (await Mailbox.findByPk(stored.id))!.port === 2);
    await until('row updated', async () => ((await row.textContent()) ?? '').includes('registratura@127.0.0.1:2/INBOX'));
    // The password was kept as it was (not sent back, not cleared).
    expect((await Mailbox.findByPk(stored.id))!.password).toBe(stored.password);
  });

  test('a quarantined message shows its error in plain words; retry fails again with the new error, then ingests into a case; the raw downloads; then the empty state', async () => {
    const box = (await Mailbox.findOne())!;
    const key = `${box.username}@${box.host}:${box.port}/${box.folder}`;
    // Two rows as the intake leaves them (raw stored first, unparsed: subject and sender unknown).
    const rawA = fx.plain({ subject: 'Cerere din carantină', from: 'ioana.carantina@exemplu.ro', text: 'Vă rog să verificați iluminatul de pe strada Școlii.' });
    const rawB = fx.plain({ subject: 'A doua cerere din carantină', from: 'radu.carantina@exemplu.ro' });
    const a = await MailIntake.create({ mailboxKey: key, uidValidity: '77', uid: 10, rawSha256: (await s.t.ctx.blobs.put(rawA)).sha256, size: rawA.length, subject: null, fromAddress: null, status: 'quarantined', attempts: 3, error: `message is ${rawA.length} bytes, over the 100-byte parse budget` });
    // B's raw is not in the store yet: its first retry fails.
    const shaB = createHash('sha256').update(rawB).digest('hex');
    const b = await MailIntake.create({ mailboxKey: key, uidValidity: '77', uid: 11, rawSha256: shaB, size: rawB.length, subject: null, fromAddress: 'radu.carantina@exemplu.ro', status: 'quarantined', attempts: 3, error: 'parse worker exited' });

    const page = await signIn('admin@primarie.test');
    await page.goto(`${s.base}/console/#/admin/email`);
    const rowA = page.locator(`[data-testid="quarantine-row"][data-id="${a.id}"]`);
    const rowB = page.locator(`[data-testid="quarantine-row"][data-id="${b.id}"]`);
    await rowA.waitFor();
    expect(await page.locator('[data-testid="quarantine-empty"]').count()).toBe(0);
    const textA = (await rowA.textContent()) ?? '';
    expect(textA).toContain('Registratură');
    expect(textA).toContain('expeditor necunoscut');
    expect(textA).toContain('Mesajul depășește limita de mărime sau de timp pentru citire.');
    expect(textA).toContain('3');
    expect(await rowB.textContent()).toContain('radu.carantina@exemplu.ro');
    expect(await rowB.textContent()).toContain('Citirea s-a oprit pe acest mesaj');
    expect(await page.locator('table[data-testid="quarantine"] th[scope="col"]').count()).toBe(6);

    // The raw download: the stored bytes, as an attachment.
    const href = await rowA.locator('a:has-text("Descarcă originalul")').getAttribute('href');
    const raw = await page.request.get(`${s.base}${href}`);
    expect(raw.status()).toBe(200);
    expect(raw.headers()['content-type']).toMatch(/^message\/rfc822/);
    expect(raw.headers()['content-disposition']).toBe(`attachment; filename="quarantine-${a.id}.eml"`);
    expect(Buffer.from(await raw.body())).toEqual(rawA);

    // B fails again: the new error, in plain words, announced and focused; B stays with one more attempt.
    await rowB.locator('button:has-text("Reîncearcă")').click();
    await until('the failed retry', async () => (await text(page, '[data-testid="retry-result"]')).includes(`Scrisoarea #${b.id} nu a putut fi preluată nici acum`));
    expect(await text(page, '[data-testid="retry-result"]')).toContain('Originalul mesajului lipsește din stocare');
    expect(await page.getAttribute('[data-testid="retry-result"]', 'aria-live')).toBe('polite');
    await until('focus on the result', async () => (await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid)) === 'retry-result');
    await until('attempts counted', async () => ((await rowB.locator('td').nth(2).textContent()) ?? '') === '4');
    expect((await MailIntake.findByPk(b.id))!.error).toMatch(/ENOENT/);
    expect(await rowB.textContent()).toContain('Originalul mesajului lipsește din stocare');

    // A is ingested into a case: its number with a link; the mailbox is unreachable, so the flag is pending.
    await rowA.locator('button:has-text("Reîncearcă")').click();
    await until('the ingested retry', async () => (await text(page, '[data-testid="retry-result"]')).includes(`Scrisoarea #${a.id} a fost preluată în cazul`));
    const after = (await MailIntake.findByPk(a.id))!;
    expect(after.status).toBe('ingested');
    const conv = (await Conversation.findByPk((await Message.findByPk(after.messageId!))!.conversationId))!;
    expect(conv.registrationNumber).toMatch(/^\d+\/\d{4}$/);
    const result = await text(page, '[data-testid="retry-result"]');
    expect(result).toContain(`în cazul ${conv.registrationNumber}`);
    expect(result).toContain('Marcajul pe serverul de email este în așteptare');
    expect(await page.getAttribute(`[data-testid="retry-result"] a:has-text("Deschide cazul ${conv.registrationNumber}")`, 'href')).toBe(`#/case/${conv.id}`);
    await until('A left the list', async () => (await rowA.count()) === 0);

    // B's raw turns up (restored into the store): its retry now succeeds, and the quarantine is empty.
    await s.t.ctx.blobs.put(rawB);
    await rowB.locator('button:has-text("Reîncearcă")').click();
    await until('B ingested', async () => (await text(page, '[data-testid="retry-result"]')).includes(`Scrisoarea #${b.id} a fost preluată`));
    await page.waitForSelector('[data-testid="quarantine-empty"]');
    expect(await text(page, '[data-testid="quarantine-empty"]')).toBe('Nicio scrisoare în carantină.');
    expect(await MailIntake.count({ where: { status: 'quarantined' } })).toBe(0);
    // The flags owed to the server show on the mailbox.
    await page.click('button:has-text("Reîmprospătează")');
    await until('flags pending shown', async () => ((await page.locator('[data-testid="mailbox-row"]', { hasText: 'Registratură' }).locator('td').nth(4).textContent()) ?? '') === '2');
  });

  test('without SMTP_URL the outbox lists the .eml written for a reply, newest first; one opens with its headers and text, the HTML only in a sandboxed frame', async () => {
    const c = await s.postContact({ from: { name: 'Elena Vasilescu', email: 'elena.vasilescu@exemplu.ro' }, subject: 'Groapă în asfalt' });
    const html = '<p>Bună ziua, <b>am primit</b> sesizarea.</p><script>parent.__pwned = 1</script><img src="https://tracker.test/p.png">';
    const m = await createOutboundMessage(s.t.ctx, { conversationId: c.id, agentId: null, kind: 'reply', channel: 'email', text: 'Bună ziua, am primit sesizarea și o transmitem Direcției Drumuri.', html });
    const file = path.join(s.t.dataDir, 'outbox', 'email', `${m.id}.eml`);
    await until('the .eml written by the send job', async () => fs.access(file).then(() => true, () => false), 30_000, 100);

    const page = await signIn('sef@primarie.test');
    await page.goto(`${s.base}/console/#/admin/email`);
    await page.waitForSelector('h1:has-text("Canalul email")');
    // A supervisor reads; only administrators change mailboxes.
    expect(await page.locator('text=Cutiile poștale le pot adăuga și modifica doar administratorii').count()).toBe(1);
    expect(await page.locator('button:has-text("Adaugă o cutie poștală")').count()).toBe(0);
    expect(await page.locator('[data-testid="mailbox-row"] button').count()).toBe(0);

    const row = page.locator('[data-testid="outbox-row"]').first();
    await row.waitFor();
    expect(await row.textContent()).toContain('elena.vasilescu@exemplu.ro');
    expect(await row.textContent()).toContain(`[#${c.registrationNumber}]`);
    await row.locator('button').click();
    await page.waitForSelector('[data-testid="outbox-message"] h3');
    await until('focus on the message', async () => (await page.evaluate(() => document.activeElement?.id)) === 'ob-title');
    const msg = page.locator('[data-testid="outbox-message"]');
    expect(await msg.locator('th', { hasText: /^To$/i }).count()).toBe(1);
    expect(await msg.locator('th', { hasText: /^Message-ID$/i }).count()).toBe(1);
    expect(await text(page, '[data-testid="outbox-text"]')).toContain('o transmitem Direcției Drumuri');
    const frame = msg.locator('iframe.email-frame');
    expect(await frame.getAttribute('sandbox')).toBe('');
    const srcdoc = (await frame.getAttribute('srcdoc')) ?? '';
    expect(srcdoc).toContain('<b>am primit</b>');
    expect(srcdoc).not.toMatch(/script|tracker\.test/);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    const download = await msg.locator('a:has-text("Descarcă fișierul .eml")').getAttribute('href');
    const eml = await page.request.get(`${s.base}${download}`);
    expect(eml.headers()['content-disposition']).toBe(`attachment; filename="outbox-${m.id}.eml"`);
    expect(Buffer.from(await eml.body())).toEqual(await fs.readFile(file));
    await msg.locator('button:has-text("Închide mesajul")').click();
    expect(await page.locator('[data-testid="outbox-message"]').count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(`Deschide mesajul ${m.id}.eml`);
  });
});
