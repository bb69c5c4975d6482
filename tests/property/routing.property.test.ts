import fc from 'fast-check';
import { QueryTypes } from 'sequelize';
import { Conversation, Offer } from '../../db/models';
import { openDatabase, type Database } from '../../db/connection';
import { ingestContact } from '../../server/ingest/ingestContact';
import { acceptOffer, declineOffer, endOffer } from '../../server/routing/answerOffer';
import { socketConnected, socketDisconnected } from '../../server/routing/connections';
import { configureRouting, type RoutingEngine } from '../../server/routing/engine';
import { capacityFor } from '../../server/routing/load';
import { routeEntry } from '../../server/routing/offerConversation';
import { pullConversation } from '../../server/routing/pullConversation';
import { reassignConversation } from '../../server/routing/reassignConversation';
import { routingRuntime, type RoutingRuntime } from '../../server/routing/runtime';
import { setPresence } from '../../server/routing/setPresence';
import { sweepOnce } from '../../server/routing/sweeper';
import { syncQueueEntry } from '../../server/routing/syncQueueEntry';
import { AppError } from '../../server/errors';
import type { Agent } from '../../db/models';
import { createTestContext, type TestContext } from '../helpers/context';
import { agent, contact, department } from '../helpers/factories';

type Action =
  | { kind: 'presence'; agent: number; presence: 'available' | 'busy' | 'away' | 'offline' }
  | { kind: 'ingest'; dept: boolean; priority: number; channel: 'api' | 'email' | 'sms' }
  | { kind: 'accept'; agent: number }
  | { kind: 'decline'; agent: number }
  | { kind: 'timeout' }
  | { kind: 'disconnect'; agent: number }
  | { kind: 'connect'; agent: number }
  | { kind: 'resolve' }
  | { kind: 'reassign'; agent: number | null }
  | { kind: 'pull'; agent: number }
  | { kind: 'sweep' };

const AGENTS = 4;
const agentIdx = fc.integer({ min: 0, max: AGENTS - 1 });
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('presence' as const), agent: agentIdx, presence: fc.constantFrom('available' as const, 'available' as const, 'busy' as const, 'away' as const, 'offline' as const) }),
  fc.record({ kind: fc.constant('ingest' as const), dept: fc.boolean(), priority: fc.integer({ min: 0, max: 3 }), channel: fc.constantFrom('api' as const, 'email' as const, 'sms' as const) }),
  fc.record({ kind: fc.constant('accept' as const), agent: agentIdx }),
  fc.record({ kind: fc.constant('decline' as const), agent: agentIdx }),
  fc.record({ kind: fc.constant('timeout' as const) }),
  fc.record({ kind: fc.constant('disconnect' as const), agent: agentIdx }),
  fc.record({ kind: fc.constant('connect' as const), agent: agentIdx }),
  fc.record({ kind: fc.constant('resolve' as const) }),
  fc.record({ kind: fc.constant('reassign' as const), agent: fc.option(agentIdx, { nil: null }) }),
  fc.record({ kind: fc.constant('pull' as const), agent: agentIdx }),
  fc.record({ kind: fc.constant('sweep' as const) }),
);

/** Expected refusals (the point of the engine); anything else fails the property. */
const EXPECTED = new Set(['offer_gone', 'capacity_full', 'not_available', 'queue_empty', 'forbidden', 'conversation_closed']);

/**
 * Random sequences of presence changes, new cases, accepts, declines, timeouts, disconnects, closes, reassignments,
 * pulls and sweeps, each step run as two or three concurrent actions from different "processes" (separate pools),
 * and the invariants checked with SQL after every step: one pending offer per case at most, no pending offer for an
 * assigned case, capacity never exceeded, every open unassigned case waiting or offered in a queue, and entry states
 * agreeing with offers.
 */
