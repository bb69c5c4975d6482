import { simpleParser } from 'mailparser';
import request from 'supertest';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MailIntake, Message } from '../../db/models';
import { createApp } from '../../server/app';
import { createSession } from '../../server/auth/sessions';
import { startEmailIntake, type RunningIntake } from '../../server/email/emailIntakeService';
import { ingestContact } from '../../server/ingest/ingestContact';
import { createOutboundMessage } from '../../server/outbound/createOutboundMessage';
import { sendOutbound } from '../../server/outbound/sendOutbound';
import { UnrecoverableJobError } from '../../server/jobs/types';
import { DIALECTS } from '../helpers/services';
import { createTestContext, type TestContext } from '../helpers/context';
import { agent } from '../helpers/factories';
import * as fx from '../fixtures/email/messages';
import { append, freshFolder, waitFor } from '../fixtures/email/imap';

jest.setTimeout(120_000);

/** A real SMTP listener that records what it receives; some recipients are refused. */
async function smtpRecorder() {
  const received: { from: string; to: string[]; raw: Buffer }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, cb) {
      if (address.address.startsWith('unknown')) return cb(Object.assign(new Error('5.1.1 <' + address.address + '>: Recipient address rejected: User unknown'), { responseCode: 550 }));
      if (address.address.startsWith('greylisted')) return cb(Object.assign(new Error('4.7.1 Greylisted, try again later'), { responseCode: 451 }));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ from: String((session.envelope.mailFrom as { address: string }).address), to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks) });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { received, url: `smtp://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function emailCase(t: TestContext, email: string) {
  const r = await ingestContact(t.ctx, { channel: 'email', externalId: fx.uniqueId(), from: { name: 'Radu Marin', email }, subject: 'Cerere aviz', text: 'Vă rog.' });
  return r;
}

describe.each(DIALECTS)('outbound email (%s)', (dialect) => {
  let t: TestContext;
  let smtp: Awaited<ReturnType<typeof smtpRecorder>>;

  beforeEach(async () => {
    smtp = await smtpRecorder();
    t = await createTestContext(dialect, { SMTP_URL: smtp.url, MAIL_FROM: 'Primăria Arad <registratura@primarie.test>' });
  });
  afterEach(async () => {
    await t.cleanup();
    await smtp.close();
  });

  it('a permanent refusal (550) fails the message with the server\'s answer and is not retried', async () => {
    const r = await emailCase(t, 'unknown.user@exemplu.ro');
    const m = await createOutboundMessage(t.ctx, { conversationId: r.conversation.id, agentId: null, kind: 'reply', text: 'Răspuns.' });
    await expect(sendOutbound(t.ctx, m.id, { attempt: 1, maxAttempts: 8 })).rejects.toBeInstanceOf(UnrecoverableJobError);
    const after = await Message.findByPk(m.id);
    expect(after!.deliveryStatus).toBe('failed');
    expect(after!.deliveryError).toMatch(/550.*User unknown/);
    expect(smtp.received).toHaveLength(0);
  });

  it('a temporary refusal (451) is retried: the job throws a retryable error and the message stays queued', async () => {
    const r = await emailCase(t, 'greylisted@exemplu.ro');
    const m = await createOutboundMessage(t.ctx, { conversationId: r.conversation.id, agentId: null, kind: 'reply', text: 'Răspuns.' });
    const err = await sendOutbound(t.ctx, m.id, { attempt: 1, maxAttempts: 8 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(UnrecoverableJobError);
    expect((await Message.findByPk(m.id))!.deliveryStatus).toBe('queued');
  });

  it('sends a reply over SMTP with our Message-ID, In-Reply-To, References, the [#number/year] tag and attachments', async () => {
    const r = await emailCase(t, 'radu.marin@exemplu.ro');
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(2000, 1)]);
    const m = await createOutboundMessage(t.ctx, {
      conversationId: r.conversation.id, agentId: null, kind: 'reply', subject: 'Răspuns la cererea dumneavoastră', text: 'Vă transmitem avizul în atașament. Mulțumim.',
      attachments: [{ filename: 'aviz.pdf', data: pdf }],
    });
    await sendOutbound(t.ctx, m.id, { attempt: 1, maxAttempts: 8 });
    expect(smtp.received).toHaveLength(1);
    const got = await simpleParser(smtp.received[0]!.raw);
    const sent = await Message.findByPk(m.id);
    expect(sent!.deliveryStatus).toBe('sent');
    expect(got.messageId).toBe(sent!.externalId);
    expect(got.inReplyTo).toBe(r.message.externalId);
    expect([got.references].flat()).toContain(r.message.externalId);
    expect(got.subject).toBe(`Răspuns la cererea dumneavoastră [#${r.conversation.registrationNumber}]`);
    expect(got.from?.value[0]?.address).toBe('registratura@primarie.test');
    expect(got.to && !Array.isArray(got.to) ? got.to.value[0]?.address : null).toBe('radu.marin@exemplu.ro');
    expect(got.text).toContain('Vă transmitem avizul');
    expect(got.attachments.map((a) => [a.filename, a.content.equals(pdf)])).toEqual([['aviz.pdf', true]]);
    expect(got.headers.get('auto-submitted')).toBeUndefined();
  });
});

