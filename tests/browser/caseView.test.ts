import type { BrowserContext, Page } from 'playwright-core';
import { letterContact } from '../../channels/letter/letterContact';
import { Attachment, Letter, LetterPage } from '../../db/models';
import { ingestContact } from '../../server/ingest/ingestContact';
import { ocrLetter } from '../../server/letters/ocrLetter';
import { redactCnpText } from '../../server/text/cnp';
import { LETTER_LINES, pdfOfImages, renderTextPage } from '../fixtures/letters/makeScans';
import type { TestDialect } from '../helpers/services';
import { AGENT_PASSWORD, startConsoleServer, until, type ConsoleServer } from './helpers/consoleServer';

jest.setTimeout(180_000);

/** SQLite by default (the embedded mode); CONSOLE_BROWSER_DIALECT=mariadb runs the same against MariaDB. */
const DIALECT: TestDialect = process.env.CONSOLE_BROWSER_DIALECT === 'mariadb' ? 'mariadb' : 'sqlite';
/** Anything shaped like a CNP: 13 digits, with the spaces, dots and dashes people and OCR put between them. */
const CNP_SHAPE = /(?<!\d)\d(?:[ .\u00a0\u2010-\u2015-]{0,2}\d){12}(?!\d)/;

interface Signed {
  context: BrowserContext;
  page: Page;
}

