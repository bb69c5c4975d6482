import { ConversationEvent, PhoneCall } from '../../db/models';
import { ingestContact } from '../../server/ingest/ingestContact';
import { phoneClock } from '../../server/twilio/officeHours';
import { callParams, signedPost, twilioSid } from '../../scripts/twilio-simulator';
import { contact } from '../helpers/factories';
import { DIALECTS } from '../helpers/services';
import { IN_HOURS, OUR_NUMBER, startTwilioFixture, type TwilioFixture } from './twilioHelpers';

describe.each(DIALECTS)("a call's routing row commits with its case, on %s", (dialect) => {
  let f: TwilioFixture;
  beforeAll(async () => {
    f = await startTwilioFixture(dialect);
  });
  afterAll(async () => {
    await f.close();
  });
  beforeEach(() => {
    phoneClock.now = () => IN_HOURS;
  });

  test('listeners hear of the call once, with call.started among its first events, and the call row is already there', async () => {
    const heard: { eventIds: number[]; hasRow: boolean }[] = [];
    const callSid = twilioSid('CA');
    const off = f.t.ctx.events.on('contact.ingested', async (p) => {
      heard.push({ eventIds: p.eventIds, hasRow: (await PhoneCall.count({ where: { callSid } })) === 1 });
    });
    try {
      const r = await signedPost(f.target, '/twilio/voice', callParams(f.target, { callSid, from: '+40721000555', to: OUR_NUMBER }, { CallStatus: 'ringing' }));
      expect(r.status).toBe(200);
      await f.t.ctx.events.drain();
      const call = await PhoneCall.findOne({ where: { callSid }, rejectOnEmpty: true });
      expect(call.routingState).toBe('ivr');
      expect(heard).toHaveLength(1);
      expect(heard[0]!.hasRow).toBe(true);
      const started = await ConversationEvent.findOne({ where: { conversationId: call.conversationId, type: 'call.started' }, rejectOnEmpty: true });
      expect(heard[0]!.eventIds).toContain(started.id);
      expect(started.data).toEqual({ callId: call.id, messageId: call.messageId, direction: 'inbound' });
    } finally {
      off();
    }
  });

  test('a voice contact ingested any other way (the demo seed, an integration) is not taken for a live call', async () => {
    const r = await ingestContact(f.t.ctx, contact({ channel: 'voice', externalId: twilioSid('CA'), from: { phone: '+40721000556' } }));
    expect(await PhoneCall.count({ where: { callSid: r.message.externalId! } })).toBe(0);
  });
});
