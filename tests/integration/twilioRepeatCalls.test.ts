import { Conversation, Message, PhoneCall } from '../../db/models';
import { openVoiceCaseOf } from '../../server/twilio/callCommands';
import { simulateCall } from '../../scripts/twilio-simulator';
import { DIALECTS } from '../helpers/services';
import { OUR_NUMBER, eventTypes, startTwilioFixture, type TwilioFixture } from './twilioHelpers';

const HOUR = 3_600_000;

describe.each(DIALECTS)('repeat calls on %s', (dialect) => {
  let f: TwilioFixture;
  beforeAll(async () => {
    f = await startTwilioFixture(dialect);
  });
  afterAll(async () => {
    await f.close();
  });

  async function call(from: string) {
    const sim = await simulateCall(f.target, { from, to: OUR_NUMBER, digits: '1' });
    expect(sim.steps.every((s) => s.status === 200)).toBe(true);
    return PhoneCall.findOne({ where: { callSid: sim.callSid }, rejectOnEmpty: true });
  }
  /** Moves a case's last contact (and registration) back in time. */
  const age = (conversationId: number, hours: number) => {
    const at = new Date(Date.now() - hours * HOUR);
    return Conversation.update({ lastInboundAt: at, registeredAt: at }, { where: { id: conversationId } });
  };

  test('a second call from the same number joins the open voice case as a new call message', async () => {
    const first = await call('+40721660001');
    const second = await call('+40721660001');
    expect(second.conversationId).toBe(first.conversationId);
    expect(second.messageId).not.toBe(first.messageId);
    const messages = await Message.findAll({ where: { conversationId: first.conversationId, channel: 'voice' }, order: [['id', 'ASC']] });
    expect(messages.map((m) => m.externalId)).toEqual([first.callSid, second.callSid]);
    expect(messages.every((m) => (m.metadata as { kind?: string }).kind === 'call')).toBe(true);
    expect((await eventTypes(first.conversationId)).filter((t) => t === 'call.started')).toHaveLength(2);
    // Another number: its own case.
    const other = await call('+40721660002');
    expect(other.conversationId).not.toBe(first.conversationId);
  });

  test('the window: a case last contacted 23 h ago takes the call, 25 h ago does not', async () => {
    const first = await call('+40721660011');
    await age(first.conversationId, 23);
    const within = await call('+40721660011');
    expect(within.conversationId).toBe(first.conversationId);
    await age(first.conversationId, 25);
    const beyond = await call('+40721660011');
    expect(beyond.conversationId).not.toBe(first.conversationId);
    // The newest open case is the one threaded into from now on.
    const next = await call('+40721660011');
    expect(next.conversationId).toBe(beyond.conversationId);
  });

  test('a resolved or closed case is not threaded into: the call opens a new case', async () => {
    const first = await call('+40721660021');
    await Conversation.update({ status: 'resolved' }, { where: { id: first.conversationId } });
    const afterResolved = await call('+40721660021');
    expect(afterResolved.conversationId).not.toBe(first.conversationId);
    await Conversation.update({ status: 'closed' }, { where: { id: afterResolved.conversationId } });
    const afterClosed = await call('+40721660021');
    expect([first.conversationId, afterResolved.conversationId]).not.toContain(afterClosed.conversationId);
  });

  test('a case waiting on the citizen still takes the call; a withheld number and a window of 0 never thread', async () => {
    const first = await call('+40721660031');
    await Conversation.update({ status: 'pending_citizen' }, { where: { id: first.conversationId } });
    expect((await call('+40721660031')).conversationId).toBe(first.conversationId);
    expect(await openVoiceCaseOf(f.t.ctx, undefined)).toBeNull();
    expect(await openVoiceCaseOf({ ...f.t.ctx, config: { ...f.t.ctx.config, PHONE_REPEAT_CALL_WINDOW_HOURS: 0 } }, '+40721660031')).toBeNull();
    expect(await openVoiceCaseOf({ ...f.t.ctx, config: { ...f.t.ctx.config, PHONE_REPEAT_CALL_WINDOW_HOURS: 48 } }, '+40721660031', new Date(Date.now() + 30 * HOUR))).toBe(first.conversationId);
  });
});