describe('case view in Chromium: a letter\'s pages and text, the duplicate picker', () => {
  let s: ConsoleServer;
  let agent: Signed;
  let supervisor: Signed;
  let letterCase: { id: number; letterId: number; scanAttachmentId: number };

  async function signIn(email: string): Promise<Signed> {
    const context = await s.browser.newContext({ locale: 'ro-RO', timezoneId: 'Europe/Bucharest' });
    const page = await context.newPage();
    await page.goto(`${s.base}/console/`);
    await page.fill('#email', email);
    await page.fill('#password', AGENT_PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="who"]');
    return { context, page };
  }

  async function openCase(p: Page, id: number): Promise<void> {
    await p.goto(`${s.base}/console/#/case/${id}`);
    await p.waitForSelector(`[data-testid="case-view"][data-case-id="${id}"]`);
  }

  /** True once the image at the locator has loaded with real pixels. */
  const imageLoaded = (p: Page) =>
    p.locator('[data-testid="letter-page-image"]').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 100);

  beforeAll(async () => {
    s = await startConsoleServer(DIALECT, [
      { email: 'ana@primarie.test', name: 'Ana Ionescu' },
      { email: 'sorina@primarie.test', name: 'Sorina Șef', role: 'supervisor' },
    ]);
    // A two-page scanned PDF registered as intake does (stored, a Letter row, ingest on the letter channel),
    // with the pages' text standing in for tesseract (the OCR itself is tested in the letters suites): page one
    // as the OCR job stores it (CNPs redacted), page two as an older row with a dashed CNP still in it, which
    // the case view must redact on its own. Then the rest of the OCR job runs: extraction, release or review.
    const page1Lines = [...LETTER_LINES.slice(0, 3), 'CNP 1800101123456, vă rog să reparați becurile.', ...LETTER_LINES.slice(3)];
    const page2Lines = ['Anexez copia cererii anterioare.', 'Cod numeric personal: 2850312-123456-3', 'Cu stimă, Ioana Țărănescu'];
    const pdf = await pdfOfImages([await renderTextPage(page1Lines), await renderTextPage(page2Lines)]);
    const ctx = s.t.ctx;
    const blob = await ctx.blobs.put(pdf);
    const letter = await Letter.create({
      sha256: blob.sha256, filename: 'scrisoare-taranescu.pdf', contentType: 'application/pdf', size: blob.size, source: 'upload', status: 'received',
      rejectCode: null, rejectReason: null, pageCount: 2, confidence: null, conversationId: null, messageId: null, uploadedById: null, releasedById: null, releasedAt: null,
    });
    const ingested = await ingestContact(ctx, letterContact({ sha256: blob.sha256, filename: letter.filename, data: pdf, contentType: 'application/pdf', pages: 2, receivedAt: letter.createdAt }));
    await Letter.update({ status: 'ocr', conversationId: ingested.conversation.id, messageId: ingested.message.id }, { where: { id: letter.id } });
    await LetterPage.create({ letterId: letter.id, pageNo: 1, status: 'done', text: redactCnpText(page1Lines.join('\n')), confidence: 93, width: 2000, height: 700, ocrMs: 1, error: null });
    await LetterPage.create({ letterId: letter.id, pageNo: 2, status: 'done', text: page2Lines.join('\n'), confidence: 91, width: 2000, height: 400, ocrMs: 1, error: null });
    await ocrLetter(ctx, letter.id);
    const scan = await Attachment.findOne({ where: { messageId: ingested.message.id } });
    letterCase = { id: ingested.conversation.id, letterId: letter.id, scanAttachmentId: scan!.id };

    agent = await signIn('ana@primarie.test');
    supervisor = await signIn('sorina@primarie.test');
  });

  afterAll(async () => {
    for (const x of [agent, supervisor]) await x?.context.close().catch(() => undefined);
    await s?.close();
  });

  test('a letter shows its page images and its OCR text with CNPs redacted, nothing CNP-shaped in the page', async () => {
    const p = agent.page;
    await openCase(p, letterCase.id);
    await p.waitForSelector(`[data-testid="letter"][data-letter-id="${letterCase.letterId}"]`);
    expect(await p.locator('[data-testid="letter-page"]').textContent()).toBe('Pagina 1 din 2');
    await until('page 1 image', () => imageLoaded(p));
    expect(await p.locator('[data-testid="letter-page-image"]').getAttribute('src')).toBe(`/api/v1/letters/${letterCase.letterId}/pages/1/image`);
    const text1 = (await p.locator('[data-testid="letter-page-text"]').textContent()) ?? '';
    expect(text1).toMatch(/Arad/);
    expect(text1).toContain('[CNP ascuns]');

    // The letter's events are said in words (released to routing, or held for a clerk), none as a raw type.
    const timeline = (await p.locator('[data-testid="timeline"]').textContent()) ?? '';
    expect(timeline).toMatch(/Scrisoare citită și trimisă spre repartizare|Scrisoare de verificat/);
    expect(timeline).not.toContain('Eveniment:');

    // Nothing CNP-shaped anywhere in the page: not in the text shown, not in attributes, not in hidden nodes.
    const html = await p.content();
    expect(html).not.toMatch(CNP_SHAPE);
    expect(await p.evaluate(() => document.body.innerText)).not.toMatch(CNP_SHAPE);
  });

  test('the keyboard moves between pages: arrows, Home/End, and the buttons', async () => {
    const p = agent.page;
    await openCase(p, letterCase.id);
    const viewer = p.locator('[data-testid="letter-viewer"]');
    const pageLabel = p.locator('[data-testid="letter-page"]');
    await viewer.focus();
    await p.keyboard.press('ArrowRight');
    await until('page 2', async () => (await pageLabel.textContent()) === 'Pagina 2 din 2');
    expect(await p.locator('[data-testid="letter-page-image"]').getAttribute('src')).toBe(`/api/v1/letters/${letterCase.letterId}/pages/2/image`);
    await until('page 2 image', () => imageLoaded(p));
    const text2 = (await p.locator('[data-testid="letter-page-text"]').textContent()) ?? '';
    expect(text2).toMatch(/Anexez/);
    expect(text2).toContain('[CNP ascuns]');
    expect(await p.content()).not.toMatch(CNP_SHAPE);

    // Past the last page nothing moves; Home and End jump; ArrowLeft goes back.
    await p.keyboard.press('ArrowRight');
    expect(await pageLabel.textContent()).toBe('Pagina 2 din 2');
    await p.keyboard.press('Home');
    await until('page 1 by Home', async () => (await pageLabel.textContent()) === 'Pagina 1 din 2');
    await p.keyboard.press('End');
    await until('page 2 by End', async () => (await pageLabel.textContent()) === 'Pagina 2 din 2');
    await p.keyboard.press('ArrowLeft');
    await until('page 1 by ArrowLeft', async () => (await pageLabel.textContent()) === 'Pagina 1 din 2');

    // The buttons are reachable with Tab and work with Enter; the previous one is disabled on page one.
    expect(await p.getByRole('button', { name: /Pagina anterioară/ }).isDisabled()).toBe(true);
    await p.getByRole('button', { name: /Pagina următoare/ }).focus();
    await p.keyboard.press('Enter');
    await until('page 2 by the button', async () => (await pageLabel.textContent()) === 'Pagina 2 din 2');
  });

  test('the original scan is linked for a supervisor, not for an agent, and the server refuses it to the agent', async () => {
    const scanUrl = `/api/v1/conversations/${letterCase.id}/attachments/${letterCase.scanAttachmentId}`;

    await openCase(agent.page, letterCase.id);
    await agent.page.waitForSelector('[data-testid="letter"]');
    expect(await agent.page.locator('[data-testid="original-scan"]').count()).toBe(0);
    expect(await agent.page.locator('[data-testid="letter"]').textContent()).toContain('Scanarea originală poate fi deschisă doar de supervizori');
    expect(await agent.page.content()).not.toContain(scanUrl);
    const refused = await agent.page.evaluate(async (u) => (await fetch(u)).status, scanUrl);
    expect(refused).toBe(403);

    await openCase(supervisor.page, letterCase.id);
    const link = supervisor.page.locator('[data-testid="original-scan"]');
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe(scanUrl);
    const served = await supervisor.page.evaluate(async (u) => {
      const r = await fetch(u);
      return { status: r.status, type: r.headers.get('content-type') };
    }, scanUrl);
    expect(served).toEqual({ status: 200, type: 'application/pdf' });
  });

  test('the duplicate picker: suggestions with why, a search by number, keyboard ticks, a confirmation, one join', async () => {
    const email = `ion.popescu.${Date.now()}@exemplu.ro`;
    const from = { name: 'Ion Popescu', email };
    const target = await s.postContact({ from, subject: 'Groapă în carosabil pe strada Eminescu', text: 'Groapă adâncă în carosabil în fața numărului 14.' });
    const same = await s.postContact({ from, subject: 'Încă o sesizare despre groapă', text: 'Groapa de pe Eminescu s-a mărit.' });
    const other = await s.postContact({ from: { name: 'Maria Ionescu', email: `maria.${Date.now()}@exemplu.ro` }, subject: 'Alt subiect', text: 'Program de lucru cu publicul.' });

    const p = agent.page;
    await openCase(p, target.id);
    // The contacts beside the case name each way to reach the citizen in words.
    expect(await p.locator('[aria-labelledby="contacts-title"]').textContent()).toContain(`Email: ${email}`);
    const picker = p.locator('[data-testid="duplicates"]');
    const row = (id: number) => picker.locator(`[data-testid="duplicate"][data-conversation-id="${id}"]`);
    await row(same.id).waitFor();
    expect(await row(same.id).textContent()).toContain(same.registrationNumber);
    expect(await row(same.id).textContent()).toContain('același cetățean');
    expect(await row(same.id).locator('.channel-icon').textContent()).toContain('Integrare');
    expect(await row(other.id).count()).toBe(0);

    // The join button waits for a tick.
    const joinButton = picker.getByRole('button', { name: /Conexează cazurile bifate/ });
    expect(await joinButton.isDisabled()).toBe(true);

    // Another case by its registration number.
    await picker.getByLabel('Alt caz, după numărul de înregistrare').fill(other.registrationNumber);
    await p.keyboard.press('Enter');
    await row(other.id).waitFor();
    expect(await row(other.id).textContent()).toContain('găsit după numărul de înregistrare');

    // Ticks with the keyboard: focus the checkbox, Space.
    await row(same.id).locator('input[type="checkbox"]').focus();
    await p.keyboard.press('Space');
    await row(other.id).locator('input[type="checkbox"]').focus();
    await p.keyboard.press('Space');
    expect(await joinButton.textContent()).toContain('(2)');

    // Confirmation says what will happen; Escape backs out without joining.
    await joinButton.focus();
    await p.keyboard.press('Enter');
    const dialog = picker.getByRole('alertdialog');
    await dialog.waitFor();
    const said = (await dialog.textContent()) ?? '';
    expect(said).toContain(same.registrationNumber);
    expect(said).toContain(other.registrationNumber);
    expect(said).toContain(`conexate la cazul ${target.registrationNumber}`);
    expect(said).toContain('cetățenii lor vor primi răspunsul');
    await p.keyboard.press('Escape');
    await until('the dialog to close', async () => (await dialog.count()) === 0);
    const statusOf = async (id: number) =>
      ((await s.t.ctx.db.sequelize.query('SELECT status, joinedIntoId FROM conversations WHERE id = ?', { replacements: [id], plain: true })) as { status: string; joinedIntoId: number | null });
    expect((await statusOf(same.id)).status).not.toBe('joined');

    // Again, and this time confirm (the confirm button has the focus).
    await joinButton.focus();
    await p.keyboard.press('Enter');
    await dialog.waitFor();
    expect(await p.evaluate(() => document.activeElement?.textContent)).toBe('Da, conexează');
    await p.keyboard.press('Enter');
    await until('both joined', async () => {
      const [a, b] = [await statusOf(same.id), await statusOf(other.id)];
      return a.status === 'joined' && b.status === 'joined' && a.joinedIntoId === target.id && b.joinedIntoId === target.id;
    });
    await until('the confirmation on the page', async () => ((await picker.textContent()) ?? '').includes(`au fost conexate la ${target.registrationNumber}`));
    await until('the joined case gone from the suggestions', async () => (await row(same.id).count()) === 0);
    await until('the join in the timeline', async () => ((await p.locator('[data-testid="timeline"]').textContent()) ?? '').includes(same.registrationNumber));
  });
});
