import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { MailIntake, Mailbox } from '../../db/models';
import { createApp } from '../../server/app';
import { createSession } from '../../server/auth/sessions';
import { ingestContact } from '../../server/ingest/ingestContact';
import { createOutboundMessage } from '../../server/outbound/createOutboundMessage';
import { sendOutbound } from '../../server/outbound/sendOutbound';
import { DIALECTS } from '../helpers/services';
import { createTestContext, type TestContext } from '../helpers/context';
import { agent } from '../helpers/factories';

jest.setTimeout(60_000);

const SECRET = 'SECRET-OUTSIDE-THE-OUTBOX-7f3a';

/** A reply the `.eml` adapter wrote to the outbox (no SMTP_URL), the way the console's agents send one. */
async function sentReply(t: TestContext, text: string, html?: string): Promise<number> {
  const r = await ingestContact(t.ctx, {
    channel: 'email',
    externalId: `<in-${Date.now()}-${Math.random()}@exemplu.ro>`,
    from: { name: 'Ioana Popescu', email: 'ioana@exemplu.ro' },
    subject: 'Cerere certificat de urbanism — Școala nr. 5',
    text: 'Bună ziua, vă rog să-mi spuneți ce acte trebuie.',
  });
  const m = await createOutboundMessage(t.ctx, { conversationId: r.conversation.id, agentId: null, kind: 'reply', text, ...(html ? { html } : {}) });
  await sendOutbound(t.ctx, m.id, { attempt: 1, maxAttempts: 8 });
  return m.id;
}

/** Reads a response body as bytes, whatever its type. */
const bytes = (r: request.Test) =>
  r.buffer(true).parse((res, cb) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => cb(null, Buffer.concat(chunks)));
  });

