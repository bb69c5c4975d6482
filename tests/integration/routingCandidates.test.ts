import { randomUUID } from 'node:crypto';
import type { ChannelKind, Language } from '../../channels/contract';
import { Agent, Conversation, Offer, PhoneCall } from '../../db/models';
import type { CallRoutingState } from '../../db/models/PhoneCall';
import type { OfferState } from '../../db/models/Offer';
import { ingestContact } from '../../server/ingest/ingestContact';
import { loads, rankCandidates, type CandidateOptions } from '../../server/routing/load';
import { routingRuntime, type RoutingRuntime } from '../../server/routing/runtime';
import { routingSettings, type StrategyName } from '../../server/routing/settings';
import { syncQueueEntry } from '../../server/routing/syncQueueEntry';
import { agent, contact, department } from '../helpers/factories';
import { createTestContext, type TestContext } from '../helpers/context';
import { DIALECTS } from '../helpers/services';

const MINUTE = 60_000;

describe.each(DIALECTS)('the candidates of a waiting case, on %s', (dialect) => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext(dialect);
  });
  afterAll(async () => {
    await t.ctx.events.drain();
    await t.cleanup();
  });
  // Every test starts with nobody eligible: the agents of earlier tests are deactivated.
  beforeEach(async () => {
    await Agent.update({ active: false }, { where: {} });
  });

  const runtime = (strategy: StrategyName = 'longest_idle'): RoutingRuntime => routingRuntime(t.ctx, routingSettings(t.config, { strategy }));

  /** A case of the given channel, queued (unassigned) or assigned to an agent with a status. */
  async function newCase(channel: ChannelKind = 'api', assign?: { agent: Agent; status?: 'new' | 'open' | 'pending_citizen' | 'resolved' }) {
    const r = await ingestContact(t.ctx, contact());
    await Conversation.update({ channel, ...(assign ? { assigneeId: assign.agent.id, status: assign.status ?? 'open' } : {}) }, { where: { id: r.conversation.id } });
    return { conversationId: r.conversation.id, messageId: r.message.id };
  }

  /** An offer of a fresh waiting case to an agent, in the state given (answered `answeredAgoMs` ago when not pending). */
  async function offer(a: Agent, state: OfferState, opts: { channel?: ChannelKind; conversationId?: number; answeredAgoMs?: number } = {}) {
    const conversationId = opts.conversationId ?? (await newCase(opts.channel ?? 'api')).conversationId;
    const { entryId } = await syncQueueEntry(runtime(), conversationId);
    const now = Date.now();
    await Offer.create({
      queueEntryId: entryId!,
      conversationId,
      agentId: a.id,
      channel: opts.channel ?? 'api',
      state,
      pendingKey: state === 'pending' ? conversationId : null,
      reason: null,
      expiresAt: new Date(now + MINUTE),
      answeredAt: state === 'pending' ? null : new Date(now - (opts.answeredAgoMs ?? MINUTE)),
    });
    return conversationId;
  }

  /** A live call of a case: ringing an agent (`offered`) or held by one (`bridging`, `bridged`), or over. */
  async function call(state: CallRoutingState, a: Agent, of?: { conversationId: number; messageId: number }) {
    const c = of ?? (await newCase('voice'));
    await PhoneCall.create({
      callSid: `CA${randomUUID().replace(/-/g, '')}`,
      messageId: c.messageId,
      conversationId: c.conversationId,
      departmentCode: null,
      queueName: null,
      queueSid: null,
      routingState: state,
      offeredAgentId: state === 'offered' ? a.id : null,
      offerExpiresAt: null,
      agentId: state === 'offered' ? null : a.id,
      agentDevice: null,
      queuedAt: null,
      bridgedAt: null,
      endedAt: null,
    });
    return c;
  }

  const setDisconnected = (a: Agent, at: Date | null) =>
    t.ctx.db.sequelize.query('UPDATE agents SET disconnectedAt = :at WHERE id = :id', { replacements: { at, id: a.id } });

  async function ranked(
    work: Partial<{ conversationId: number; departmentId: number | null; channel: ChannelKind; language: Language }> = {},
    opts: CandidateOptions = {},
    strategy?: StrategyName,
  ) {
    const entry = { conversationId: work.conversationId ?? 0, departmentId: work.departmentId ?? null, channel: work.channel ?? 'api', language: work.language ?? 'ro' };
    return rankCandidates(runtime(strategy), entry, opts);
  }
  const ids = async (...args: Parameters<typeof ranked>) => (await ranked(...args)).map((c) => c.agentId);
  const available = (opts: Parameters<typeof agent>[0] = {}) => agent({ presence: 'available', allDepartments: true, ...opts });

  test('away, offline, busy, after-call, inactive and disconnected agents are never candidates', async () => {
    for (const presence of ['away', 'offline', 'busy', 'after_call_work'] as const) await agent({ presence, allDepartments: true });
    const inactive = await available();
    await inactive.update({ active: false });
    const gone = await available();
    await setDisconnected(gone, new Date(Date.now() - MINUTE));
    expect(await ids()).toEqual([]);

    // Connected again (or never connected: REST-only integrations) makes one a candidate.
    await setDisconnected(gone, null);
    const ready = await available();
    expect((await ids()).sort((a, b) => a - b)).toEqual([gone.id, ready.id]);
  });

  test('department-restricted agents do not serve the general queue; members and all-department agents serve a department', async () => {
    const roads = await department('drumuri');
    const parks = await department('parcuri');
    const roadsAgent = await available({ allDepartments: false, departmentIds: [roads.id] });
    await available({ allDepartments: false, departmentIds: [parks.id] });
    await available({ allDepartments: false });
    const registry = await available();
    expect(await ids({ departmentId: null })).toEqual([registry.id]);
    expect((await ids({ departmentId: roads.id })).sort((a, b) => a - b)).toEqual([roadsAgent.id, registry.id]);
  });

  test('an agent at capacity on the case’s channel is left out; one at capacity on another channel is not', async () => {
    const fullOnEmail = await available({ capacity: { email: 1, api: 5 } });
    await newCase('email', { agent: fullOnEmail });
    const fullOnApi = await available({ capacity: { email: 5, api: 1 } });
    await newCase('api', { agent: fullOnApi, status: 'new' });
    // A case waiting on the citizen or resolved does not occupy its agent.
    const waitingOnCitizen = await available({ capacity: { email: 5, api: 1 } });
    await newCase('api', { agent: waitingOnCitizen, status: 'pending_citizen' });
    await newCase('api', { agent: waitingOnCitizen, status: 'resolved' });
    expect((await ids({ channel: 'email' })).sort((a, b) => a - b)).toEqual([fullOnApi.id, waitingOnCitizen.id]);
    expect((await ids({ channel: 'api' })).sort((a, b) => a - b)).toEqual([fullOnEmail.id, waitingOnCitizen.id]);
    // A capacity of 0 takes no case of the channel; a channel missing from the setting has its default.
    const noSms = await available({ capacity: { sms: 0 } });
    expect(await ids({ channel: 'sms' })).not.toContain(noSms.id);
    expect(await ids({ channel: 'portal' })).toContain(noSms.id);
  });

  test('pending offers count toward load; answered ones do not', async () => {
    const offered = await available({ capacity: { api: 1 } });
    await offer(offered, 'pending');
    const declinedElsewhere = await available({ capacity: { api: 1 } });
    await offer(declinedElsewhere, 'declined');
    expect(await ids()).toEqual([declinedElsewhere.id]);
    const twoOffers = await available({ capacity: { api: 5, email: 5 } });
    await offer(twoOffers, 'pending');
    await offer(twoOffers, 'pending', { channel: 'email' });
    await newCase('email', { agent: twoOffers });
    const load = (await loads([twoOffers.id])).get(twoOffers.id);
    expect(load && Object.fromEntries(load)).toEqual({ api: 1, email: 2 });
    expect((await ranked()).find((c) => c.agentId === twoOffers.id)?.load).toBe(3);
  });

  test('voice: a ringing or connected call fills the slot once, an ended one not; exceptConversationId leaves its case out', async () => {
    const ringing = await available();
    await call('offered', ringing);
    const bridging = await available();
    await call('bridging', bridging);
    const ended = await available();
    await call('ended', ended);
    expect(await ids({ channel: 'voice' })).toEqual([ended.id]);

    // A connected call whose case is already assigned to the agent is that case: one, not two.
    const holder = await available({ capacity: { api: 5 } });
    const held = await newCase('voice', { agent: holder });
    await call('bridged', holder, held);
    expect((await loads([holder.id])).get(holder.id)?.get('voice')).toBe(1);
    expect((await ranked({ channel: 'api' })).find((c) => c.agentId === holder.id)?.load).toBe(1);
    expect(await ids({ channel: 'voice' })).not.toContain(holder.id);

    // A repeat call of the case the agent holds: its own case and call are not "another" call.
    expect(await ids({ channel: 'voice' }, { exceptConversationId: held.conversationId })).toContain(holder.id);
    expect((await loads([holder.id], undefined, { exceptConversationId: held.conversationId })).get(holder.id)?.get('voice') ?? 0).toBe(0);
    // Routing a call of another case, the held case and its call count again.
    const other = await newCase('voice');
    expect(await ids({ channel: 'voice' }, { exceptConversationId: other.conversationId })).not.toContain(holder.id);
  });

  test('agents who declined or let expire an offer of this case lately are left out, unless the case is fresh', async () => {
    const declined = await available();
    const expired = await available();
    const longAgo = await available();
    const otherCase = await available();
    const { conversationId } = await newCase('api');
    await offer(declined, 'declined', { conversationId });
    await offer(expired, 'expired', { conversationId });
    // The exclusion period is ten minutes.
    await offer(longAgo, 'declined', { conversationId, answeredAgoMs: 11 * MINUTE });
    await offer(otherCase, 'declined');
    const sorted = (list: number[]) => [...list].sort((a, b) => a - b);
    expect(sorted(await ids({ conversationId }))).toEqual([longAgo.id, otherCase.id]);
    expect(sorted(await ids({ conversationId }, { fresh: true }))).toEqual(sorted([declined.id, expired.id, longAgo.id, otherCase.id]));
    // Agents excluded by the caller (who declined or missed a live call) stay out whatever the history says.
    expect(await ids({ conversationId }, { excludeAgentIds: [longAgo.id] })).toEqual([otherCase.id]);
  });

  test('an agent listing no languages speaks Romanian; others only what they list', async () => {
    const none = await available({ languages: [] });
    const english = await available({ languages: ['en'] });
    const both = await available({ languages: ['ro', 'en'] });
    const sorted = (list: number[]) => [...list].sort((a, b) => a - b);
    expect(sorted(await ids({ language: 'ro' }))).toEqual([none.id, both.id]);
    expect(sorted(await ids({ language: 'en' }))).toEqual([english.id, both.id]);
  });

  test('longest idle: never offered first, then the oldest last offer, ties by id', async () => {
    const now = Date.now();
    const recent = await available();
    await recent.update({ lastOfferAt: new Date(now - MINUTE) });
    const old = await available();
    await old.update({ lastOfferAt: new Date(now - 60 * MINUTE) });
    const never = await available();
    const neverToo = await available();
    const candidates = await ranked();
    expect(candidates.map((c) => c.agentId)).toEqual([never.id, neverToo.id, old.id, recent.id]);
    // Dates come back as Dates on both drivers, to the millisecond.
    expect(candidates[2]!.lastOfferAt).toEqual(new Date(now - 60 * MINUTE));
    expect(candidates[0]!.lastOfferAt).toBeNull();
  });

  test('least occupied: the smallest share of capacity in use first, then longest idle', async () => {
    const now = Date.now();
    // Total capacities: 1+4+5+5+5+5 = 25 by default; 1+0+0+0+0+2 = 3 for the small one.
    const idleBusy = await available();
    await newCase('api', { agent: idleBusy });
    await newCase('email', { agent: idleBusy });
    const small = await available({ capacity: { sms: 0, email: 0, portal: 0, letter: 0, api: 2 } });
    await offer(small, 'pending');
    const freshFree = await available();
    await freshFree.update({ lastOfferAt: new Date(now - MINUTE) });
    const free = await available();
    await free.update({ lastOfferAt: new Date(now - 2 * MINUTE) });
    const candidates = await ranked({}, {}, 'least_occupied');
    expect(candidates.map((c) => ({ agentId: c.agentId, load: c.load, capacity: c.capacity }))).toEqual([
      { agentId: free.id, load: 0, capacity: 25 },
      { agentId: freshFree.id, load: 0, capacity: 25 },
      { agentId: idleBusy.id, load: 2, capacity: 25 },
      { agentId: small.id, load: 1, capacity: 3 },
    ]);
    expect((await ranked({}, {}, 'longest_idle')).map((c) => c.agentId)).toEqual([idleBusy.id, small.id, free.id, freshFree.id]);
  });

  test('loads read the same inside a transaction as outside', async () => {
    const a = await available();
    await newCase('api', { agent: a });
    await offer(a, 'pending', { channel: 'email' });
    await call('offered', a);
    const outside = (await loads([a.id])).get(a.id);
    const inside = await t.ctx.db.transaction(async (tx) => (await loads([a.id], tx)).get(a.id));
    expect(outside && Object.fromEntries(outside)).toEqual({ api: 1, email: 1, voice: 1 });
    expect(inside && Object.fromEntries(inside)).toEqual(outside && Object.fromEntries(outside));
    expect((await loads([])).size).toBe(0);
  });
});