describe('routing invariants (property, MariaDB)', () => {
  let t: TestContext;
  let engine: RoutingEngine;
  let pools: Database[];
  let processes: RoutingRuntime[];
  let agents: Agent[];
  let deptId: number;
  let sockets = 0;

  beforeAll(async () => {
    t = await createTestContext('mariadb');
    engine = configureRouting(t.ctx, { exclusionMs: 2_000, disconnectGraceMs: 0 });
    engine.start({ sweeper: false });
    pools = [openDatabase(t.databaseUrl, { poolMax: 6 }), openDatabase(t.databaseUrl, { poolMax: 6 })];
    processes = [engine.runtime, ...pools.map((db) => routingRuntime({ ...t.ctx, db }, engine.settings))];
    deptId = (await department('drumuri')).id;
    agents = [
      await agent({ allDepartments: true, capacity: { api: 2, email: 1, sms: 1 } }),
      await agent({ allDepartments: true, capacity: { api: 1, email: 2, sms: 1 } }),
      await agent({ departmentIds: [deptId], capacity: { api: 2, email: 1, sms: 2 } }),
      await agent({ departmentIds: [deptId], capacity: { api: 1, email: 1, sms: 1 } }),
    ];
  }, 60_000);
  afterAll(async () => {
    await engine.stop();
    await Promise.all(pools.map((p) => p.close()));
    await t.cleanup();
  });

  async function pick<T>(rows: T[]): Promise<T | undefined> {
    return rows[Math.floor(Math.random() * rows.length)];
  }

  async function run(r: RoutingRuntime, a: Action): Promise<void> {
    const ag = (i: number) => agents[i]!;
    switch (a.kind) {
      case 'presence':
        await setPresence(r, { agentId: ag(a.agent).id, presence: a.presence });
        return;
      case 'ingest':
        await ingestContact(t.ctx, contact({ channel: a.channel, priority: a.priority, ...(a.dept ? { departmentCode: 'drumuri' } : {}) }));
        return;
      case 'accept': {
        const o = await pick(await Offer.findAll({ where: { agentId: ag(a.agent).id, state: 'pending' } }));
        if (o) await acceptOffer(r, { offerId: o.id, agentId: o.agentId });
        return;
      }
      case 'decline': {
        const o = await pick(await Offer.findAll({ where: { agentId: ag(a.agent).id, state: 'pending' } }));
        if (o) await declineOffer(r, { offerId: o.id, agentId: o.agentId });
        return;
      }
      case 'timeout': {
        const o = await pick(await Offer.findAll({ where: { state: 'pending' } }));
        if (!o) return;
        await Offer.update({ expiresAt: new Date(Date.now() - 1) }, { where: { id: o.id, state: 'pending' } });
        if (await endOffer(r, o, 'expired', 'timeout')) await routeEntry(r, o.queueEntryId);
        return;
      }
      case 'connect':
        await socketConnected(r, { socketId: `s${++sockets}`, agentId: ag(a.agent).id, processId: 'prop', namespace: '/agents' });
        return;
      case 'disconnect': {
        const rows = await t.ctx.db.sequelize.query<{ socketId: string }>(`SELECT socketId FROM agent_sockets WHERE agentId = ${ag(a.agent).id}`, { type: QueryTypes.SELECT });
        for (const s of rows) await socketDisconnected(r, { socketId: s.socketId, agentId: ag(a.agent).id });
        await sweepOnce(r, { reconcile: false });
        return;
      }
      case 'resolve': {
        const c = await pick(await Conversation.findAll({ where: { status: ['new', 'open'] }, attributes: ['id'] }));
        if (!c) return;
        // As the product's commands do: in a write transaction, retried on a deadlock (the resolve touches the
        // case row and, through the SLA-copy triggers, its clocks, while offers lock the same case).
        await r.ctx.db.transaction((transaction) => Conversation.update({ status: 'resolved' }, { where: { id: c.id }, transaction }));
        await syncQueueEntry(r, c.id);
        return;
      }
      case 'reassign': {
        const c = await pick(await Conversation.findAll({ where: { status: ['new', 'open'] }, attributes: ['id'] }));
        if (c) await reassignConversation(r, { conversationId: c.id, toAgentId: a.agent === null ? null : ag(a.agent).id, byAgentId: ag(0).id });
        return;
      }
      case 'pull':
        await pullConversation(r, { agentId: ag(a.agent).id });
        return;
      case 'sweep':
        await sweepOnce(r);
        return;
    }
  }

  async function checkInvariants(): Promise<void> {
    const q = <T extends object>(sql: string) => t.ctx.db.sequelize.query<T>(sql, { type: QueryTypes.SELECT });
    expect(await q(`SELECT conversationId FROM offers WHERE state = 'pending' GROUP BY conversationId HAVING COUNT(*) > 1`)).toEqual([]);
    expect(await q(`SELECT o.id FROM offers o JOIN conversations c ON c.id = o.conversationId WHERE o.state = 'pending' AND c.assigneeId IS NOT NULL`)).toEqual([]);
    const load = await q<{ agentId: number; channel: string; n: number }>(
      `SELECT agentId, channel, SUM(n) AS n FROM (
         SELECT assigneeId AS agentId, channel, COUNT(*) AS n FROM conversations WHERE assigneeId IS NOT NULL AND status IN ('new','open') GROUP BY assigneeId, channel
         UNION ALL SELECT agentId, channel, COUNT(*) FROM offers WHERE state = 'pending' GROUP BY agentId, channel) x GROUP BY agentId, channel`,
    );
    for (const row of load) {
      const a = agents.find((x) => x.id === Number(row.agentId))!;
      expect({ agent: a.id, channel: row.channel, n: Number(row.n) }).toEqual({ agent: a.id, channel: row.channel, n: Math.min(Number(row.n), capacityFor(a.capacity, row.channel as never)) });
    }
    expect(
      await q(`SELECT c.id FROM conversations c LEFT JOIN queue_entries e ON e.conversationId = c.id
                WHERE c.status IN ('new','open') AND c.assigneeId IS NULL AND (e.id IS NULL OR e.state NOT IN ('waiting','offered'))`),
    ).toEqual([]);
    expect(await q(`SELECT e.id FROM queue_entries e LEFT JOIN offers o ON o.pendingKey = e.conversationId WHERE e.state = 'offered' AND o.id IS NULL`)).toEqual([]);
    expect(await q(`SELECT o.id FROM offers o JOIN queue_entries e ON e.id = o.queueEntryId WHERE o.state = 'pending' AND e.state <> 'offered'`)).toEqual([]);
    expect(await q(`SELECT e.id FROM queue_entries e JOIN conversations c ON c.id = e.conversationId WHERE c.assigneeId IS NOT NULL AND e.state IN ('waiting','offered')`)).toEqual([]);
  }

  test('the invariants hold after every step of random concurrent sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(action, { minLength: 1, maxLength: 3 }), { minLength: 4, maxLength: 14 }), async (steps) => {
        for (const step of steps) {
          const results = await Promise.allSettled(step.map((a, i) => run(processes[i % processes.length]!, a)));
          for (const r of results) {
            if (r.status === 'rejected' && !(r.reason instanceof AppError && EXPECTED.has(r.reason.code))) throw r.reason;
          }
          await t.ctx.events.drain();
          await checkInvariants();
        }
      }),
      { numRuns: 25, interruptAfterTimeLimit: 150_000 },
    );
  }, 240_000);
});
