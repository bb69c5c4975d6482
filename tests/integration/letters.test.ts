import { promises as fs } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { Express } from 'express';
import { Conversation, ConversationEvent, Letter, LetterPage, Message, QueueEntry } from '../../db/models';
import { createApp } from '../../server/app';
import { createAgent } from '../../server/auth/createAgent';
import { ingestContact } from '../../server/ingest/ingestContact';
import { InboxWatcher } from '../../server/letters/inboxWatcher';
import { intakeLetter, requeueLetters } from '../../server/letters/intakeLetter';
import { ocrLetter } from '../../server/letters/ocrLetter';
import { configureRouting, type RoutingEngine } from '../../server/routing/engine';
import { corruptPdf, pngBomb, tinyScan } from '../fixtures/letters/makeScans';
import { contact, department } from '../helpers/factories';
import { createTestContext, type TestContext } from '../helpers/context';
import { DIALECTS } from '../helpers/services';

jest.setTimeout(180_000);

const PASSWORD = 'parola-de-test-lunga';
/** Anything shaped like a CNP: 13 digits, separators allowed. */
const CNP_SHAPE = /(?<!\d)\d(?:[ .\u2010-\u2015-]{0,2}\d){12}(?!\d)/;

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(DIALECTS)('scanned letters on %s', (dialect) => {
  let t: TestContext;
  let app: Express;
  let engine: RoutingEngine;
  let running: { stop(): Promise<void> };
  let session: { cookie: string; csrf: string };

  const upload = (files: { name: string; data: Buffer }[]) => {
    let r = request(app).post('/api/v1/letters').set('Cookie', session.cookie).set('X-CSRF-Token', session.csrf);
    for (const f of files) r = r.attach('files', f.data, f.name);
    return r;
  };
  const api = (method: 'get' | 'patch' | 'post', url: string) => request(app)[method](`/api/v1${url}`).set('Cookie', session.cookie).set('X-CSRF-Token', session.csrf);

  /** Stands in for tesseract: the page text and confidence a job would have stored, then the rest of the job runs. */
  async function readAs(letterId: number, text: string, confidence: number) {
    await LetterPage.create({ letterId, pageNo: 1, status: 'done', text, confidence, width: 800, height: 100, ocrMs: 1, error: null });
    await ocrLetter(t.ctx, letterId);
    await t.ctx.events.drain();
    return Letter.findByPk(letterId, { rejectOnEmpty: true });
  }

  beforeAll(async () => {
    t = await createTestContext(dialect);
    app = createApp(t.ctx);
    engine = configureRouting(t.ctx, { offerTimeoutMs: 30_000 });
    running = engine.start({ sweeper: false });
    await createAgent(t.ctx, { email: 'registratura@primarie.test', name: 'Radu Registru', role: 'agent', password: PASSWORD, allDepartments: true });
    const res = await request(app).post('/api/v1/auth/login').send({ email: 'registratura@primarie.test', password: PASSWORD });
    expect(res.status).toBe(200);
    session = { cookie: (res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!, csrf: res.body.csrfToken };
  });

  afterAll(async () => {
    await running?.stop();
    await t?.cleanup();
  });

  it('refuses uploads without a session or a CSRF token', async () => {
    const scan = await tinyScan('fără sesiune');
    expect((await request(app).post('/api/v1/letters').attach('files', scan, 'a.png')).status).toBe(401);
    const noCsrf = await request(app).post('/api/v1/letters').set('Cookie', session.cookie).attach('files', scan, 'a.png');
    expect(noCsrf.status).toBe(403);
    expect(await Letter.count()).toBe(0);
  });

  it('refuses a corrupt PDF with a clear reason, keeps the file, registers nothing; the same file again is a duplicate', async () => {
    const bad = corruptPdf();
    const res = await upload([{ name: 'stricat.pdf', data: bad }]);
    expect(res.status).toBe(200);
    const item = res.body.items[0];
    expect(item.refusal.code).toBe('corrupt_pdf');
    expect(item.refusal.reason).toMatch(/PDF deteriorat.*damaged/);
    expect(item.letter.status).toBe('rejected');
    const letter = await Letter.findByPk(item.letter.id, { rejectOnEmpty: true });
    expect(await t.ctx.blobs.has(letter.sha256)).toBe(true);
    expect((await t.ctx.blobs.get(letter.sha256)).equals(bad)).toBe(true);
    expect(await Conversation.count()).toBe(0);

    const again = await upload([{ name: 'stricat-2.pdf', data: bad }]);
    expect(again.body.items[0]).toMatchObject({ duplicate: true, refusal: { code: 'corrupt_pdf' } });
    expect(await Letter.count({ where: { status: 'rejected' } })).toBe(1);
  });

  it('refuses a 30,000 × 30,000 pixel image from its header, saying why', async () => {
    const bomb = await pngBomb(30_000, 30_000);
    expect(bomb.length).toBeLessThan(5 * 1024 * 1024);
    const before = process.memoryUsage().rss;
    const res = await upload([{ name: 'bomba.png', data: bomb }]);
    expect(res.status).toBe(200);
    expect(res.body.items[0].refusal.code).toBe('too_many_pixels');
    expect(res.body.items[0].refusal.reason).toContain('30000 × 30000');
    expect(res.body.items[0].refusal.reason).toMatch(/900 MP/);
    // Nothing near 900 MB was allocated to decode it.
    expect(process.memoryUsage().rss - before).toBeLessThan(300 * 1024 * 1024);
    expect(await Conversation.count()).toBe(0);
  });

  it('registers an uploaded scan at once, holds its case out of routing while it is read, and a duplicate upload is one letter', async () => {
    const scan = await tinyScan('duplicat');
    const res = await upload([{ name: 'scrisoare.png', data: scan }]);
    expect(res.status).toBe(201);
    const view = res.body.items[0].letter;
    expect(view).toMatchObject({ status: 'ocr', progress: { pagesDone: 0, pages: 1 }, source: 'upload' });
    const conversation = await Conversation.findByPk(view.conversationId, { rejectOnEmpty: true });
    expect(conversation.registrationNumber).toMatch(/^\d+\/\d{4}$/);
    expect(conversation.channel).toBe('letter');
    expect(conversation.registeredAt.getTime()).toBeLessThanOrEqual(Date.now());

    await t.ctx.events.drain();
    await engine.caseChanged(conversation.id);
    await engine.sweep();
    expect(await QueueEntry.findOne({ where: { conversationId: conversation.id } })).toBeNull();

    const again = await upload([{ name: 'alt-nume.png', data: scan }]);
    expect(again.status).toBe(200);
    expect(again.body.items[0]).toMatchObject({ duplicate: true, letter: { id: view.id } });
    expect(await Message.count({ where: { channel: 'letter' } })).toBe(1);
    expect(await Conversation.count()).toBe(1);
  });

  it('holds an unsure letter for review; the clerk corrects and releases it; no CNP shape ever reaches the API', async () => {
    const scan = await tinyScan('de verificat');
    const { letter } = await intakeLetter(t.ctx, { data: scan, filename: 'neclar.png', source: 'upload' });
    const text = [
      'Subsemnatul Ion Vasilescu, CNP 1 630615 123457, domiciliat în Arad, Str. Horia nr. 3,',
      'al doilea cod greșit 1-630615-123458 și altul 2 900101 12 34 56.',
      'Subiect: Cerere de reparații la trotuar',
    ].join('\n');
    const read = await readAs(letter.id, text, 41);
    expect(read.status).toBe('review');
    expect(read.reviewReasons).toContain('low_confidence');
    // The stand-in stored the raw text (the OCR job stores it redacted, see lettersOcr.test.ts): the API must still hide it.
    expect((await LetterPage.findOne({ where: { letterId: letter.id }, rejectOnEmpty: true })).text).toMatch(CNP_SHAPE);

    const queue = await api('get', '/letters?status=review');
    expect(queue.status).toBe(200);
    expect(queue.body.items.map((i: { id: number }) => i.id)).toContain(letter.id);
    const detail = await api('get', `/letters/${letter.id}`);
    expect(detail.body.pages[0].text).toContain('[CNP ascuns]');
    expect(detail.body.fields).toMatchObject({ senderName: 'Ion Vasilescu', subject: 'Cerere de reparații la trotuar' });
    for (const body of [queue.body, detail.body]) expect(JSON.stringify(body)).not.toMatch(CNP_SHAPE);
    await t.ctx.events.drain();
    expect(await QueueEntry.findOne({ where: { conversationId: read.conversationId! } })).toBeNull();

    const bad = await api('patch', `/letters/${letter.id}/fields`).send({ email: 'nu-e-email' });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code ?? bad.body.code).toBe('validation_failed');
    const patched = await api('patch', `/letters/${letter.id}/fields`).send({ email: 'ion.vasilescu@example.ro', postalAddress: 'Arad, Str. Horia nr. 3, CNP 1630615123457' });
    expect(patched.status).toBe(200);
    expect(JSON.stringify(patched.body)).not.toMatch(CNP_SHAPE);

    const released = await api('post', `/letters/${letter.id}/release`).send({});
    expect(released.status).toBe(200);
    expect(released.body.status).toBe('released');
    const again = await api('post', `/letters/${letter.id}/release`).send({});
    expect(again.status).toBe(409);
    await t.ctx.events.drain();

    const c = await Conversation.findByPk(read.conversationId!, { rejectOnEmpty: true });
    expect(c.citizenId).not.toBeNull();
    expect(c.anonymous).toBe(false);
    expect(c.legalBasis).toBe('petition');
    expect(c.legalDueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(c.subject).toBe('Cerere de reparații la trotuar');
    expect(await QueueEntry.findOne({ where: { conversationId: c.id, state: 'waiting' } })).not.toBeNull();
    const message = await Message.findByPk(read.messageId!, { rejectOnEmpty: true });
    expect(message.text).toContain('Ion Vasilescu');
    expect(message.text).not.toMatch(CNP_SHAPE);
    const caseView = await api('get', `/conversations/${c.id}`);
    expect(caseView.status).toBe(200);
    expect(JSON.stringify(caseView.body)).not.toMatch(CNP_SHAPE);

    // The scan goes where its case goes: an agent of another department sees neither the letter nor its pages.
    const other = await department('iluminat');
    await department('drumuri');
    await Conversation.update({ departmentId: other.id }, { where: { id: c.id } });
    await createAgent(t.ctx, { email: 'drumuri@primarie.test', name: 'Dan Drumaru', role: 'agent', password: PASSWORD, departments: ['drumuri'] });
    const login = await request(app).post('/api/v1/auth/login').send({ email: 'drumuri@primarie.test', password: PASSWORD });
    const cookie = (login.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    expect((await request(app).get(`/api/v1/letters/${letter.id}`).set('Cookie', cookie)).status).toBe(404);
    const theirList = await request(app).get('/api/v1/letters').set('Cookie', cookie);
    expect(theirList.body.items.map((i: { id: number }) => i.id)).not.toContain(letter.id);
    expect((await request(app).get(`/api/v1/letters/${letter.id}/pages/1/image`).set('Cookie', cookie)).status).toBe(404);
    expect((await api('get', `/letters/${letter.id}/pages/1/image`)).status).toBe(200);
  });

  it('refuses to release a letter nobody identified, and a letter that is not waiting for review', async () => {
    const { letter } = await intakeLetter(t.ctx, { data: await tinyScan('anonim'), filename: 'anonim.png', source: 'upload' });
    const read = await readAs(letter.id, 'Vă rog să curățați parcul din spatele blocului, e plin de gunoaie.', 93);
    expect(read.status).toBe('review');
    expect(read.reviewReasons).toEqual(['no_sender']);
    const res = await api('post', `/letters/${letter.id}/release`).send({});
    expect(res.status).toBe(400);
    const { letter: other } = await intakeLetter(t.ctx, { data: await tinyScan('încă în OCR'), filename: 'x.png', source: 'upload' });
    expect((await api('post', `/letters/${other.id}/release`).send({ senderName: 'Ana Pop' })).status).toBe(409);
    expect((await api('post', `/letters/999999/release`).send({})).status).toBe(404);
  });

  it('releases a clear letter by itself and joins it into the case whose number it quotes', async () => {
    const earlier = await ingestContact(t.ctx, contact({ channel: 'api' }));
    await t.ctx.events.drain();
    const { letter } = await intakeLetter(t.ctx, { data: await tinyScan('referință'), filename: 'revenire.png', source: 'folder' });
    const text = [
      'Subsemnata Maria Ionescu, domiciliată în Arad, Bd. Revoluției nr. 5, telefon 0744 555 666,',
      `revin la sesizarea nr. ${earlier.conversation.registrationNumber} privind groapa, care nu a fost reparată.`,
      'Vă rog să îmi răspundeți pe e-mail la maria.ionescu@example.ro. Arad, 3 martie 2026',
    ].join('\n');
    const read = await readAs(letter.id, text, 91);
    expect(read.status).toBe('released');
    expect(read.fields).toMatchObject({
      senderName: 'Maria Ionescu',
      phone: '0744555666',
      email: 'maria.ionescu@example.ro',
      referenceNumber: earlier.conversation.registrationNumber,
      letterDate: '2026-03-03',
      wantsEmailReply: true,
    });
    expect((await api('get', `/letters/${letter.id}`)).body.replyChannel).toBe('email');
    const c = await Conversation.findByPk(read.conversationId!, { rejectOnEmpty: true });
    expect(c.status).toBe('joined');
    expect(c.joinedIntoId).toBe(earlier.conversation.id);
    expect(await ConversationEvent.count({ where: { conversationId: earlier.conversation.id, type: 'conversation.duplicates_joined' } })).toBe(1);
    expect(await QueueEntry.findOne({ where: { conversationId: c.id, state: 'waiting' } })).toBeNull();
  });

  it('finishes, at a worker start, a letter stored but not registered before a crash', async () => {
    const data = await tinyScan('oprit la jumătate');
    const blob = await t.ctx.blobs.put(data);
    const stuck = await Letter.create({ sha256: blob.sha256, filename: 'oprit.png', contentType: 'image/png', size: blob.size, source: 'folder', status: 'received', rejectCode: null, rejectReason: null, pageCount: 1, confidence: null, conversationId: null, messageId: null, uploadedById: null, releasedById: null, releasedAt: null });
    // A minute old: not an intake still running elsewhere.
    await Letter.update({ createdAt: new Date(Date.now() - 120_000) }, { where: { id: stuck.id }, silent: true });
    await requeueLetters(t.ctx);
    await requeueLetters(t.ctx);
    await stuck.reload();
    expect(stuck.status).toBe('ocr');
    expect(await Message.count({ where: { channel: 'letter', externalId: blob.sha256 } })).toBe(1);
    expect((await t.ctx.jobs.counts()).waiting).toBeGreaterThan(0);
  });

  it('takes 20 files dropped in the watched folder across a restart: each registered once, a bad one set aside with its reason', async () => {
    const inbox = path.join(t.dataDir, 'inbox');
    await fs.mkdir(inbox, { recursive: true });
    const lettersBefore = await Letter.count({ where: { source: 'folder' } });
    const first = new InboxWatcher(t.ctx, inbox, { pollMs: 30 });
    await first.start();
    // A scanner writing a file slowly, under a temporary name renamed when done, and directly.
    for (let i = 1; i <= 20; i++) {
      const data = await tinyScan(`dosar ${i}`);
      if (i % 2) {
        await fs.writeFile(path.join(inbox, `scan-${i}.png.part`), data);
        await fs.rename(path.join(inbox, `scan-${i}.png.part`), path.join(inbox, `scan-${i}.png`));
      } else {
        await fs.writeFile(path.join(inbox, `scan-${i}.png`), data.subarray(0, 100));
        await fs.appendFile(path.join(inbox, `scan-${i}.png`), data.subarray(100));
      }
    }
    await fs.writeFile(path.join(inbox, 'stricat.pdf'), Buffer.concat([corruptPdf(), Buffer.from('folder')]));
    await until('a few files taken', async () => (await fs.readdir(first.doneDir)).length >= 3);
    await first.stop(); // the process goes down mid-way

    // A crash after a file was registered but before it moved: the file is still in the inbox.
    const done = await fs.readdir(first.doneDir);
    await fs.copyFile(path.join(first.doneDir, done[0]!), path.join(inbox, done[0]!));

    // The restarted process: a new watcher that remembers nothing of the first one.
    const second = new InboxWatcher(t.ctx, inbox, { pollMs: 30 });
    try {
      await second.start();
      await until('the inbox emptied', async () => (await fs.readdir(inbox, { withFileTypes: true })).filter((e) => e.isFile()).length === 0, 90_000);
    } finally {
      await second.stop();
    }
    const folder = await Letter.findAll({ where: { source: 'folder' } });
    const fresh = folder.length - lettersBefore;
    expect(fresh).toBe(21);
    expect(folder.filter((l) => l.status === 'rejected').map((l) => l.rejectCode)).toEqual(['corrupt_pdf']);
    const registered = folder.filter((l) => l.filename.startsWith('scan-'));
    expect(new Set(registered.map((l) => l.filename)).size).toBe(20);
    expect(new Set(registered.map((l) => l.conversationId)).size).toBe(20);
    expect(await Message.count({ where: { channel: 'letter', externalId: registered.map((l) => l.sha256) } })).toBe(20);
    const doneFiles = (await fs.readdir(first.doneDir)).filter((n) => n.startsWith('scan-'));
    expect(doneFiles).toHaveLength(21); // the re-dropped copy is kept beside the first under a suffixed name
    const rejected = await fs.readdir(first.rejectedDir);
    expect(rejected.sort()).toEqual(['stricat.pdf', 'stricat.pdf.reason.txt']);
    expect(await fs.readFile(path.join(first.rejectedDir, 'stricat.pdf.reason.txt'), 'utf8')).toMatch(/code: corrupt_pdf\nreason: PDF deteriorat/);
  });
});
