import { promises as fs } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { Express } from 'express';
import { Citizen, Conversation, ConversationEvent, Letter, LetterPage, Message, QueueEntry } from '../../db/models';
import { createApp } from '../../server/app';
import { createAgent } from '../../server/auth/createAgent';
import { ingestContact } from '../../server/ingest/ingestContact';
import { InboxWatcher } from '../../server/letters/inboxWatcher';
import { intakeLetter, requeueLetters } from '../../server/letters/intakeLetter';
import { LETTER_LIMITS } from '../../server/letters/limits';
import { ocrLetter, pageCnpHash } from '../../server/letters/ocrLetter';
import { configureRouting, type RoutingEngine } from '../../server/routing/engine';
import { corruptPdf, pdfImageBomb, pngBomb, tinyScan } from '../fixtures/letters/makeScans';
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

  /**
   * Stands in for tesseract: the page text and confidence a job would have stored (with the keyed hash of a valid
   * CNP the page shows, as the job computes it), then the rest of the job runs.
   */
  async function readAs(letterId: number, text: string, confidence: number) {
    const cnpHash = pageCnpHash(text, t.ctx.config.SESSION_SECRET);
    await LetterPage.create({ letterId, pageNo: 1, status: 'done', text, confidence, width: 800, height: 100, ocrMs: 1, error: null, cnpHash });
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

  it.each(['xobject', 'form', 'inline'] as const)('refuses a PDF whose page draws a 30,000 × 30,000 pixel image (%s), saying why, and keeps the file', async (how) => {
    const bomb = await pdfImageBomb(30_000, 30_000, how);
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const before = process.memoryUsage().rss;
    const res = await upload([{ name: `bomba-${how}.pdf`, data: bomb }]);
    expect(res.status).toBe(200);
    const item = res.body.items[0];
    expect(item.refusal.code).toBe('too_many_pixels');
    expect(item.refusal.reason).toContain('30000 × 30000');
    expect(item.refusal.reason).toMatch(/900 MP.*limita de 60 MP.*embeds an image/);
    expect(process.memoryUsage().rss - before).toBeLessThan(300 * 1024 * 1024);
    const letter = await Letter.findByPk(item.letter.id, { rejectOnEmpty: true });
    expect(letter.status).toBe('rejected');
    expect((await t.ctx.blobs.get(letter.sha256)).equals(bomb)).toBe(true);
    expect(await Message.count({ where: { channel: 'letter', externalId: letter.sha256 } })).toBe(0);
  });

  it('keeps what arrived of an upload over the size limit, refuses it naming the limit, and lists it for the registry', async () => {
    const big = Buffer.alloc(LETTER_LIMITS.maxBytes + 64 * 1024, 0x20);
    Buffer.from('%PDF-1.7\n').copy(big);
    big.writeUInt32BE(0xdecafbad, LETTER_LIMITS.maxBytes - 4); // the last byte kept is still ours
    const conversationsBefore = await Conversation.count();
    const res = await upload([{ name: 'prea-mare.pdf', data: big }, { name: 'mic.png', data: await tinyScan('lângă unul prea mare') }]);
    expect(res.status).toBe(201);
    const [tooBig, small] = res.body.items;
    expect(tooBig.refusal.code).toBe('too_large');
    expect(tooBig.refusal.reason).toContain('limita de 50 MB');
    expect(tooBig.refusal.reason).toContain('the 50 MB limit');
    expect(tooBig.letter).toMatchObject({ status: 'rejected', filename: 'prea-mare.pdf', size: LETTER_LIMITS.maxBytes });
    expect(small.refusal).toBeNull();
    const kept = await Letter.findByPk(tooBig.letter.id, { rejectOnEmpty: true });
    expect(kept.uploadedById).not.toBeNull();
    expect((await t.ctx.blobs.get(kept.sha256)).equals(big.subarray(0, LETTER_LIMITS.maxBytes))).toBe(true);
    expect(await Conversation.count()).toBe(conversationsBefore + 1); // only the small scan was registered

    const listed = await api('get', '/letters?status=rejected');
    const row = listed.body.items.find((i: { id: number }) => i.id === kept.id);
    expect(row.refusal).toMatchObject({ code: 'too_large' });
    expect(row.refusal.reason).toContain('50 MB');

    const again = await upload([{ name: 'prea-mare-iar.pdf', data: big }]);
    expect(again.body.items[0]).toMatchObject({ duplicate: true, refusal: { code: 'too_large' }, letter: { id: kept.id } });

    // The watched folder does the same, and moves the whole file to rejected/ with its reason.
    const inbox = path.join(t.dataDir, 'inbox-mare');
    const watcher = new InboxWatcher(t.ctx, inbox, { pollMs: 20 });
    await watcher.start();
    try {
      const dropped = Buffer.concat([big, Buffer.from('din dosar')]);
      dropped.writeUInt32BE(0x0badf00d, 100);
      await fs.writeFile(path.join(inbox, 'dosar-mare.pdf'), dropped);
      await until('the big file set aside', async () => (await fs.readdir(watcher.rejectedDir)).includes('dosar-mare.pdf.reason.txt'));
      expect((await fs.stat(path.join(watcher.rejectedDir, 'dosar-mare.pdf'))).size).toBe(dropped.length);
      expect(await fs.readFile(path.join(watcher.rejectedDir, 'dosar-mare.pdf.reason.txt'), 'utf8')).toMatch(/code: too_large\nreason: .*50 MB/);
      const fromFolder = await Letter.findOne({ where: { filename: 'dosar-mare.pdf' }, rejectOnEmpty: true });
      expect(fromFolder).toMatchObject({ status: 'rejected', rejectCode: 'too_large', source: 'folder', size: LETTER_LIMITS.maxBytes });
    } finally {
      await watcher.stop();
    }
  });

  it('links a letter whose page shows a valid CNP to the citizen of an earlier contact with that CNP; the CNP is shown nowhere', async () => {
    const CNP = '1900101123457';
    const earlier = await ingestContact(t.ctx, contact({ channel: 'api', from: { name: 'Mihai Dobrescu', email: 'mihai.d@exemplu.ro', cnp: CNP } }));
    await t.ctx.events.drain();
    expect(earlier.conversation.citizenId).not.toBeNull();

    const { letter } = await intakeLetter(t.ctx, { data: await tinyScan('cu CNP'), filename: 'cnp.png', source: 'upload' });
    const text = [
      'Subsemnatul Mihai Dobrescu, CNP 1 900101 123457, domiciliat în Arad, Str. Lungă nr. 8, telefon 0745 111 222,',
      'vă rog să îmi comunicați stadiul sesizării despre iluminat.',
    ].join('\n');
    const read = await readAs(letter.id, text, 92);
    expect(read.status).toBe('released');
    const c = await Conversation.findByPk(read.conversationId!, { rejectOnEmpty: true });
    expect(c.citizenId).toBe(earlier.conversation.citizenId);
    expect(c.anonymous).toBe(false);
    // Only the CNP links them (the earlier contact gave an email, the letter a postal address and a phone): one citizen.
    expect(await Citizen.count({ where: { name: 'Mihai Dobrescu' } })).toBe(1);

    const digits = new RegExp(CNP.split('').join('[^0-9]{0,2}'));
    const outputs = [
      await api('get', `/letters/${letter.id}`),
      await api('get', '/letters'),
      await api('get', `/conversations/${c.id}`),
      await api('get', `/citizens/${c.citizenId}`),
    ];
    for (const o of outputs) {
      expect(o.status).toBe(200);
      expect(JSON.stringify(o.body)).not.toMatch(digits);
      expect(JSON.stringify(o.body)).not.toMatch(CNP_SHAPE);
    }
    // A CNP with a wrong check digit is redacted but identifies nobody.
    const { letter: other } = await intakeLetter(t.ctx, { data: await tinyScan('CNP greșit'), filename: 'cnp-gresit.png', source: 'upload' });
    const wrong = await readAs(other.id, text.replace('123457', '123458').replace('0745 111 222', '0745 999 888').replace('Lungă nr. 8', 'Lungă nr. 99').replace('Mihai', 'Mihail'), 92);
    expect(wrong.status).toBe('released');
    const wrongCase = await Conversation.findByPk(wrong.conversationId!, { rejectOnEmpty: true });
    expect(wrongCase.citizenId).not.toBeNull();
    expect(wrongCase.citizenId).not.toBe(earlier.conversation.citizenId);
  });

  describe('filing away a letter without a sender', () => {
    async function anonymousInReview(label: string) {
      const { letter } = await intakeLetter(t.ctx, { data: await tinyScan(label), filename: `${label}.png`, source: 'upload' });
      const read = await readAs(letter.id, 'Vă rog să tăiați copacul uscat din fața blocului, poate cădea peste mașini.', 94);
      expect(read.status).toBe('review');
      expect(read.reviewReasons).toEqual(['no_sender']);
      return read;
    }

    it('is refused to an agent of one department, without a reason, and for a letter that names its sender', async () => {
      const read = await anonymousInReview('anonimă-refuz');
      await department('spatii-verzi');
      await createAgent(t.ctx, { email: 'verzi@primarie.test', name: 'Vera Verde', role: 'agent', password: PASSWORD, departments: ['spatii-verzi'] });
      const login = await request(app).post('/api/v1/auth/login').send({ email: 'verzi@primarie.test', password: PASSWORD });
      const cookie = (login.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
      // The letter's case is in the general queue: this agent sees it, and may correct it, but not file it away.
      expect((await request(app).get(`/api/v1/letters/${read.id}`).set('Cookie', cookie)).status).toBe(200);
      // The console offers the action only to those who may take it.
      expect((await request(app).get('/api/v1/letters?status=review').set('Cookie', cookie)).body.canFileAway).toBe(false);
      expect((await api('get', '/letters?status=review')).body.canFileAway).toBe(true);
      const denied = await request(app).post(`/api/v1/letters/${read.id}/file-away`).set('Cookie', cookie).set('X-CSRF-Token', login.body.csrfToken).send({ reason: 'anonimă' });
      expect(denied.status).toBe(403);

      const noReason = await api('post', `/letters/${read.id}/file-away`).send({});
      expect(noReason.status).toBe(400);
      expect(await api('post', `/letters/${read.id}/file-away`).send({ reason: 'x', extra: true }).then((r) => r.status)).toBe(400);

      const { letter: signed } = await intakeLetter(t.ctx, { data: await tinyScan('semnată'), filename: 'semnata.png', source: 'upload' });
      const unsure = await readAs(signed.id, 'Subsemnata Ana Pop, domiciliată în Arad, Str. Mică nr. 1, vă rog să tăiați copacul.', 40);
      expect(unsure.status).toBe('review');
      const identified = await api('post', `/letters/${signed.id}/file-away`).send({ reason: 'fără semnătură' });
      expect(identified.status).toBe(409);
      expect(identified.body.error.code).toBe('letter_identified');

      expect((await Letter.findByPk(read.id, { rejectOnEmpty: true })).status).toBe('review');
      expect((await Conversation.findByPk(read.conversationId!, { rejectOnEmpty: true })).status).toBe('new');
      expect(await ConversationEvent.count({ where: { conversationId: read.conversationId!, type: 'letter.filed_away' } })).toBe(0);

      // A supervisor may, even one of a single department.
      await createAgent(t.ctx, { email: 'sef-verzi@primarie.test', name: 'Sorin Șef', role: 'supervisor', password: PASSWORD, departments: ['spatii-verzi'] });
      const boss = await request(app).post('/api/v1/auth/login').send({ email: 'sef-verzi@primarie.test', password: PASSWORD });
      const bossCookie = (boss.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
      const bySupervisor = await request(app).post(`/api/v1/letters/${read.id}/file-away`).set('Cookie', bossCookie).set('X-CSRF-Token', boss.body.csrfToken).send({ reason: 'anonimă, fără adresă' });
      expect(bySupervisor.status).toBe(200);
      expect((await Conversation.findByPk(read.conversationId!, { rejectOnEmpty: true })).status).toBe('filed_away');
    });

    it('filing away and releasing the same letter at once: one wins, the other is told, and the letter is in one state', async () => {
      for (let round = 0; round < 3; round++) {
        const read = await anonymousInReview(`cursă-${round}`);
        const [filed, released] = await Promise.all([
          api('post', `/letters/${read.id}/file-away`).send({ reason: 'anonimă' }),
          api('post', `/letters/${read.id}/release`).send({ senderName: 'Ana Pop', postalAddress: 'Arad, Str. Mică nr. 1' }),
        ]);
        expect([filed.status, released.status].sort()).toEqual([200, 409]);
        const letter = await Letter.findByPk(read.id, { rejectOnEmpty: true });
        const c = await Conversation.findByPk(read.conversationId!, { rejectOnEmpty: true });
        if (filed.status === 200) {
          expect([letter.status, c.status, c.citizenId]).toEqual(['filed_away', 'filed_away', null]);
        } else {
          expect(letter.status).toBe('released');
          expect(c.status).not.toBe('filed_away');
          expect(c.citizenId).not.toBeNull();
        }
      }
    });

    it('files it away with a reason: the case is filed_away with a timeline event, out of the review queue, never routed', async () => {
      const read = await anonymousInReview('anonimă-clasată');
      const res = await api('post', `/letters/${read.id}/file-away`).send({ reason: 'Petiție anonimă, fără date de identificare (OG 27/2002 art. 7).' });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('filed_away');

      const c = await Conversation.findByPk(read.conversationId!, { rejectOnEmpty: true });
      expect(c.status).toBe('filed_away');
      const events = await ConversationEvent.findAll({ where: { conversationId: c.id, type: ['conversation.status_changed', 'letter.filed_away'] }, order: [['id', 'ASC']] });
      expect(events.map((e) => e.type)).toEqual(['conversation.status_changed', 'letter.filed_away']);
      expect(events[0]!.data).toMatchObject({ from: 'new', to: 'filed_away', reason: 'anonymous_petition' });
      expect(events[0]!.public).toBe(true);
      expect(events[1]!.data).toMatchObject({ letterId: read.id, reason: expect.stringContaining('Petiție anonimă') });
      expect(events[1]!.public).toBe(false);
      expect(events[1]!.actorType).toBe('agent');

      const queue = await api('get', '/letters?status=review');
      expect(queue.body.items.map((i: { id: number }) => i.id)).not.toContain(read.id);
      const filed = await api('get', '/letters?status=filed_away');
      expect(filed.body.items.map((i: { id: number }) => i.id)).toContain(read.id);

      await t.ctx.events.drain();
      await engine.caseChanged(c.id);
      await engine.sweep();
      expect(await QueueEntry.findOne({ where: { conversationId: c.id, state: 'waiting' } })).toBeNull();

      expect((await api('post', `/letters/${read.id}/file-away`).send({ reason: 'din nou' })).status).toBe(409);
      expect((await api('post', `/letters/${read.id}/release`).send({ senderName: 'Cineva', postalAddress: 'Arad' })).status).toBe(409);
      expect((await api('post', '/letters/999999/file-away').send({ reason: 'nu există' })).status).toBe(404);
    });
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
    const lastIdBefore = ((await Letter.max('id')) as number | null) ?? 0;
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
    const folder = (await Letter.findAll({ where: { source: 'folder' } })).filter((l) => l.id > lastIdBefore);
    expect(folder).toHaveLength(21);
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
