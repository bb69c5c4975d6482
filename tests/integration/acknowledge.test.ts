import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { ConversationEvent, Conversation, Message } from '../../db/models';
import { acknowledgeConversation, registerAcknowledgements } from '../../server/acknowledge/acknowledgeConversation';
import { sweepAcknowledgements } from '../../server/acknowledge/sweepAcknowledgements';
import { startEmailIntake, type RunningIntake } from '../../server/email/emailIntakeService';
import { ingestContact } from '../../server/ingest/ingestContact';
import { sendOutbound } from '../../server/outbound/sendOutbound';
import { trackingTokenMatches } from '../../server/portal/trackingToken';
import { DIALECTS } from '../helpers/services';
import { createTestContext, type TestContext } from '../helpers/context';
import * as fx from '../fixtures/email/messages';
import { append, freshFolder, waitFor } from '../fixtures/email/imap';

jest.setTimeout(120_000);

async function smtpRecorder() {
  const received: Buffer[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push(Buffer.concat(chunks));
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { received, url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe.each(DIALECTS)('automatic acknowledgement (%s)', (dialect) => {
  let t: TestContext;
  let smtp: Awaited<ReturnType<typeof smtpRecorder>>;
  let running: RunningIntake | null = null;

  beforeEach(async () => {
    smtp = await smtpRecorder();
    t = await createTestContext(dialect, { SMTP_URL: smtp.url, MAIL_FROM: 'Primăria <registratura@primarie.test>', PUBLIC_URL: 'https://ghiseu.primarie.test' });
    t.ctx.jobs.handle('outbound.send', (data, job) => sendOutbound(t.ctx, data.messageId, job));
    t.ctx.jobs.handle('conversation.acknowledge', async (data) => void (await acknowledgeConversation(t.ctx, data.conversationId, data.messageId)));
    registerAcknowledgements(t.ctx);
    await t.ctx.jobs.start();
  });
  afterEach(async () => {
    await running?.stop();
    running = null;
    await t.cleanup();
    await smtp.close();
  });

  const parsedMail = () => Promise.all(smtp.received.map((r) => simpleParser(r)));

  it('acknowledges a new email case with the number, the legal deadline and a working tracking link, in Romanian', async () => {
    const { folder, spec } = await freshFolder();
    const citizenMsgId = fx.uniqueId();
    await append(folder, [fx.plain({ messageId: citizenMsgId, from: 'elena.dobre@exemplu.ro', subject: 'Cerere informații' })]);
    running = await startEmailIntake(t.ctx, { mailboxes: [spec], pollMs: 300 });
    await waitFor('acknowledgement received by SMTP', async () => smtp.received.length === 1);
    const [ack] = await parsedMail();
    const conversation = (await Conversation.findOne())!;
    const n = conversation.registrationNumber;
    expect(ack!.subject).toBe(`Solicitarea dumneavoastră a fost înregistrată cu nr. ${n} [#${n}]`);
    expect(ack!.inReplyTo).toBe(citizenMsgId);
    expect(ack!.headers.get('auto-submitted')).toBe('auto-replied');
    const [y, m, d] = conversation.legalDueDate!.split('-');
    expect(ack!.text).toContain(`am înregistrat-o cu numărul ${n}`);
    expect(ack!.text).toContain(`Termenul legal de răspuns este ${d}.${m}.${y}, conform O.G. nr. 27/2002`);
    expect(ack!.text).not.toMatch(/[\u015F\u0163\u015E\u0162]/);
    const link = /https:\/\/ghiseu\.primarie\.test\/t\/(\d{4})\/(\d+)\/([A-Za-z0-9_-]+)/.exec(ack!.text ?? '');
    expect(link).not.toBeNull();
    const fresh = await Conversation.findByPk(conversation.id);
    expect(trackingTokenMatches(fresh!, link![3]!)).toBe(true);
    const stored = await waitFor('delivery recorded', async () => Message.findOne({ where: { direction: 'outbound', deliveryStatus: 'sent' } }));
    expect(stored.metadata).toEqual(expect.objectContaining({ kind: 'acknowledgement' }));
  });

  it('an auto-reply to our acknowledgement never produces another acknowledgement', async () => {
    const { folder, spec } = await freshFolder();
    await append(folder, [fx.plain({ from: 'vacanta@exemplu.ro', subject: 'Sesizare' })]);
    running = await startEmailIntake(t.ctx, { mailboxes: [spec], pollMs: 300 });
    await waitFor('first acknowledgement', async () => smtp.received.length === 1);
    const ackId = (await Message.findOne({ where: { direction: 'outbound' } }))!.externalId!;
    // The citizen's out-of-office answers it (RFC 3834), and a badly configured one without any header and
    // without threading headers answers too, only its subject says what it is.
    await append(folder, [
      fx.outOfOffice({ inReplyTo: ackId, from: 'vacanta@exemplu.ro' }),
      fx.plain({ from: 'vacanta@exemplu.ro', subject: 'Automatic reply: Solicitarea dumneavoastră a fost înregistrată' }),
    ]);
    await waitFor('both auto-replies ingested', async () => (await Message.count({ where: { direction: 'inbound', automatic: true } })) === 2);
    await t.ctx.events.drain();
    await waitFor('jobs idle', async () => {
      const c = await t.ctx.jobs.counts();
      return c.waiting + c.active + c.delayed === 0;
    });
    expect(smtp.received).toHaveLength(1);
    expect(await Message.count({ where: { direction: 'outbound' } })).toBe(1);
  });

  it('at most one acknowledgement per sender per hour; English for an English writer', async () => {
    const first = await ingestContact(t.ctx, { channel: 'email', externalId: fx.uniqueId(), from: { email: 'john.smith@example.com', name: 'John Smith' }, subject: 'Parking permit', text: 'Hello, could you please tell me how I can get a parking permit for my street? Thank you.', language: 'en' });
    await waitFor('first acknowledgement', async () => smtp.received.length === 1);
    const second = await ingestContact(t.ctx, { channel: 'email', externalId: fx.uniqueId(), from: { email: 'john.smith@example.com' }, subject: 'Another question', text: 'Something else.' });
    expect(second.conversationCreated).toBe(true);
    await waitFor('second skipped', async () => ConversationEvent.findOne({ where: { conversationId: second.conversation.id, type: 'acknowledgement.skipped' } }));
    expect(smtp.received).toHaveLength(1);
    const [ack] = await parsedMail();
    expect(ack!.subject).toBe(`Your request has been registered under no. ${first.conversation.registrationNumber} [#${first.conversation.registrationNumber}]`);
    expect(ack!.text).toContain('Hello John Smith,');
  });

  it('never acknowledges automatic mail, and acknowledges a case once even if the job runs twice', async () => {
    const auto = await ingestContact(t.ctx, { channel: 'email', externalId: fx.uniqueId(), from: { email: 'noreply@newsletter.ro' }, subject: 'Newsletter', text: 'Noutăți', automatic: true });
    expect(await acknowledgeConversation(t.ctx, auto.conversation.id, auto.message.id)).toBe('automatic');
    const r = await ingestContact(t.ctx, { channel: 'email', externalId: fx.uniqueId(), from: { email: 'dan@exemplu.ro' }, subject: 'Cerere', text: 'Text' });
    await waitFor('acknowledged', async () => smtp.received.length === 1);
    expect(await acknowledgeConversation(t.ctx, r.conversation.id, r.message.id)).toBe('already');
    await t.ctx.events.drain();
    expect(await Message.count({ where: { direction: 'outbound' } })).toBe(1);
  });
});

describe.each(DIALECTS)('sweep for lost acknowledgements (%s)', (dialect) => {
  let t: TestContext;
  let smtp: Awaited<ReturnType<typeof smtpRecorder>>;
  /** While true, enqueueing an acknowledgement fails: the process "died" between the commit and the enqueue. */
  let loseEnqueue = true;

  beforeEach(async () => {
    loseEnqueue = true;
    smtp = await smtpRecorder();
    t = await createTestContext(dialect, { SMTP_URL: smtp.url, MAIL_FROM: 'Primăria <registratura@primarie.test>', PUBLIC_URL: 'https://ghiseu.primarie.test' });
    const enqueue = t.ctx.jobs.enqueue.bind(t.ctx.jobs);
    t.ctx.jobs.enqueue = (async (name, data, opts) => {
      if (name === 'conversation.acknowledge' && loseEnqueue) throw new Error('process died before the enqueue');
      return enqueue(name, data, opts);
    }) as typeof t.ctx.jobs.enqueue;
    t.ctx.jobs.handle('outbound.send', (data, job) => sendOutbound(t.ctx, data.messageId, job));
    t.ctx.jobs.handle('conversation.acknowledge', async (data) => void (await acknowledgeConversation(t.ctx, data.conversationId, data.messageId)));
    registerAcknowledgements(t.ctx);
    await t.ctx.jobs.start();
  });
  afterEach(async () => {
    await t.cleanup();
    await smtp.close();
  });

  const later = (ms: number) => ({ now: new Date(Date.now() + ms) });
  const parsedMail = () => Promise.all(smtp.received.map((r) => simpleParser(r)));
  const MIN = 60_000;

  it('finds the case whose acknowledgement was lost and acknowledges it once, however often it sweeps', async () => {
    const r = await ingestContact(t.ctx, { channel: 'email', externalId: fx.uniqueId(), from: { email: 'pierdut@exemplu.ro' }, subject: 'Cerere', text: 'Vă rog să îmi răspundeți.' });
    await t.ctx.events.drain();
    loseEnqueue = false;
    expect(await t.ctx.jobs.counts()).toEqual(expect.objectContaining({ waiting: 0, active: 0, completed: 0 }));
    // Too young: the normal path may still be on its way.
    expect(await sweepAcknowledgements(t.ctx)).toEqual([]);
    // Two workers sweep at once, and once more later: one job (ack:<id>), one acknowledgement.
    const [a, b] = await Promise.all([sweepAcknowledgements(t.ctx, later(3 * MIN)), sweepAcknowledgements(t.ctx, later(3 * MIN))]);
    expect([...a, ...b]).toContain(r.conversation.id);
    await waitFor('acknowledgement sent', async () => smtp.received.length === 1);
    const [ack] = await parsedMail();
    expect(ack!.subject).toContain(`nr. ${r.conversation.registrationNumber}`);
    await waitFor('delivery recorded', async () => Message.findOne({ where: { direction: 'outbound', deliveryStatus: 'sent' } }));
    expect(await sweepAcknowledgements(t.ctx, later(3 * MIN))).toEqual([]);
    await waitFor('jobs idle', async () => {
      const c = await t.ctx.jobs.counts();
      return c.waiting + c.active + c.delayed === 0;
    });
    expect(smtp.received).toHaveLength(1);
    expect(await Message.count({ where: { direction: 'outbound' } })).toBe(1);
  });

  it('leaves alone automatic mail, cases with a reason for no acknowledgement, cases outside the window and cases marked spam', async () => {
    const auto = await ingestContact(t.ctx, { channel: 'email', externalId: fx.uniqueId(), from: { email: 'noreply@buletin.ro' }, subject: 'Buletin', text: 'Noutăți', automatic: true });
    const first = await ingestContact(t.ctx, { channel: 'email', externalId: fx.uniqueId(), from: { email: 'grabit@exemplu.ro' }, subject: 'Prima', text: 'Unu' });
    const spam = await ingestContact(t.ctx, { channel: 'email', externalId: fx.uniqueId(), from: { email: 'reclame@exemplu.ro' }, subject: 'Ofertă', text: 'Cumpărați' });
    await t.ctx.events.drain();
    loseEnqueue = false;
    await Conversation.update({ status: 'spam' }, { where: { id: spam.conversation.id } });
    // The first case gets its acknowledgement; a second case of the same citizen in the hour is skipped with a reason.
    expect(await acknowledgeConversation(t.ctx, first.conversation.id, first.message.id)).toBe('sent');
    const second = await ingestContact(t.ctx, { channel: 'email', externalId: fx.uniqueId(), from: { email: 'grabit@exemplu.ro' }, subject: 'A doua', text: 'Doi' });
    await waitFor('second skipped', async () => ConversationEvent.findOne({ where: { conversationId: second.conversation.id, type: 'acknowledgement.skipped' } }));

    expect(await sweepAcknowledgements(t.ctx, later(3 * MIN))).toEqual([]);
    expect(await sweepAcknowledgements(t.ctx, later(25 * 60 * MIN))).toEqual([]);
    expect(auto.conversationCreated).toBe(true);
    // The spam case is the only lost one: back to open, it is found.
    await Conversation.update({ status: 'new' }, { where: { id: spam.conversation.id } });
    expect(await sweepAcknowledgements(t.ctx, later(3 * MIN))).toEqual([spam.conversation.id]);
  });
});
