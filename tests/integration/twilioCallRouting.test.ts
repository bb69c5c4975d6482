import { Agent, Conversation, PhoneCall, QueueEntry } from '../../db/models';
import { openDatabase, type Database } from '../../db/connection';
import { ingestContact } from '../../server/ingest/ingestContact';
import { configureRouting, type RoutingEngine } from '../../server/routing/engine';
import { loads } from '../../server/routing/load';
import { offerToAgent, routeEntry } from '../../server/routing/offerConversation';
import { syncQueueEntry } from '../../server/routing/syncQueueEntry';
import { acceptCall, declineCall, offerWaitingCall } from '../../server/twilio/callRouting';
import { callerForRole } from '../../server/twilio/callViews';
import { callParams, signedPost, simulateCall, twilioSid } from '../../scripts/twilio-simulator';
import { agent, contact } from '../helpers/factories';
import { DIALECTS } from '../helpers/services';
import { cookieFor, openConsole, startWeb } from './realtimeHarness';
import { OUR_NUMBER, availableAgent, eventTypes, startTwilioFixture, waitFor, type TwilioFixture } from './twilioHelpers';

let callerSeq = 0;
const nextCaller = () => `+4072155${String(++callerSeq).padStart(4, '0')}`;

describe.each(DIALECTS)('calls through the routing engine on %s', (dialect) => {
  let f: TwilioFixture;
  let engine: RoutingEngine;
  beforeAll(async () => {
    f = await startTwilioFixture(dialect);
  });
  afterAll(async () => {
    await f.close();
  });
  beforeEach(async () => {
    // Every test starts with nobody available and no call waiting (the sweeper would offer leftovers).
    engine = configureRouting(f.t.ctx, { offerTimeoutMs: 30_000, disconnectGraceMs: 1_000 });
    await Agent.update({ presence: 'offline' }, { where: {} });
    await PhoneCall.update({ routingState: 'ended', offeredAgentId: null, offerExpiresAt: null }, { where: {} });
    await Conversation.update({ status: 'resolved' }, { where: {} });
  });

  async function ringingCall(digits = '1', from = nextCaller()): Promise<PhoneCall> {
    const sim = await simulateCall(f.target, { from, to: OUR_NUMBER, digits });
    const call = await waitFor(async () => {
      const c = await PhoneCall.findOne({ where: { callSid: sim.callSid } });
      return c?.routingState === 'offered' || c?.routingState === 'queued' ? c : null;
    }, 'the queued call');
    // The webhook offers it in the background; one more attempt here settles it (a second offer cannot happen).
    await offerWaitingCall(f.t.ctx, call.id);
    return call;
  }
  /** As the socket layer records it (the column is routing's, not on the model). */
  const setDisconnected = (a: Agent, at: Date | null) =>
    f.t.ctx.db.sequelize.query('UPDATE agents SET disconnectedAt = :at WHERE id = :id', { replacements: { at, id: a.id } });
  const fresh = (call: PhoneCall) => PhoneCall.findByPk(call.id, { rejectOnEmpty: true });
  /** An open case of another channel assigned to the agent (their load there). */
  async function assignCase(a: Agent, channel: 'email' | 'voice') {
    const c = await ingestContact(f.t.ctx, contact(channel === 'voice' ? { channel: 'voice', from: { phone: nextCaller() }, text: 'Mesaj vocal' } : {}));
    await Conversation.update({ assigneeId: a.id, status: 'open' }, { where: { id: c.conversation.id } });
    return c.conversation.id;
  }

  test('eligibility is the routing engine’s: language, queue (operator = general queue) and connection', async () => {
    const roOnly = await agent({ presence: 'available', allDepartments: true, languages: ['ro'] });
    const taxesOnly = await availableAgent({ departmentCode: 'taxe' });
    const gone = await availableAgent();
    await setDisconnected(gone, new Date(Date.now() - 60_000));
    // An English caller asking for the operator: not the Romanian-only agent, not the taxes-only agent, not the one gone.
    const sim = await simulateCall(f.target, { from: nextCaller(), to: OUR_NUMBER, digits: '9' });
    const menu = sim.steps[1]!.body;
    expect(menu).toMatch(/lang=en/);
    await signedPost(f.target, '/twilio/voice/menu?lang=en&attempt=1', callParams(f.target, { callSid: sim.callSid, from: '+40721559999', to: OUR_NUMBER }, { Digits: '0' }));
    const call = await PhoneCall.findOne({ where: { callSid: sim.callSid }, rejectOnEmpty: true });
    expect(call).toMatchObject({ language: 'en', departmentCode: null });
    expect(await offerWaitingCall(f.t.ctx, call.id)).toBeNull();
    expect((await fresh(call)).routingState).toBe('queued');
    expect([roOnly.id, taxesOnly.id, gone.id]).not.toContain((await fresh(call)).offeredAgentId);

    const registry = await availableAgent();
    expect(await offerWaitingCall(f.t.ctx, call.id)).toBe(registry.id);
  });

  test('voice capacity is one: a voice case blocks a call, a ringing or connected call blocks a voice case', async () => {
    const holding = await availableAgent({ departmentCode: 'taxe' });
    const free = await availableAgent({ departmentCode: 'taxe' });
    // The holder is the longest idle, so only capacity can pass them over.
    await free.update({ lastOfferAt: new Date() });
    await assignCase(holding, 'voice');
    const call = await ringingCall('1');
    expect((await fresh(call)).offeredAgentId).toBe(free.id);
    expect((await loads([free.id])).get(free.id)?.get('voice')).toBe(1);

    // A voicemail case to call back now waits: the free agent's voice slot is taken by the ringing call.
    const voicemail = await ingestContact(f.t.ctx, contact({ channel: 'voice', from: { phone: nextCaller() }, text: 'Vă rog sunați-mă.', departmentCode: 'taxe' }));
    const sync = await syncQueueEntry(engine.runtime, voicemail.conversation.id);
    expect(sync.route).toBe(true);
    expect(await routeEntry(engine.runtime, sync.entryId!)).toBeNull();
    expect(await offerToAgent(engine.runtime, sync.entryId!, free.id)).toEqual({ kind: 'agent_unfit' });

    // Connected (accepted and bridged): still one call, counted once with its case.
    await acceptCall(f.t.ctx, call.id, free.id, 'softphone');
    expect((await loads([free.id])).get(free.id)?.get('voice')).toBe(1);
    expect(await offerToAgent(engine.runtime, sync.entryId!, free.id)).toEqual({ kind: 'agent_unfit' });
    // The caller hangs up, the agent resolves the case: the voicemail case may go to them.
    await signedPost(f.target, '/twilio/voice/status', callParams(f.target, { callSid: call.callSid, from: '+40721550000', to: OUR_NUMBER }, { CallStatus: 'completed', CallDuration: '61' }));
    await Conversation.update({ status: 'resolved' }, { where: { id: call.conversationId } });
    expect((await loads([free.id])).get(free.id)?.get('voice') ?? 0).toBe(0);
    expect(await offerToAgent(engine.runtime, sync.entryId!, free.id)).toMatchObject({ kind: 'offered' });
    await QueueEntry.update({ state: 'removed' }, { where: { id: sync.entryId! } });
  });

  test('a repeat call of a case an agent holds may ring that agent (its own case does not fill their slot)', async () => {
    const holder = await availableAgent({ departmentCode: 'taxe' });
    const caller = nextCaller();
    const first = await ringingCall('1', caller);
    expect((await fresh(first)).offeredAgentId).toBe(holder.id);
    await acceptCall(f.t.ctx, first.id, holder.id, 'softphone');
    await PhoneCall.update({ routingState: 'ended' }, { where: { id: first.id } });
    // The same case gets a second call (as a repeat call threads it): the holder is not full because of it.
    const second = await PhoneCall.create({ callSid: twilioSid('CA'), messageId: first.messageId, conversationId: first.conversationId, language: 'ro', departmentCode: 'taxe', queueName: 'taxe', queueSid: null, routingState: 'queued', offeredAgentId: null, offerExpiresAt: null, agentId: null, agentDevice: null, queuedAt: new Date(), bridgedAt: null, endedAt: null });
    expect(await offerWaitingCall(f.t.ctx, second.id)).toBe(holder.id);
    // Another case's call does not ring them: their slot is that case.
    const other = await ringingCall('1');
    expect((await fresh(other)).routingState).toBe('queued');
  });

  test('the configured strategy ranks the agents: longest idle by default, least occupied when set', async () => {
    const idleButBusy = await availableAgent();
    const recentButFree = await availableAgent();
    await idleButBusy.update({ lastOfferAt: new Date(Date.now() - 3_600_000) });
    await recentButFree.update({ lastOfferAt: new Date(Date.now() - 60_000) });
    await assignCase(idleButBusy, 'email');
    const first = await ringingCall('0');
    expect((await fresh(first)).offeredAgentId).toBe(idleButBusy.id);
    await declineCall(f.t.ctx, first.id, idleButBusy.id);
    await PhoneCall.update({ routingState: 'ended', offeredAgentId: null }, { where: { id: first.id } });
    await idleButBusy.update({ lastOfferAt: new Date(Date.now() - 3_600_000) });
    await recentButFree.update({ lastOfferAt: new Date(Date.now() - 60_000) });

    engine = configureRouting(f.t.ctx, { strategy: 'least_occupied' });
    const second = await ringingCall('0');
    expect((await fresh(second)).offeredAgentId).toBe(recentButFree.id);
  });

  test('an unanswered offer moves on at its deadline by a timer, with no webhook from Twilio', async () => {
    engine = configureRouting(f.t.ctx, { offerTimeoutMs: 400 });
    const first = await availableAgent({ departmentCode: 'urbanism' });
    const second = await availableAgent({ departmentCode: 'urbanism' });
    const call = await ringingCall('2');
    const firstAgent = (await fresh(call)).offeredAgentId;
    expect([first.id, second.id]).toContain(firstAgent);
    const requestsBefore = f.api.requests.length;
    const moved = await waitFor(async () => {
      const c = await fresh(call);
      return c.routingState === 'offered' && c.offeredAgentId !== firstAgent ? c : null;
    }, 'the offer to move on', 4000);
    expect(moved.offeredAgentId).toBe(firstAgent === first.id ? second.id : first.id);
    expect(moved.declinedAgentIds).toEqual([firstAgent]);
    expect(moved.offerExpiresAt!.getTime() - Date.now()).toBeLessThanOrEqual(400);
    expect(await eventTypes(call.conversationId)).toEqual(expect.arrayContaining(['call.offered', 'call.offer_expired']));
    expect(f.api.requests.length).toBe(requestsBefore);
    // Nobody left: the second offer expires too and the call waits.
    await waitFor(async () => ((await fresh(call)).routingState === 'queued' ? true : null), 'the call back in the queue', 4000);
  });

  test('after a restart (no timer left) the routing sweeper expires the offer and offers the call on', async () => {
    const first = await availableAgent({ departmentCode: 'registratura' });
    const second = await availableAgent({ departmentCode: 'registratura' });
    await second.update({ lastOfferAt: new Date() });
    const call = await ringingCall('4');
    expect((await fresh(call)).offeredAgentId).toBe(first.id);
    // The process that made the offer died with its 30 s timer; its deadline passed.
    await PhoneCall.update({ offerExpiresAt: new Date(Date.now() - 1000) }, { where: { id: call.id } });
    const report = await engine.sweep();
    expect(report.tasks?.calls).toBeGreaterThanOrEqual(1);
    expect(await fresh(call)).toMatchObject({ routingState: 'offered', offeredAgentId: second.id });
  });

  test('an agent who disconnects, or leaves available, loses the ringing call to the next agent', async () => {
    const first = await availableAgent({ departmentCode: 'taxe' });
    const second = await availableAgent({ departmentCode: 'taxe' });
    await second.update({ lastOfferAt: new Date() });
    const call = await ringingCall('1');
    expect((await fresh(call)).offeredAgentId).toBe(first.id);
    // Disconnected, but within the grace period: nothing moves yet.
    await setDisconnected(first, new Date());
    await engine.sweep();
    expect((await fresh(call)).offeredAgentId).toBe(first.id);
    await setDisconnected(first, new Date(Date.now() - 5_000));
    await engine.sweep();
    expect(await fresh(call)).toMatchObject({ routingState: 'offered', offeredAgentId: second.id });
    // The second one sets themselves away: the call waits (the first is still gone).
    await second.update({ presence: 'away' });
    await engine.sweep();
    expect(await fresh(call)).toMatchObject({ routingState: 'queued', offeredAgentId: null });
    const types = await eventTypes(call.conversationId);
    expect(types.filter((t) => t === 'call.offer_revoked')).toHaveLength(2);
    // Back and connected: the sweeper offers the waiting caller at once.
    await setDisconnected(first, null);
    await engine.sweep();
    expect((await fresh(call)).offeredAgentId).toBe(first.id);
  });

  test('a caller who hangs up while the call rings frees the agent and revokes the offer', async () => {
    const a = await availableAgent({ departmentCode: 'taxe' });
    const call = await ringingCall('1');
    expect((await fresh(call)).offeredAgentId).toBe(a.id);
    await signedPost(f.target, '/twilio/voice/status', callParams(f.target, { callSid: call.callSid, from: '+40721550000', to: OUR_NUMBER }, { CallStatus: 'no-answer' }));
    expect(await fresh(call)).toMatchObject({ routingState: 'ended', offeredAgentId: null });
    expect(await eventTypes(call.conversationId)).toContain('call.offer_revoked');
    expect((await loads([a.id])).get(a.id)?.get('voice') ?? 0).toBe(0);
  });

  test('several processes offering several calls: one agent never rings twice, one call never rings two agents', async () => {
    const agents = [await availableAgent({ departmentCode: 'taxe' }), await availableAgent({ departmentCode: 'taxe' })];
    await Agent.update({ presence: 'away' }, { where: { id: agents.map((a) => a.id) } });
    const calls: PhoneCall[] = [];
    for (let i = 0; i < 5; i++) calls.push(await ringingCall('1'));
    await Agent.update({ presence: 'available' }, { where: { id: agents.map((a) => a.id) } });
    const pools: Database[] = dialect === 'mariadb' ? Array.from({ length: 3 }, () => openDatabase(f.t.databaseUrl, { poolMax: 5 })) : [];
    try {
      const contexts = [f.t.ctx, ...pools.map((db) => ({ ...f.t.ctx, db }))];
      for (const ctx of contexts.slice(1)) configureRouting(ctx, engine.settings);
      await Promise.all(Array.from({ length: 24 }, (_, i) => offerWaitingCall(contexts[i % contexts.length]!, calls[i % calls.length]!.id)));
      const rows = await PhoneCall.findAll({ where: { id: calls.map((c) => c.id) } });
      const offered = rows.filter((c) => c.routingState === 'offered');
      expect(offered).toHaveLength(2);
      expect(new Set(offered.map((c) => c.offeredAgentId))).toEqual(new Set(agents.map((a) => a.id)));
      expect(rows.filter((c) => c.routingState === 'queued')).toHaveLength(3);
      for (const a of agents) expect((await loads([a.id])).get(a.id)?.get('voice')).toBe(1);
    } finally {
      await Promise.all(pools.map((p) => p.close()));
    }
  });

  test('call.offered reaches the agent’s console (number masked for an agent) and call.offer_ended when it moves on', async () => {
    const web = await startWeb(f.t.ctx);
    try {
      const a = await availableAgent({ departmentCode: 'taxe' });
      const b = await availableAgent({ departmentCode: 'taxe' });
      await b.update({ lastOfferAt: new Date() });
      const consoleA = await openConsole(web.url, { cookie: await cookieFor(a) });
      const consoleB = await openConsole(web.url, { cookie: await cookieFor(b) });
      const caller = '+40721987654';
      const call = await ringingCall('1', caller);
      const offered = (await consoleA.waitFor('call.offered')) as { eventId: number; call: Record<string, unknown> };
      expect(offered.call).toMatchObject({ callId: call.id, conversationId: call.conversationId, caller: '+407•••••654', department: { code: 'taxe' }, language: 'ro', timeoutSeconds: 30 });
      expect(typeof offered.eventId).toBe('number');
      await declineCall(f.t.ctx, call.id, a.id);
      const ended = await consoleA.waitFor('call.offer_ended');
      expect(ended).toMatchObject({ callId: call.id, reason: 'declined' });
      const toB = (await consoleB.waitFor('call.offered')) as { call: Record<string, unknown> };
      expect(toB.call.callId).toBe(call.id);
      expect(consoleA.received.filter((e) => e.name === 'call.offered')).toHaveLength(1);
      consoleA.socket.close();
      consoleB.socket.close();
    } finally {
      await web.close();
    }
  });

  test('callerForRole masks the number for agents only', () => {
    expect(callerForRole('+40721987654', 'agent')).toBe('+407•••••654');
    expect(callerForRole('+40721987654', 'supervisor')).toBe('+40721987654');
    expect(callerForRole('+40721987654', 'admin')).toBe('+40721987654');
    expect(callerForRole(null, 'agent')).toBeNull();
  });
});
