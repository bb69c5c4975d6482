import { Conversation, ConversationEvent, Message, SmsOptOut } from '../../db/models';
import { createOutboundMessage } from '../../server/outbound/createOutboundMessage';
import { recordDelivery, sendOutbound } from '../../server/outbound/sendOutbound';
import { applySmsDelivery } from '../../server/twilio/smsCommands';
import { signedPost, simulateSms, smsParams, twilioSid } from '../../scripts/twilio-simulator';
import { DIALECTS } from '../helpers/services';
import { ACCOUNT_SID, OUR_NUMBER, PUBLIC_URL, startTwilioFixture, type TwilioFixture } from './twilioHelpers';

const JOB = { attempt: 1, maxAttempts: 8 };

describe.each(DIALECTS)('Twilio SMS on %s', (dialect) => {
  let f: TwilioFixture;
  beforeAll(async () => {
    f = await startTwilioFixture(dialect);
  });
  afterAll(async () => {
    await f.close();
  });
  beforeEach(() => {
    f.api.requests.length = 0;
  });

  /** An SMS case from `from`, and an outbound reply on it sent through the fake Twilio API. */
  async function replyTo(from: string, text: string): Promise<Message> {
    const sms = await simulateSms(f.target, { from, to: OUR_NUMBER, body: 'Bună ziua, când se plătește impozitul?' });
    const inbound = await Message.findOne({ where: { channel: 'sms', externalId: sms.messageSid }, rejectOnEmpty: true });
    const reply = await createOutboundMessage(f.t.ctx, { conversationId: inbound.conversationId, agentId: null, kind: 'reply', text });
    expect(reply.channel).toBe('sms');
    await sendOutbound(f.t.ctx, reply.id, JOB).catch(() => undefined);
    return Message.findByPk(reply.id, { rejectOnEmpty: true });
  }

  const status = (messageId: number | null, sid: string, MessageStatus: string, extra: Record<string, string> = {}) =>
    signedPost(f.target, `/twilio/sms/status${messageId ? `?messageId=${messageId}` : ''}`, { AccountSid: ACCOUNT_SID, MessageSid: sid, MessageStatus, SmsSid: sid, SmsStatus: MessageStatus, To: '+40721000100', From: OUR_NUMBER, ApiVersion: '2010-04-01', ...extra });

  it('refuses a forged SMS webhook and writes nothing', async () => {
    const params = smsParams(f.target, { from: '+40721000100', to: OUR_NUMBER, body: 'fals' });
    const r = await signedPost(f.target, '/twilio/sms', params, { signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' });
    expect(r.status).toBe(403);
    expect(await Message.count({ where: { externalId: params.MessageSid! } })).toBe(0);
  });

  it('ingests the same SMS webhook delivered three times as one message', async () => {
    const params = smsParams(f.target, { from: '+40721000101', to: OUR_NUMBER, body: 'Bună ziua, strada Mărășești nu e luminată.' });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await signedPost(f.target, '/twilio/sms', params));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers[0]!.body).toMatch(/<Response\/>/);
    const messages = await Message.findAll({ where: { channel: 'sms', externalId: params.MessageSid! } });
    expect(messages).toHaveLength(1);
    expect(messages[0]!.text).toBe('Bună ziua, strada Mărășești nu e luminată.');
    const conversation = await Conversation.findByPk(messages[0]!.conversationId, { rejectOnEmpty: true });
    expect(conversation).toMatchObject({ channel: 'sms', legalBasis: 'none' });
  });

  it('sends a reply through the REST API with a status callback, and applies callbacks arriving out of order', async () => {
    const reply = await replyTo('+40721000102', 'Impozitul se plătește până la 31 martie.');
    expect(f.api.requests).toEqual([
      {
        method: 'POST',
        path: `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`,
        form: { To: '+40721000102', From: OUR_NUMBER, Body: 'Impozitul se plătește până la 31 martie.', StatusCallback: `${PUBLIC_URL}/twilio/sms/status?messageId=${reply.id}` },
        user: ACCOUNT_SID,
      },
    ]);
    expect(reply.deliveryStatus).toBe('queued');
    expect(reply.externalId).toMatch(/^SM[0-9a-f]{32}$/);
    const sid = reply.externalId!;

    for (const s of ['delivered', 'sent', 'sending', 'queued', 'delivered']) expect((await status(reply.id, sid, s)).status).toBe(204);
    const fresh = await Message.findByPk(reply.id, { rejectOnEmpty: true });
    expect(fresh.deliveryStatus).toBe('delivered');
    const deliveries = await ConversationEvent.findAll({ where: { conversationId: reply.conversationId, type: 'message.delivery' } });
    expect(deliveries.map((e) => (e.data as { status: string }).status)).toEqual(['queued', 'delivered']);
  });

  it('keeps undelivered as final with Twilio’s error code, even if a later callback says delivered', async () => {
    const reply = await replyTo('+40721000103', 'Vă rugăm să veniți la ghișeul 3.');
    const sid = reply.externalId!;
    await status(reply.id, sid, 'sent');
    await status(reply.id, sid, 'undelivered', { ErrorCode: '30003', ErrorMessage: 'Unreachable destination handset' });
    await status(reply.id, sid, 'delivered');
    const fresh = await Message.findByPk(reply.id, { rejectOnEmpty: true });
    expect(fresh.deliveryStatus).toBe('failed');
    expect(fresh.deliveryError).toBe('undelivered (Twilio error 30003): Unreachable destination handset');
  });

  it('does not let a send result recorded after the delivered callback move the message back', async () => {
    const sms = await simulateSms(f.target, { from: '+40721000104', to: OUR_NUMBER, body: 'Mulțumesc' });
    const inbound = await Message.findOne({ where: { externalId: sms.messageSid }, rejectOnEmpty: true });
    const reply = await createOutboundMessage(f.t.ctx, { conversationId: inbound.conversationId, agentId: null, kind: 'reply', text: 'Cu plăcere.' });
    const sid = twilioSid('SM');
    // The callback wins the race with the send job's own bookkeeping.
    expect(await applySmsDelivery(f.t.ctx, { externalId: sid, status: 'delivered', at: new Date() }, reply.id)).toBe('applied');
    await recordDelivery(f.t.ctx, reply.id, 'queued', null, sid);
    expect(await Message.findByPk(reply.id)).toMatchObject({ deliveryStatus: 'delivered', externalId: sid });
  });

  it('honours STOP and START (also in Romanian): an opted-out number is never texted, with a clear reason', async () => {
    const phone = '+40721000105';
    const stop = await simulateSms(f.target, { from: phone, to: OUR_NUMBER, body: ' stop ' });
    expect(stop.status).toBe(200);
    expect(await SmsOptOut.count({ where: { phone } })).toBe(1);
    expect(await Message.count({ where: { externalId: stop.messageSid } })).toBe(0);

    const reply = await replyTo(phone, 'Răspuns la sesizare.');
    expect(f.api.requests.filter((r) => r.path.endsWith('/Messages.json'))).toHaveLength(0);
    expect(reply.deliveryStatus).toBe('failed');
    expect(reply.deliveryError).toMatch(/opted out of SMS/);

    await simulateSms(f.target, { from: phone, to: OUR_NUMBER, body: 'START' });
    expect(await SmsOptOut.count({ where: { phone } })).toBe(0);
    await simulateSms(f.target, { from: phone, to: OUR_NUMBER, body: 'Dezabonare' });
    expect(await SmsOptOut.count({ where: { phone } })).toBe(1);
    // A replayed STOP after START does not opt the number out again.
    await simulateSms(f.target, { from: phone, to: OUR_NUMBER, body: 'START' });
    const replay = await signedPost(f.target, '/twilio/sms', smsParams(f.target, { messageSid: stop.messageSid, from: phone, to: OUR_NUMBER, body: ' stop ' }));
    expect(replay.status).toBe(200);
    expect(await SmsOptOut.count({ where: { phone } })).toBe(0);
  });

  it('fails a message permanently when Twilio refuses the number', async () => {
    f.api.failNext(/Messages\.json$/, 400, 21211, "The 'To' number is not a valid phone number.");
    const reply = await replyTo('+40721000106', 'Test');
    expect(reply.deliveryStatus).toBe('failed');
    expect(reply.deliveryError).toMatch(/21211/);
  });

});
