import { Conversation, ConversationEvent, Offer, QueueEntry } from '../../db/models';
import { openDatabase, type Database } from '../../db/connection';
import { ingestContact } from '../../server/ingest/ingestContact';
import { acceptOffer } from '../../server/routing/answerOffer';
import { configureRouting } from '../../server/routing/engine';
import { offerToAgent } from '../../server/routing/offerConversation';
import { routingRuntime, type RoutingRuntime } from '../../server/routing/runtime';
import { createTestContext, type TestContext } from '../helpers/context';
import { agent, contact } from '../helpers/factories';
import { DIALECTS } from '../helpers/services';

/**
 * Several connection pools on one database stand in for several server processes: the invariants must come from
 * the database (conditional updates, unique index, row locks), not from anything shared in memory.
 */
describe.each(DIALECTS)('routing races on %s', (dialect) => {
  let t: TestContext;
  let pools: Database[];
  let processes: RoutingRuntime[];

  beforeEach(async () => {
    t = await createTestContext(dialect);
    const engine = configureRouting(t.ctx, {});
    engine.start({ sweeper: false });
    // SQLite is the embedded, one-process deployment: there the "processes" share its one connection manager
    // (sqlite3 connections of one process waiting on each other's file lock starve libuv's thread pool).
    pools = dialect === 'mariadb' ? Array.from({ length: 5 }, () => openDatabase(t.databaseUrl, { poolMax: 10 })) : [];
    processes = pools.length ? [engine.runtime, ...pools.map((db) => routingRuntime({ ...t.ctx, db }, engine.settings))] : [engine.runtime];
  });
  afterEach(async () => {
    await Promise.all(pools.map((p) => p.close()));
    await t.cleanup();
  });

  test('50 concurrent accepts of one offer from 6 processes → exactly one winner, one assignment', async () => {
    const a = await agent({ presence: 'available', allDepartments: true });
    const { conversation } = await ingestContact(t.ctx, contact());
    await t.ctx.events.drain();
    const offer = await Offer.findOne({ where: { conversationId: conversation.id, state: 'pending' } });
    expect(offer?.agentId).toBe(a.id);

    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => acceptOffer(processes[i % processes.length]!, { offerId: offer!.id, agentId: a.id })));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((r) => (r.reason as { code?: string }).code)).toEqual(Array(49).fill('offer_gone'));
    expect((await Conversation.findByPk(conversation.id))?.assigneeId).toBe(a.id);
    expect(await ConversationEvent.count({ where: { conversationId: conversation.id, type: 'conversation.assigned' } })).toBe(1);
    expect(await ConversationEvent.count({ where: { conversationId: conversation.id, type: 'offer.accepted' } })).toBe(1);
  });

  test('one waiting case offered concurrently to 12 agents from 6 processes → one pending offer', async () => {
    const agents = [];
    for (let i = 0; i < 12; i++) agents.push(await agent({ presence: 'available', allDepartments: true }));
    const { conversation } = await ingestContact(t.ctx, contact());
    // Routing already offered it on ingest: put the entry back to waiting by hand to race the offer itself.
    await t.ctx.events.drain();
    await Offer.update({ state: 'revoked', pendingKey: null }, { where: { conversationId: conversation.id } });
    await QueueEntry.update({ state: 'waiting', offerId: null }, { where: { conversationId: conversation.id } });
    const entry = await QueueEntry.findOne({ where: { conversationId: conversation.id } });

    const outcomes = await Promise.all(agents.map((ag, i) => offerToAgent(processes[i % processes.length]!, entry!.id, ag.id)));
    expect(outcomes.filter((o) => o.kind === 'offered')).toHaveLength(1);
    expect(await Offer.count({ where: { conversationId: conversation.id, state: 'pending' } })).toBe(1);
  });

  test('capacity under concurrency: 20 cases offered at once to an agent with room for 2 → 2 offers', async () => {
    const a = await agent({ presence: 'available', allDepartments: true, capacity: { api: 2 } });
    await a.update({ presence: 'offline' });
    const entries: number[] = [];
    for (let i = 0; i < 20; i++) {
      const { conversation } = await ingestContact(t.ctx, contact());
      await t.ctx.events.drain();
      entries.push((await QueueEntry.findOne({ where: { conversationId: conversation.id } }))!.id);
    }
    await a.update({ presence: 'available' });
    const outcomes = await Promise.all(entries.map((id, i) => offerToAgent(processes[i % processes.length]!, id, a.id)));
    expect(outcomes.filter((o) => o.kind === 'offered')).toHaveLength(2);
    expect(await Offer.count({ where: { agentId: a.id, state: 'pending' } })).toBe(2);
  });
});
