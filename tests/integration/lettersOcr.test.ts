import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import request from 'supertest';
import { Conversation, Letter, LetterPage, Message } from '../../db/models';
import { createApp } from '../../server/app';
import { createAgent } from '../../server/auth/createAgent';
import sharp from 'sharp';
import { inspectScan } from '../../server/letters/inspectScan';
import { LETTER_LIMITS } from '../../server/letters/limits';
import { closeLetterOcr, ocrLetter, pageImage, pageRaster } from '../../server/letters/ocrLetter';
import { OcrPool } from '../../server/letters/ocrPool';
import { readUpright } from '../../server/letters/orientation';
import { renderPdfPage } from '../../server/letters/pdfRender';
import { Citizen } from '../../db/models';
import { ingestContact } from '../../server/ingest/ingestContact';
import { contact } from '../helpers/factories';
import { characterErrorRate, degrade, LETTER_LINES, multiPageTiff, pdfOfImages, renderTextPage, turned } from '../fixtures/letters/makeScans';
import { createTestContext, type TestContext } from '../helpers/context';
import { DIALECTS } from '../helpers/services';

// OCR is CPU heavy and the machine is shared: a handful of small pages, one pool of two threads per suite.
jest.setTimeout(300_000);

const REFERENCE = LETTER_LINES.join('\n');
const CNP_SHAPE = /(?<!\d)\d(?:[ .\u2010-\u2015-]{0,2}\d){12}(?!\d)/;

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('OCR of scans generated from known Romanian text', () => {
  let dir: string;
  let pool: OcrPool;
  let clean: Buffer;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ghiseu-ocr-'));
    pool = new OcrPool(dir, 2);
    clean = await renderTextPage(LETTER_LINES);
  });
  afterAll(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const read = async (data: Buffer, type: string, page = 0) => (await pool.recognize((await pageImage(data, type, page)).png)).text;

  it('a blank page gives no text rather than invented words', async () => {
    const blank = await renderTextPage([]);
    expect((await read(blank, 'image/png')).trim()).toBe('');
  });

  it('reads a clean page with every diacritic: character error rate at most 2 %', async () => {
    const text = await read(clean, 'image/png');
    const cer = characterErrorRate(REFERENCE, text);
    expect(cer).toBeLessThanOrEqual(0.02);
    expect(text).toContain('Țărănescu');
    expect(text).toContain('Mărășești');
  });

  it('reads rotated + blurred and noisy scans: character error rate at most 6 %', async () => {
    const [skewed, noisy] = await Promise.all([degrade(clean, { angle: 2, blur: 1 }), degrade(clean, { angle: 1, noise: 0.04, seed: 7 })]);
    const [a, b] = await Promise.all([read(skewed, 'image/jpeg'), read(noisy, 'image/jpeg')]);
    expect(characterErrorRate(REFERENCE, a)).toBeLessThanOrEqual(0.06);
    expect(characterErrorRate(REFERENCE, b)).toBeLessThanOrEqual(0.06);
  });

  it('reads pages scanned sideways or upside down upright: clean at most 2 %, noisy at most 6 %', async () => {
    const noisy = await degrade(clean, { angle: 1, noise: 0.04, seed: 11 });
    const cases = [
      { page: await turned(clean, 90), type: 'image/png', limit: 0.02, expected: 270 },
      { page: await turned(clean, 180), type: 'image/png', limit: 0.02, expected: 180 },
      { page: await turned(clean, 270), type: 'image/png', limit: 0.02, expected: 90 },
      { page: await sharp(noisy).rotate(180).jpeg({ quality: 80 }).toBuffer(), type: 'image/jpeg', limit: 0.06, expected: 180 },
      { page: await sharp(noisy).rotate(90).jpeg({ quality: 80 }).toBuffer(), type: 'image/jpeg', limit: 0.06, expected: 270 },
    ];
    const read = await Promise.all(cases.map(async (c) => readUpright(pool, await pageRaster(c.page, c.type, 0))));
    for (const [i, r] of read.entries()) {
      expect({ i, rotation: r.rotation }).toEqual({ i, rotation: cases[i]!.expected });
      expect(characterErrorRate(REFERENCE, r.text)).toBeLessThanOrEqual(cases[i]!.limit);
      // Stored upright: the page read is wider than tall, like the page written.
      expect(r.image.width).toBeGreaterThan(r.image.height);
    }
    // An upright page is read once and left as it is.
    const upright = await readUpright(pool, await pageRaster(clean, 'image/png', 0));
    expect(upright.rotation).toBe(0);
  });

  it('reads each page of a multi-page TIFF whose pages differ in size', async () => {
    const second = ['Pagina a doua: vă rog să îmi răspundeți în scris.', 'Cu stimă, Ioana Țărănescu'];
    const third = ['Anexa: fotografii ale străzii Grădiște.'];
    const tiff = await multiPageTiff([clean, await renderTextPage(second), await renderTextPage(third, { width: 2400 })]);
    const inspection = await inspectScan(tiff);
    expect(inspection).toMatchObject({ ok: true, contentType: 'image/tiff' });
    expect(inspection.ok && inspection.pages.map((p) => [p.width, p.height])).toEqual([[2000, 560], [2000, 280], [2400, 210]]);
    const texts = await Promise.all([0, 1, 2].map((i) => read(tiff, 'image/tiff', i)));
    expect(characterErrorRate(REFERENCE, texts[0]!)).toBeLessThanOrEqual(0.02);
    expect(characterErrorRate(second.join('\n'), texts[1]!)).toBeLessThanOrEqual(0.02);
    expect(characterErrorRate(third.join('\n'), texts[2]!)).toBeLessThanOrEqual(0.02);
  });

  it('renders a PDF page at 300 dpi, and never past the pixel limit whatever scale is asked', async () => {
    const pdf = await pdfOfImages([clean]);
    const a4 = await pageRaster(pdf, 'application/pdf', 0);
    expect(a4.width).toBeGreaterThanOrEqual(2479);
    expect(a4.width).toBeLessThanOrEqual(2482);
    const huge = await renderPdfPage(pdf, 0, 100, LETTER_LIMITS.maxPagePixels);
    expect(huge.width * huge.height).toBeLessThanOrEqual(LETTER_LIMITS.maxPagePixels);
    expect(huge.width * huge.height).toBeGreaterThan(0.9 * LETTER_LIMITS.maxPagePixels);
    expect(huge.pixels.length).toBe(huge.width * huge.height);
  });

  it('reads each page of a multi-page PDF made of page images', async () => {
    const second = ['Pagina a doua: vă rog să îmi răspundeți în scris.', 'Cu stimă, Ioana Țărănescu'];
    const pdf = await pdfOfImages([clean, await renderTextPage(second)]);
    const [p1, p2] = await Promise.all([read(pdf, 'application/pdf', 0), read(pdf, 'application/pdf', 1)]);
    expect(characterErrorRate(REFERENCE, p1)).toBeLessThanOrEqual(0.02);
    expect(characterErrorRate(second.join('\n'), p2)).toBeLessThanOrEqual(0.02);
  });
});

