import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Conversation, ConversationEvent, Message } from '../../db/models';
import { ingestContact } from '../../server/ingest/ingestContact';
import { subscribeCitizenNotifications, notifyCitizen } from '../../server/notify/notifyCitizen';
import { sendOutbound } from '../../server/outbound/sendOutbound';
import { createOutboundMessage } from '../../server/outbound/createOutboundMessage';
import { issueTrackingToken, rotateTrackingToken, trackingTokenMatches } from '../../server/portal/trackingToken';
import { createTestContext, type TestContext } from '../helpers/context';
import { category, contact } from '../helpers/factories';
import { resolveCase } from '../helpers/portal';
import { DIALECTS } from '../helpers/services';

/** Polls until `check` returns a value (not undefined/false) or the time runs out. */
async function until<T>(check: () => Promise<T | undefined | false | null>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(DIALECTS)('citizen notifications on %s', (dialect) => {
  let t: TestContext;
  let off: () => void;
  beforeAll(async () => {
    t = await createTestContext(dialect);
    await category('drumuri-gropi', { locationBased: true, legalBasis: 'none' });
    t.ctx.jobs.handle('outbound.send', (d, job) => sendOutbound(t.ctx, d.messageId, job));
    t.ctx.jobs.handle('citizen.notify', (d) => notifyCitizen(t.ctx, d.eventId));
    await t.ctx.jobs.start();
    off = subscribeCitizenNotifications(t.ctx);
  });
  afterAll(async () => {
    off();
    await t.cleanup();
  });

  const notifications = (conversationId: number) =>
    Message.findAll({ where: { conversationId, direction: 'outbound' }, order: [['id', 'ASC']] }).then((ms) => ms.filter((m) => m.metadata.kind === 'notification'));

  test('a portal citizen with an email is told of the resolution by email (the outbox stands in), once', async () => {
    const r = await ingestContact(t.ctx, contact({ channel: 'portal', categoryCode: 'drumuri-gropi', from: { name: 'Elena Dobre', email: 'elena.dobre@exemplu.ro' } }));
    await resolveCase(t.ctx, r.conversation.id, 'fixed');
    const [n] = await until(async () => {
      const ns = await notifications(r.conversation.id);
      return ns.length && ns[0]!.deliveryStatus === 'sent' ? ns : undefined;
    });
    expect(n!.channel).toBe('email');
    expect(n!.text).toContain(`nr. ${r.conversation.registrationNumber}`);
    expect(n!.text).toContain('Soluționată (problemă remediată)');
    expect(n!.subject).toBe(`[#${r.conversation.registrationNumber}] Stare nouă a cererii dumneavoastră`);
    // The email outbox (no SMTP configured) keeps the message as it would have been sent.
    const file = ['eml', 'json'].map((ext) => path.join(t.dataDir, 'outbox', 'email', `${n!.id}.${ext}`)).find((f) => existsSync(f));
    expect(file).toBeDefined();
    expect(readFileSync(file!, 'utf8')).toContain('elena.dobre@exemplu.ro');
    // The same event published again and handled by racing jobs (another process, a retry) sends nothing more.
    const event = (await ConversationEvent.findOne({ where: { conversationId: r.conversation.id, type: 'conversation.status_changed' } }))!;
    t.ctx.events.emit('conversation.changed', { conversationId: r.conversation.id, eventIds: [event.id] });
    await Promise.all([notifyCitizen(t.ctx, event.id), notifyCitizen(t.ctx, event.id), notifyCitizen(t.ctx, event.id)]);
    await t.ctx.events.drain();
    expect(await notifications(r.conversation.id)).toHaveLength(1);
  });

  test('the notification carries the tracking link while it is the derived one, never after a rotation', async () => {
    const a = await ingestContact(t.ctx, contact({ channel: 'portal', categoryCode: 'drumuri-gropi', from: { name: 'Dan Mihai', email: 'dan.mihai@exemplu.ro' } }));
    const { url } = await issueTrackingToken(t.ctx, a.conversation.id);
    await resolveCase(t.ctx, a.conversation.id, 'fixed');
    const [na] = await until(async () => {
      const ns = await notifications(a.conversation.id);
      return ns.length ? ns : undefined;
    });
    expect(na!.text).toContain(`Urmăriți cererea aici: ${url}`);

    const b = await ingestContact(t.ctx, contact({ channel: 'portal', categoryCode: 'drumuri-gropi', from: { name: 'Dan Mihai', email: 'dan.mihai@exemplu.ro' } }));
    const rotated = await rotateTrackingToken(t.ctx, b.conversation.id);
    await resolveCase(t.ctx, b.conversation.id, 'fixed');
    const [nb] = await until(async () => {
      const ns = await notifications(b.conversation.id);
      return ns.length ? ns : undefined;
    });
    expect(nb!.text).not.toContain('/t/');
    expect(nb!.text).toContain('linkul primit la înregistrare');
    // Sending it did not replace the rotated link the citizen holds.
    expect(trackingTokenMatches((await Conversation.findByPk(b.conversation.id))!, rotated.token)).toBe(true);
  });

  test('an SMS citizen is told by SMS, in English when the case is English', async () => {
    const r = await ingestContact(t.ctx, contact({ channel: 'sms', language: 'en', from: { phone: '+40721000111' }, subject: undefined, text: 'The street lamp at no. 4 is out' }));
    await resolveCase(t.ctx, r.conversation.id, 'answered');
    const [n] = await until(async () => {
      const ns = await notifications(r.conversation.id);
      return ns.length ? ns : undefined;
    });
    expect(n!.channel).toBe('sms');
    expect(n!.text).toBe(`Your request no. ${r.conversation.registrationNumber} has a new status: Resolved (answer sent).`);
  });

  test('an agent reply is not sent twice: no notification for a reply', async () => {
    const r = await ingestContact(t.ctx, contact({ channel: 'email' }));
    await createOutboundMessage(t.ctx, { conversationId: r.conversation.id, agentId: null, kind: 'reply', text: 'Am programat intervenția.' });
    await t.ctx.events.drain();
    const outbound = await Message.findAll({ where: { conversationId: r.conversation.id, direction: 'outbound' } });
    expect(outbound.map((m) => m.metadata.kind)).toEqual(['reply']);
  });

  test('a portal-only anonymous citizen gets nothing sent: the tracking page is their channel', async () => {
    const r = await ingestContact(t.ctx, contact({ channel: 'portal', categoryCode: 'drumuri-gropi', from: {} }));
    expect(r.conversation.anonymous).toBe(true);
    await resolveCase(t.ctx, r.conversation.id, 'fixed');
    await t.ctx.events.drain();
    const event = (await ConversationEvent.findOne({ where: { conversationId: r.conversation.id, type: 'conversation.status_changed' } }))!;
    await notifyCitizen(t.ctx, event.id);
    expect(await Message.count({ where: { conversationId: r.conversation.id, direction: 'outbound' } })).toBe(0);
  });

  test('routine moves and the reopening a citizen caused are not notified', async () => {
    const r = await ingestContact(t.ctx, contact({ channel: 'email' }));
    const c = (await Conversation.findByPk(r.conversation.id))!;
    const routine = await ConversationEvent.create({ conversationId: c.id, type: 'conversation.status_changed', actorType: 'agent', actorId: null, data: { from: 'new', to: 'open' }, public: true });
    const reopened = await ConversationEvent.create({ conversationId: c.id, type: 'conversation.status_changed', actorType: 'system', actorId: null, data: { from: 'resolved', to: 'open', reason: 'citizen_replied' }, public: true });
    t.ctx.events.emit('conversation.changed', { conversationId: c.id, eventIds: [routine.id, reopened.id] });
    await t.ctx.events.drain();
    await notifyCitizen(t.ctx, routine.id);
    await notifyCitizen(t.ctx, reopened.id);
    expect(await notifications(c.id)).toHaveLength(0);
  });
});