describe.each(DIALECTS)('email outbox and quarantine downloads for the console (%s)', (dialect) => {
  let t: TestContext;
  let app: ReturnType<typeof createApp>;
  let outbox: string;

  beforeEach(async () => {
    t = await createTestContext(dialect);
    app = createApp(t.ctx);
    outbox = path.join(t.dataDir, 'outbox', 'email');
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function session(role: 'agent' | 'supervisor' | 'admin') {
    const s = await createSession(await agent({ role }));
    return {
      get: (url: string) => request(app).get(url).set('Cookie', `ghiseu_session=${s.token}`),
      send: (method: 'post' | 'patch' | 'put', url: string) => request(app)[method](url).set('Cookie', `ghiseu_session=${s.token}`).set('X-CSRF-Token', s.csrfToken),
    };
  }

  it('an agent reaches none of the email admin endpoints, a supervisor not the mailboxes; nobody without a session', async () => {
    const id = await sentReply(t, 'Răspuns.');
    const row = await MailIntake.create({ mailboxKey: 'u@h:993/INBOX', uidValidity: '1', uid: 1, rawSha256: 'a'.repeat(64), size: 10, subject: null, fromAddress: null, status: 'quarantined', attempts: 3, error: 'parse budget' });
    const mb = await Mailbox.create({ name: 'Registratură', host: 'imap.primarie.test', port: 993, secure: true, username: 'registratura', password: 'x', folder: 'INBOX', processedFolder: null });
    const reads = ['/api/v1/admin/mail-quarantine', `/api/v1/admin/mail-quarantine/${row.id}`, `/api/v1/admin/mail-quarantine/${row.id}/raw`, '/api/v1/admin/mail-outbox', `/api/v1/admin/mail-outbox/${id}.eml`, `/api/v1/admin/mail-outbox/${id}.eml/view`, '/api/v1/admin/mailboxes'];
    const ag = await session('agent');
    for (const url of reads) {
      expect([url, (await ag.get(url)).status]).toEqual([url, 403]);
      expect([url, (await request(app).get(url)).status]).toEqual([url, 401]);
    }
    expect((await ag.send('post', `/api/v1/admin/mail-quarantine/${row.id}/retry`)).status).toBe(403);
    expect((await ag.send('patch', `/api/v1/admin/mailboxes/${mb.id}`).send({ host: 'evil.test' })).status).toBe(403);
    expect((await ag.send('put', `/api/v1/admin/mailboxes/${mb.id}/password`).send({ password: 'p' })).status).toBe(403);
    const sup = await session('supervisor');
    expect((await sup.get('/api/v1/admin/mailboxes')).status).toBe(403);
    expect((await sup.send('patch', `/api/v1/admin/mailboxes/${mb.id}`).send({ host: 'evil.test' })).status).toBe(403);
    expect((await sup.get(`/api/v1/admin/mail-outbox/${id}.eml/view`)).status).toBe(200);
    // Nothing changed, nothing was retried.
    expect((await Mailbox.findByPk(mb.id))!.host).toBe('imap.primarie.test');
    expect((await MailIntake.findByPk(row.id))!.attempts).toBe(3);
  });

  it('path traversal in an outbox name is refused with 400/404 and nothing outside the outbox is read', async () => {
    const id = await sentReply(t, 'Răspuns legitim.');
    await fs.writeFile(path.join(t.dataDir, 'outbox', 'secret.eml'), `Subject: ${SECRET}\n\n${SECRET}\n`);
    await fs.writeFile(path.join(t.dataDir, 'secret.eml'), `Subject: ${SECRET}\n\n${SECRET}\n`);
    await fs.writeFile(path.join(outbox, '5.txt'), SECRET);
    // A link planted in the outbox under a valid name points outside it.
    await fs.symlink(path.join(t.dataDir, 'secret.eml'), path.join(outbox, '999999.eml'));
    const sup = await session('supervisor');
    const attempts = [
      '..%2Fsecret.eml',
      '..%2F..%2Fsecret.eml',
      '%2e%2e%2fsecret.eml',
      '%2E%2E%2F%2E%2E%2Fsecret.eml',
      '..%5Csecret.eml',
      '..%252Fsecret.eml',
      '....%2F%2Fsecret.eml',
      `${id}.eml%2F..%2F..%2Fsecret.eml`,
      `${id}.eml%00.txt`,
      '%2Fetc%2Fpasswd',
      '5.txt',
      '999999.eml',
      `..%2Femail%2F${id}.eml`,
    ];
    for (const name of attempts) {
      for (const url of [`/api/v1/admin/mail-outbox/${name}`, `/api/v1/admin/mail-outbox/${name}/view`]) {
        const r = await bytes(sup.get(url));
        expect([url, [400, 404].includes(r.status)]).toEqual([url, true]);
        expect((r.body as Buffer).toString('utf8')).not.toContain(SECRET);
        expect((r.body as Buffer).toString('utf8')).not.toContain('root:');
      }
    }
    // Unnormalised dot segments in the raw path are not served either.
    for (const url of ['/api/v1/admin/mail-outbox/../../secret.eml', '/api/v1/admin/mail-outbox/./../secret.eml/view']) {
      const r = await bytes(sup.get(url));
      expect([url, r.status >= 400]).toEqual([url, true]);
      expect((r.body as Buffer).toString('utf8')).not.toContain(SECRET);
    }
    const list = await sup.get('/api/v1/admin/mail-outbox');
    expect(list.body.items.map((i: { file: string }) => i.file)).toEqual([`${id}.eml`]);
    expect(JSON.stringify(list.body)).not.toContain(SECRET);
  });

  it('lists the outbox newest first, shows one parsed with the HTML sanitised, and downloads it as an attachment', async () => {
    const first = await sentReply(t, 'Primul răspuns: actele necesare sunt cererea și planul.');
    const second = await sentReply(t, 'Al doilea răspuns, cu diacritice: ș ț ă î â.', '<p>Al doilea <b>răspuns</b></p><script>alert(1)</script><img src="https://tracker.test/x.png"><a href="javascript:alert(2)">x</a>');
    const sup = await session('supervisor');
    const list = await sup.get('/api/v1/admin/mail-outbox');
    expect(list.body.items.map((i: { messageId: number }) => i.messageId)).toEqual([second, first]);
    // Headers decoded for the list (RFC 2047 encoded words), names without added quotes.
    expect(list.body.items[0]).toMatchObject({ to: 'Ioana Popescu <ioana@exemplu.ro>', subject: expect.stringContaining('Școala nr. 5') });

    const view = await sup.get(`/api/v1/admin/mail-outbox/${second}.eml/view`);
    expect(view.status).toBe(200);
    expect(view.body.to).toBe('Ioana Popescu <ioana@exemplu.ro>');
    expect(view.body.subject).toContain('Cerere certificat de urbanism');
    expect(view.body.text).toContain('ș ț ă î â');
    expect(view.body.headers[0].name.toLowerCase()).toBe('from');
    expect(view.body.headers.map((h: { name: string }) => h.name.toLowerCase())).toEqual(expect.arrayContaining(['to', 'subject', 'message-id', 'date']));
    expect(view.body.html).toContain('<b>răspuns</b>');
    expect(view.body.html).not.toMatch(/script|javascript:|tracker\.test/);

    const raw = await bytes(sup.get(`/api/v1/admin/mail-outbox/${first}.eml`));
    expect(raw.status).toBe(200);
    expect(raw.headers['content-type']).toMatch(/^message\/rfc822/);
    expect(raw.headers['content-disposition']).toBe(`attachment; filename="outbox-${first}.eml"`);
    expect(raw.body).toEqual(await fs.readFile(path.join(outbox, `${first}.eml`)));
    expect((await sup.get('/api/v1/admin/mail-outbox/424242.eml/view')).status).toBe(404);
  });

  it('the raw of a quarantined message downloads as message/rfc822 attachment; a lost blob answers 404, not 500', async () => {
    const eml = Buffer.from('From: a@exemplu.ro\r\nSubject: Carantină\r\n\r\ncorp\r\n');
    const stored = await t.ctx.blobs.put(eml);
    const row = await MailIntake.create({ mailboxKey: 'u@h:993/INBOX', uidValidity: '1', uid: 7, rawSha256: stored.sha256, size: eml.length, subject: null, fromAddress: null, status: 'quarantined', attempts: 3, error: 'parse budget exceeded' });
    const lost = await MailIntake.create({ mailboxKey: 'u@h:993/INBOX', uidValidity: '1', uid: 8, rawSha256: createHash('sha256').update('never stored').digest('hex'), size: 3, subject: null, fromAddress: null, status: 'quarantined', attempts: 1, error: 'x' });
    const adm = await session('admin');
    const r = await bytes(adm.get(`/api/v1/admin/mail-quarantine/${row.id}/raw`));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^message\/rfc822/);
    expect(r.headers['content-disposition']).toBe(`attachment; filename="quarantine-${row.id}.eml"`);
    expect(r.body).toEqual(eml);
    const gone = await adm.get(`/api/v1/admin/mail-quarantine/${lost.id}/raw`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.message).toContain('raw message');
    expect((await adm.get('/api/v1/admin/mail-quarantine/abc/raw')).status).toBe(404);
  });

  it('an administrator edits a mailbox field by field; bad input names its field and changes nothing; the password is never returned', async () => {
    const adm = await session('admin');
    const created = await adm.send('post', '/api/v1/admin/mailboxes').send({ name: 'Petiții', host: 'imap.primarie.test', port: 993, username: 'petitii', password: 'parola-cutiei-1', folder: 'INBOX' });
    expect(created.status).toBe(201);
    const url = `/api/v1/admin/mailboxes/${created.body.id}`;
    const bad = [
      [{ port: 'abc' }, 'port'],
      [{ port: 70000 }, 'port'],
      [{ host: '   ' }, 'host'],
      [{ password: 'alta' }, 'password'],
      [{ sneaky: true }, 'body'],
    ] as const;
    for (const [body, field] of bad) {
      const r = await adm.send('patch', url).send(body);
      expect([body, r.status, r.body.error.code]).toEqual([body, 400, 'validation_failed']);
      if (field !== 'body') expect(r.body.error.details.field).toBe(field);
    }
    expect((await adm.send('patch', '/api/v1/admin/mailboxes/999999').send({ host: 'x' })).status).toBe(404);
    const before = (await Mailbox.findByPk(created.body.id))!;
    expect(before.host).toBe('imap.primarie.test');

    const ok = await adm.send('patch', url).send({ host: 'mail.primarie.test', port: 143, secure: false, processedFolder: 'Procesate', folder: 'Petitii' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ host: 'mail.primarie.test', port: 143, secure: false, processedFolder: 'Procesate', folder: 'Petitii', passwordSet: true });
    expect(ok.body).not.toHaveProperty('password');
    const after = (await Mailbox.findByPk(created.body.id))!;
    expect(after.password).toBe(before.password);
    expect(JSON.stringify(ok.body)).not.toContain('parola-cutiei-1');
    // Back to no processed folder.
    expect((await adm.send('patch', url).send({ processedFolder: null })).body.processedFolder).toBeNull();
  });
});
