import { QueryTypes } from 'sequelize';
import { Agent, Conversation, ConversationEvent, Offer, QueueEntry } from '../../db/models';
import type { AppError } from '../../server/errors';
import { ingestContact } from '../../server/ingest/ingestContact';
import { configureRouting, type RoutingEngine } from '../../server/routing/engine';
import { RoutingAbort } from '../../server/routing/events';
import { writeOffer } from '../../server/routing/writeOffer';
import { agent, contact, department } from '../helpers/factories';
import { createTestContext, type TestContext } from '../helpers/context';
import { DIALECTS } from '../helpers/services';

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toMatchObject({ code } satisfies Partial<AppError>);
}

describe.each(DIALECTS)('routing engine on %s', (dialect) => {
  let t: TestContext;
  let engine: RoutingEngine;
  let stop: () => Promise<void>;

  beforeEach(async () => {
    t = await createTestContext(dialect);
    engine = configureRouting(t.ctx, { offerTimeoutMs: 30_000, exclusionMs: 60_000, disconnectGraceMs: 200 });
    stop = engine.start({ sweeper: false }).stop;
  });
  afterEach(async () => {
    await stop();
    await t.cleanup();
  });

  async function newCase(overrides: Parameters<typeof contact>[0] = {}) {
    const r = await ingestContact(t.ctx, contact(overrides));
    await t.ctx.events.drain();
    return r.conversation.id;
  }
  const pending = (conversationId: number) => Offer.findAll({ where: { conversationId, state: 'pending' } });
  const entryOf = (conversationId: number) => QueueEntry.findOne({ where: { conversationId } });

  test('writing an offer moves its entry to offered and stamps the agent; an entry no longer waiting aborts it and changes nothing', async () => {
    const a = await agent({ allDepartments: true });
    const id = await newCase();
    const entry = (await entryOf(id))!;
    expect(entry.state).toBe('waiting');
    const offered = { conversationId: id, departmentId: null, channel: entry.channel };

    await QueueEntry.update({ state: 'removed' }, { where: { id: entry.id } });
    await expect(t.ctx.db.transaction((tx) => writeOffer(engine.runtime, tx, entry.id, offered, a.id))).rejects.toBeInstanceOf(RoutingAbort);
    expect(await Offer.count({ where: { conversationId: id } })).toBe(0);
    expect((await Agent.findByPk(a.id))!.lastOfferAt).toBeNull();
    expect((await entryOf(id))!.state).toBe('removed');

    await QueueEntry.update({ state: 'waiting' }, { where: { id: entry.id } });
    const { offer } = await t.ctx.db.transaction((tx) => writeOffer(engine.runtime, tx, entry.id, offered, a.id));
    const after = (await entryOf(id))!;
    expect([after.state, after.offerId]).toEqual(['offered', offer.id]);
    expect((await Agent.findByPk(a.id))!.lastOfferAt?.getTime()).toBe(offer.createdAt.getTime());
    await t.ctx.events.drain();
  });

  test('a case with nobody available waits in the general queue, and is offered as soon as an agent becomes available', async () => {
    const a = await agent({ allDepartments: true });
    const id = await newCase();
    expect((await entryOf(id))?.state).toBe('waiting');
    expect(await pending(id)).toHaveLength(0);

    await engine.setPresence(a.id, 'available');
    await t.ctx.events.drain();
    const offers = await pending(id);
    expect(offers.map((o) => o.agentId)).toEqual([a.id]);
    expect((await entryOf(id))?.state).toBe('offered');
    const types = (await ConversationEvent.findAll({ where: { conversationId: id }, order: [['id', 'ASC']] })).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['conversation.queued', 'offer.created']));
  });

  test('queue eligibility: a department case goes to its members or all-department agents; the general queue only to the latter', async () => {
    const roads = await department('drumuri');
    const parks = await department('spatii-verzi');
    const parksAgent = await agent({ presence: 'available', departmentIds: [parks.id] });
    const generalCase = await newCase();
    const roadsCase = await newCase({ departmentCode: 'drumuri' });
    expect(await pending(generalCase)).toHaveLength(0);
    expect(await pending(roadsCase)).toHaveLength(0);

    const roadsAgent = await agent({ presence: 'available', departmentIds: [roads.id] });
    await engine.sweep();
    expect((await pending(roadsCase)).map((o) => o.agentId)).toEqual([roadsAgent.id]);
    expect(await pending(generalCase)).toHaveLength(0);

    const registry = await agent({ presence: 'available', allDepartments: true });
    await engine.sweep();
    expect((await pending(generalCase)).map((o) => o.agentId)).toEqual([registry.id]);
    expect(parksAgent.id).not.toBe(registry.id);
    // A parks-only agent may not pull from the roads queue nor the general queue.
    await engine.setPresence(parksAgent.id, 'busy');
    await expectCode(engine.pull(parksAgent.id, roads.id), 'forbidden');
    await expectCode(engine.pull(parksAgent.id, 'general'), 'forbidden');
  });

  test('languages are skills: an English case is not offered to an agent who only speaks Romanian', async () => {
    await agent({ presence: 'available', allDepartments: true, languages: ['ro'] });
    const id = await newCase({ language: 'en' });
    expect(await pending(id)).toHaveLength(0);
    const bilingual = await agent({ presence: 'available', allDepartments: true, languages: ['ro', 'en'] });
    await engine.sweep();
    expect((await pending(id)).map((o) => o.agentId)).toEqual([bilingual.id]);
  });

  test('order inside a queue: priority first, then the nearest due date (none last), then arrival', async () => {
    const low = await newCase({ priority: 0 });
    const high = await newCase({ priority: 2 });
    const mid = await newCase({ priority: 1 });
    const midSooner = await newCase({ priority: 1 });
    const midNoDue = await newCase({ priority: 1 });
    await Conversation.update({ dueAt: new Date(Date.now() + 86_400_000) }, { where: { id: mid } });
    await Conversation.update({ dueAt: new Date(Date.now() + 3_600_000) }, { where: { id: midSooner } });
    await Conversation.update({ dueAt: null }, { where: { id: midNoDue } });
    for (const id of [mid, midSooner, midNoDue]) await engine.caseChanged(id);

    const puller = await agent({ presence: 'busy', allDepartments: true, capacity: { api: 10 } });
    const order: number[] = [];
    for (let i = 0; i < 5; i++) order.push((await engine.pull(puller.id)).conversationId);
    expect(order).toEqual([high, midSooner, mid, midNoDue, low]);
    await expectCode(engine.pull(puller.id), 'queue_empty');
  });

  test('accept assigns the case once; a second accept, a stranger’s accept and an accept after expiry are refused', async () => {
    const a = await agent({ presence: 'available', allDepartments: true });
    const b = await agent({ presence: 'available', allDepartments: true });
    const id = await newCase();
    const [offer] = await pending(id);
    const owner = offer!.agentId;
    const stranger = owner === a.id ? b.id : a.id;
    await expectCode(engine.accept(stranger, offer!.id), 'forbidden');
    const result = await engine.accept(owner, offer!.id);
    expect(result.conversationId).toBe(id);
    await expectCode(engine.accept(owner, offer!.id), 'offer_gone');
    const c = await Conversation.findByPk(id);
    expect(c?.assigneeId).toBe(owner);
    expect(c?.status).toBe('open');
    expect((await entryOf(id))?.state).toBe('assigned');
    const types = (await ConversationEvent.findAll({ where: { conversationId: id } })).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['offer.accepted', 'conversation.assigned']));

    const id2 = await newCase();
    const [offer2] = await pending(id2);
    await Offer.update({ expiresAt: new Date(Date.now() - 1000) }, { where: { id: offer2!.id } });
    await expectCode(engine.accept(offer2!.agentId, offer2!.id), 'offer_gone');
  });

  test('decline → the next agent gets it, and the decliner is not offered it again', async () => {
    const a = await agent({ presence: 'available', allDepartments: true });
    const b = await agent({ presence: 'available', allDepartments: true });
    const id = await newCase();
    const [first] = await pending(id);
    await engine.decline(first!.agentId, first!.id, 'busy with a caller');
    const [second] = await pending(id);
    expect(second?.agentId).toBe(first!.agentId === a.id ? b.id : a.id);
    await engine.decline(second!.agentId, second!.id);
    expect(await pending(id)).toHaveLength(0);
    expect((await entryOf(id))?.state).toBe('waiting');
    await engine.sweep();
    expect(await pending(id)).toHaveLength(0); // both excluded for a while: it waits, it is not lost
    expect((await ConversationEvent.count({ where: { conversationId: id, type: 'offer.declined' } }))).toBe(2);
  });

  test('timeout → the sweeper expires the offer and offers the case to the next agent', async () => {
    await agent({ presence: 'available', allDepartments: true });
    await agent({ presence: 'available', allDepartments: true });
    const id = await newCase();
    const [first] = await pending(id);
    await Offer.update({ expiresAt: new Date(Date.now() - 1) }, { where: { id: first!.id } });
    const report = await engine.sweep();
    expect(report.expired).toBe(1);
    expect((await Offer.findByPk(first!.id))?.state).toBe('expired');
    const [second] = await pending(id);
    expect(second).toBeDefined();
    expect(second!.agentId).not.toBe(first!.agentId);
    expect(await ConversationEvent.count({ where: { conversationId: id, type: 'offer.expired' } })).toBe(1);
  });

  test('capacity per channel is respected: with room for one email, the second email case waits until the first is done', async () => {
    const a = await agent({ presence: 'available', allDepartments: true, capacity: { email: 1, api: 5 } });
    const first = await newCase({ channel: 'email' });
    const second = await newCase({ channel: 'email' });
    const apiCase = await newCase({ channel: 'api' });
    expect((await pending(first)).map((o) => o.agentId)).toEqual([a.id]);
    expect(await pending(second)).toHaveLength(0); // the pending offer reserves the one email slot
    expect((await pending(apiCase)).map((o) => o.agentId)).toEqual([a.id]);
    await engine.accept(a.id, (await pending(first))[0]!.id);
    await engine.sweep();
    expect(await pending(second)).toHaveLength(0);
    await expectCode(engine.pull(a.id), 'queue_empty');

    await Conversation.update({ status: 'resolved' }, { where: { id: first } });
    await engine.caseChanged(first);
    await engine.sweep();
    expect((await pending(second)).map((o) => o.agentId)).toEqual([a.id]);
  });

  test('leaving available revokes pending offers (the case goes to someone else); assigned cases stay', async () => {
    const a = await agent({ presence: 'available', allDepartments: true });
    const keep = await newCase();
    await engine.accept(a.id, (await pending(keep))[0]!.id);
    const id = await newCase();
    const [offer] = await pending(id);
    expect(offer?.agentId).toBe(a.id);
    const b = await agent({ presence: 'offline', allDepartments: true });
    await engine.setPresence(b.id, 'available');
    await engine.setPresence(a.id, 'away');
    expect((await Offer.findByPk(offer!.id))?.state).toBe('revoked');
    expect((await pending(id)).map((o) => o.agentId)).toEqual([b.id]);
    expect((await Conversation.findByPk(keep))?.assigneeId).toBe(a.id);
  });

  test('an agent whose sockets are all gone past the grace period loses pending offers, not assigned cases', async () => {
    const a = await agent({ presence: 'available', allDepartments: true });
    await engine.socketConnected('sock-1', a.id, '/agents');
    await engine.socketConnected('sock-2', a.id, '/agents');
    const kept = await newCase();
    await engine.accept(a.id, (await pending(kept))[0]!.id);
    const id = await newCase();
    const [offer] = await pending(id);
    expect(offer?.agentId).toBe(a.id);

    await engine.socketDisconnected('sock-1', a.id);
    await new Promise((r) => setTimeout(r, 300));
    await engine.sweep();
    expect((await Offer.findByPk(offer!.id))?.state).toBe('pending'); // one socket is still there

    await engine.socketDisconnected('sock-2', a.id);
    await engine.sweep();
    expect((await Offer.findByPk(offer!.id))?.state).toBe('pending'); // inside the grace period (a reload)
    const deadline = Date.now() + 5000;
    while ((await Offer.findByPk(offer!.id))?.state === 'pending' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      await engine.sweep();
    }
    const ended = await Offer.findByPk(offer!.id);
    expect(ended?.state).toBe('revoked');
    expect(ended?.reason).toBe('disconnected');
    expect((await Conversation.findByPk(kept))?.assigneeId).toBe(a.id);
    expect((await entryOf(id))?.state).toBe('waiting');
    // While disconnected no new offer reaches them.
    await engine.sweep();
    expect(await pending(id)).toHaveLength(0);
    await engine.socketConnected('sock-3', a.id, '/agents');
    await engine.sweep();
    expect((await pending(id)).map((o) => o.agentId)).toEqual([a.id]); // back: a revoke is not a decline
  });

  test('a case whose queue entry was lost (crash between commit and enqueue) is found by the sweeper and offered', async () => {
    const id = await newCase();
    await QueueEntry.destroy({ where: { conversationId: id } });
    const a = await agent({ presence: 'available', allDepartments: true });
    await engine.sweep();
    expect((await entryOf(id))?.state).toBe('offered');
    expect((await pending(id)).map((o) => o.agentId)).toEqual([a.id]);
  });

  test('a supervisor reassigns: pending offers are revoked, capacity holds, and unassigning puts the case back in its queue', async () => {
    const a = await agent({ presence: 'available', allDepartments: true });
    const b = await agent({ presence: 'busy', allDepartments: true, capacity: { api: 1 } });
    const boss = await agent({ role: 'supervisor' });
    const id = await newCase();
    const [offer] = await pending(id);
    await engine.reassign(boss.id, id, b.id);
    expect((await Offer.findByPk(offer!.id))?.state).toBe('revoked');
    expect((await Conversation.findByPk(id))?.assigneeId).toBe(b.id);
    const other = await newCase();
    await expectCode(engine.reassign(boss.id, other, b.id), 'capacity_full');
    await engine.reassign(boss.id, id, null);
    expect((await Conversation.findByPk(id))?.assigneeId).toBeNull();
    const rows = await t.ctx.db.sequelize.query<{ n: number }>(`SELECT COUNT(*) AS n FROM offers WHERE conversationId = ${id} AND state = 'pending'`, { type: QueryTypes.SELECT });
    expect(Number(rows[0]!.n)).toBe(1);
    expect(a.id).toBeGreaterThan(0);
  });
});