describe.each(DIALECTS)('letter OCR job on %s', (dialect) => {
  let t: TestContext;

  beforeAll(async () => {
    t = await createTestContext(dialect);
    t.ctx.jobs.handle('letter.ocr', (d) => ocrLetter(t.ctx, d.letterId));
    await t.ctx.jobs.start();
  });
  afterAll(async () => {
    await closeLetterOcr(t.ctx);
    await t?.cleanup();
  });

  it('uploads a two-page PDF, shows progress, stores each page redacted with its confidence, and releases the letter', async () => {
    const app = createApp(t.ctx);
    await createAgent(t.ctx, { email: 'registratura@primarie.test', name: 'Radu Registru', role: 'agent', password: 'parola-de-test-lunga', allDepartments: true });
    const login = await request(app).post('/api/v1/auth/login').send({ email: 'registratura@primarie.test', password: 'parola-de-test-lunga' });
    const cookie = (login.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    const page1 = await renderTextPage([
      'Către Primăria Municipiului Arad',
      'Subsemnata Ioana Țărănescu, CNP 2 850312 020013, domiciliată în Arad,',
      'strada Mărășești nr. 12, telefon 0722 123 456,',
      'vă rog să reparați iluminatul public din cartierul Grădiște.',
    ]);
    const page2 = await renderTextPage(['Subiect: Iluminat public stins', 'Cu stimă,', 'Ioana Țărănescu']);
    const pdf = await pdfOfImages([page1, page2]);

    const res = await request(app).post('/api/v1/letters').set('Cookie', cookie).set('X-CSRF-Token', login.body.csrfToken).attach('files', pdf, 'scrisoare.pdf');
    expect(res.status).toBe(201);
    const id = res.body.items[0].letter.id as number;
    expect(res.body.items[0].letter.progress).toEqual({ pagesDone: 0, pages: 2 });

    const done = await until('the letter read', async () => {
      const l = await Letter.findByPk(id);
      return l && ['review', 'released'].includes(l.status) ? l : null;
    });
    expect(done.pagesDone).toBe(2);
    const pages = await LetterPage.findAll({ where: { letterId: id }, order: [['pageNo', 'ASC']] });
    expect(pages.map((p) => p.status)).toEqual(['done', 'done']);
    for (const p of pages) {
      expect(p.confidence).toBeGreaterThan(70);
      expect(p.text).not.toMatch(CNP_SHAPE);
    }
    expect(pages[0]!.text).toContain('[CNP ascuns]');
    expect(done.status).toBe('released');
    expect(done.fields).toMatchObject({ senderName: 'Ioana Țărănescu', phone: '0722123456', subject: 'Iluminat public stins' });

    const view = await request(app).get(`/api/v1/letters/${id}`).set('Cookie', cookie);
    expect(view.body.progress).toEqual({ pagesDone: 2, pages: 2 });
    expect(JSON.stringify(view.body)).not.toMatch(CNP_SHAPE);
    const image = await request(app).get(`/api/v1/letters/${id}/pages/2/image`).set('Cookie', cookie);
    expect(image.status).toBe(200);
    expect(image.headers['content-type']).toBe('image/png');
    const message = await Message.findByPk(done.messageId!, { rejectOnEmpty: true });
    expect(message.text).toContain('Mărășești');
    expect(message.text).not.toMatch(CNP_SHAPE);
    const c = await Conversation.findByPk(done.conversationId!, { rejectOnEmpty: true });
    expect(c.legalBasis).toBe('petition');
  });

  it('reads a 3-page TIFF with a page upside down and one sideways into one letter of 3 upright pages, linked by its CNP to an earlier contact', async () => {
    const app = createApp(t.ctx);
    await createAgent(t.ctx, { email: 'registru2@primarie.test', name: 'Rodica Registru', role: 'agent', password: 'parola-de-test-lunga', allDepartments: true });
    const login = await request(app).post('/api/v1/auth/login').send({ email: 'registru2@primarie.test', password: 'parola-de-test-lunga' });
    const cookie = (login.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    const earlier = await ingestContact(t.ctx, contact({ channel: 'api', from: { name: 'Elena Mureșan', email: 'elena.muresan@exemplu.ro', cnp: '2850312020010' } }));
    await t.ctx.events.drain();

    const lines = [
      [
        'Către Primăria Municipiului Arad',
        'Subsemnata Elena Mureșan, CNP 2 850312 020010, domiciliată în Arad,',
        'strada Vârful cu Dor nr. 7, telefon 0733 222 111,',
        'vă rog să reparați trotuarul din fața școlii.',
      ],
      ['Trotuarul are plăcile desprinse și copiii se împiedică zilnic.', 'Subiect: Trotuar stricat lângă școală'],
      ['Cu stimă,', 'Elena Mureșan'],
    ];
    const pages = await Promise.all(lines.map((l) => renderTextPage(l)));
    const tiff = await multiPageTiff([pages[0]!, await turned(pages[1]!, 180), await turned(pages[2]!, 90)]);
    const res = await request(app).post('/api/v1/letters').set('Cookie', cookie).set('X-CSRF-Token', login.body.csrfToken).attach('files', tiff, 'scrisoare.tiff');
    expect(res.status).toBe(201);
    const id = res.body.items[0].letter.id as number;
    expect(res.body.items[0].letter.progress).toEqual({ pagesDone: 0, pages: 3 });

    const done = await until('the letter read', async () => {
      const l = await Letter.findByPk(id);
      return l && ['review', 'released'].includes(l.status) ? l : null;
    }, 240_000);
    const rows = await LetterPage.findAll({ where: { letterId: id }, order: [['pageNo', 'ASC']] });
    expect(rows.map((p) => [p.pageNo, p.status, p.rotation])).toEqual([[1, 'done', 0], [2, 'done', 180], [3, 'done', 270]]);
    expect(characterErrorRate(lines[1]!.join('\n'), rows[1]!.text)).toBeLessThanOrEqual(0.02);
    expect(characterErrorRate(lines[2]!.join('\n'), rows[2]!.text)).toBeLessThanOrEqual(0.02);
    expect(rows[0]!.text).toContain('[CNP ascuns]');
    expect(rows[0]!.cnpHash).toMatch(/^[0-9a-f]{64}$/);
    expect(done.status).toBe('released');
    const c = await Conversation.findByPk(done.conversationId!, { rejectOnEmpty: true });
    expect(c.citizenId).toBe(earlier.conversation.citizenId);
    expect(await Citizen.count({ where: { name: 'Elena Mureșan' } })).toBe(1);

    // The clerk sees the pages the way they were read: the sideways page comes back upright (wider than tall).
    const image = await request(app).get(`/api/v1/letters/${id}/pages/3/image`).set('Cookie', cookie).buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (d: Buffer) => chunks.push(d));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(image.status).toBe(200);
    const meta = await sharp(image.body as Buffer).metadata();
    expect(meta.width!).toBeGreaterThan(meta.height!);
    const view = await request(app).get(`/api/v1/letters/${id}`).set('Cookie', cookie);
    expect(view.body.pages.map((p: { rotation: number }) => p.rotation)).toEqual([0, 180, 270]);
    for (const url of [`/api/v1/letters/${id}`, `/api/v1/conversations/${c.id}`]) {
      const body = JSON.stringify((await request(app).get(url).set('Cookie', cookie)).body);
      expect(body).not.toMatch(CNP_SHAPE);
      expect(body).not.toContain('2850312020010');
    }
  });
});
