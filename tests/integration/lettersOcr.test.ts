import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import request from 'supertest';
import { Conversation, Letter, LetterPage, Message } from '../../db/models';
import { createApp } from '../../server/app';
import { createAgent } from '../../server/auth/createAgent';
import { closeLetterOcr, ocrLetter, pageImage } from '../../server/letters/ocrLetter';
import { OcrPool } from '../../server/letters/ocrPool';
import { characterErrorRate, degrade, LETTER_LINES, pdfOfImages, renderTextPage } from '../fixtures/letters/makeScans';
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
});