describe.each(DIALECTS)('email outbox and quarantine for operators (%s)', (dialect) => {
  let t: TestContext;
  let running: RunningIntake | null = null;

  beforeEach(async () => {
    t = await createTestContext(dialect);
  });
  afterEach(async () => {
    await running?.stop();
    running = null;
    await t.cleanup();
  });

  async function staffSession(role: 'agent' | 'supervisor' | 'admin') {
    const a = await agent({ role });
    const s = await createSession(a);
    return { cookie: `ghiseu_session=${s.token}`, csrf: s.csrfToken };
  }

  it('without SMTP_URL writes .eml files that supervisors list and read, and agents may not', async () => {
    const r = await emailCase(t, 'ioana@exemplu.ro');
    const m = await createOutboundMessage(t.ctx, { conversationId: r.conversation.id, agentId: null, kind: 'reply', text: 'Bună ziua, răspunsul nostru.' });
    await sendOutbound(t.ctx, m.id, { attempt: 1, maxAttempts: 8 });
    const file = path.join(t.dataDir, 'outbox', 'email', `${m.id}.eml`);
    const eml = await simpleParser(await fs.readFile(file));
    expect(eml.messageId).toBe((await Message.findByPk(m.id))!.externalId);
    expect(eml.subject).toContain(`[#${r.conversation.registrationNumber}]`);

    const app = createApp(t.ctx);
    const agentS = await staffSession('agent');
    expect((await request(app).get('/api/v1/admin/mail-outbox').set('Cookie', agentS.cookie)).status).toBe(403);
    expect((await request(app).get('/api/v1/admin/mail-outbox')).status).toBe(401);
    const sup = await staffSession('supervisor');
    const list = await request(app).get('/api/v1/admin/mail-outbox').set('Cookie', sup.cookie);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([expect.objectContaining({ file: `${m.id}.eml`, messageId: m.id, to: 'Radu Marin <ioana@exemplu.ro>' })]);
    const one = await request(app).get(`/api/v1/admin/mail-outbox/${m.id}.eml`).set('Cookie', sup.cookie).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(one.status).toBe(200);
    expect((one.body as Buffer).toString('utf8')).toContain('Message-ID:');
    expect((await request(app).get('/api/v1/admin/mail-outbox/..%2Fsecret.eml').set('Cookie', sup.cookie)).status).toBe(404);
  });

  it('a message that keeps failing is quarantined after 3 tries, the intake moves on, and an operator retries it', async () => {
    const { folder, spec } = await freshFolder();
    const poison = fx.plain({ subject: 'Mesaj prea mare pentru buget', text: 'x'.repeat(6000) });
    const fine = fx.plain({ subject: 'Mesaj normal' });
    await append(folder, [poison, fine]);
    running = await startEmailIntake(t.ctx, { mailboxes: [spec], pollMs: 200, budget: { maxBytes: 4000, timeoutMs: 10_000 }, maxAttempts: 3 });
    const row = await waitFor('quarantine', async () => MailIntake.findOne({ where: { status: 'quarantined' } }), 60_000);
    expect(row.attempts).toBe(3);
    expect(row.error).toMatch(/parse budget/);
    await waitFor('the next message ingested', async () => (await Message.count({ where: { channel: 'email' } })) === 1);
    const [m] = await Message.findAll({ where: { channel: 'email' } });
    expect(m!.subject).toBe('Mesaj normal');

    const app = createApp(t.ctx);
    const sup = await staffSession('supervisor');
    const list = await request(app).get('/api/v1/admin/mail-quarantine').set('Cookie', sup.cookie);
    expect(list.body.items).toEqual([expect.objectContaining({ id: row.id, status: 'quarantined', attempts: 3, subject: null })]);
    const detail = await request(app).get(`/api/v1/admin/mail-quarantine/${row.id}`).set('Cookie', sup.cookie);
    expect(detail.body.headers).toContain('Subject:');
    // A state-changing request needs the CSRF token.
    expect((await request(app).post(`/api/v1/admin/mail-quarantine/${row.id}/retry`).set('Cookie', sup.cookie)).status).toBe(403);
    const retried = await request(app).post(`/api/v1/admin/mail-quarantine/${row.id}/retry`).set('Cookie', sup.cookie).set('X-CSRF-Token', sup.csrf);
    expect(retried.status).toBe(200);
    expect(retried.body.ok).toBe(true);
    const ingested = await Message.findByPk(retried.body.messageId);
    expect(ingested!.subject).toBe('Mesaj prea mare pentru buget');
    expect((await MailIntake.findByPk(row.id))!.status).toBe('ingested');
  });
});
