import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Conversation, SlaPolicy } from '../../db/models';
import { createApp } from '../../server/app';
import { invalidateBusinessCalendar } from '../../server/calendar/calendarStore';
import { DomainEventBus } from '../../server/events/bus';
import { ingestContact } from '../../server/ingest/ingestContact';
import type { SlaAlertPayload, WallboardBoardView, WallboardUpdatedPayload } from '../../server/realtime/contract';
import { startRealtime, type Realtime } from '../../server/realtime/server';
import type { WallboardPushOptions } from '../../server/realtime/wallboardPush';
import { recomputeSla } from '../../server/sla/recomputeSla';
import type { AppContext } from '../../server/context';
import { createTestContext, type TestContext } from '../helpers/context';
import { agent, contact, department } from '../helpers/factories';
import { DIALECTS, services } from '../helpers/services';
import { cookieFor, openConsole, type Console } from './realtimeHarness';

jest.setTimeout(120_000);
const HOUR = 3_600_000;

/** The app and socket.io on a free port, with the wallboard push tuned for the test. */
async function serve(ctx: AppContext, wallboard?: WallboardPushOptions): Promise<{ url: string; realtime: Realtime; close(): Promise<void> }> {
  const server = createServer(createApp(ctx));
  const realtime = await startRealtime(ctx, server, { wallboard });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    realtime,
    async close() {
      await realtime.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const todayTotal = (b: WallboardBoardView) => b.volume.reduce((s, v) => s + v.today, 0);
const boards = (c: Console) => c.received.filter((r) => r.name === ('wallboard.updated' as never)).map((r) => r.payload as unknown as WallboardUpdatedPayload);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(DIALECTS)('live wallboard and SLA alerts on %s', (dialect) => {
  let t: TestContext;
  const closers: (() => Promise<void> | void)[] = [];
  beforeEach(async () => {
    t = await createTestContext(dialect, { PUBLIC_URL: 'https://ghiseu.primarie.test' });
    invalidateBusinessCalendar();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await t.cleanup();
    invalidateBusinessCalendar();
  });
  const open = async (...args: Parameters<typeof openConsole>) => {
    const c = await openConsole(...args);
    closers.push(() => void c.socket.close());
    return c;
  };
  const start = async (opts?: WallboardPushOptions) => {
    const web = await serve(t.ctx, opts);
    closers.push(() => web.close());
    return web;
  };

  test('a contact is pushed to the wallboard within a second or so; a burst costs about one computation a second', async () => {
    const web = await start();
    const boss = await agent({ role: 'supervisor', allDepartments: true });
    const wall = await open(web.url, { cookie: await cookieFor(boss), namespace: '/wallboard' });

    // A client asks for the board at once (after connecting); bad input is refused with a clear code.
    const asked = await wall.call<WallboardBoardView>('wallboard.board', {});
    expect(asked.ok && todayTotal(asked.data)).toBe(0);
    expect(await wall.call('wallboard.board', 'everything')).toMatchObject({ ok: false, error: { code: 'validation_failed' } });

    const started = Date.now();
    await ingestContact(t.ctx, contact({ channel: 'email' }));
    const first = (await wall.waitFor('wallboard.updated' as never, (p) => todayTotal((p as unknown as WallboardUpdatedPayload).board) === 1, 4000)) as unknown as WallboardUpdatedPayload;
    expect(first.reason).toBe('change');
    expect(first.maxAgeMs).toBe(5000);
    expect(Date.now() - started).toBeLessThan(2500);

    // The burst: 40 contacts as fast as this machine ingests them.
    await sleep(1100);
    const before = web.realtime.boardPush.computations;
    const pushesBefore = boards(wall).length;
    const burstStart = Date.now();
    const burst = 40;
    for (let i = 0; i < burst; i += 8) await Promise.all(Array.from({ length: Math.min(8, burst - i) }, () => ingestContact(t.ctx, contact({ channel: 'portal' }))));
    const burstMs = Date.now() - burstStart;
    await wall.waitFor('wallboard.updated' as never, (p) => todayTotal((p as unknown as WallboardUpdatedPayload).board) === burst + 1, 5000);
    const computed = web.realtime.boardPush.computations - before;
    const allowed = Math.ceil(burstMs / 1000) + 2;
    expect(computed).toBeGreaterThanOrEqual(1);
    expect(computed).toBeLessThanOrEqual(allowed);
    expect(boards(wall).length - pushesBefore).toBeLessThanOrEqual(allowed);
    // Pushes are at least about a second apart while the events keep coming.
    const times = wall.received.filter((r) => r.name === ('wallboard.updated' as never)).map((r) => r.at).slice(pushesBefore);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(800);
  });

  test('nothing is computed while no wallboard is open; an open one gets a fresh board at least every maxAge', async () => {
    const web = await start({ minIntervalMs: 200, maxAgeMs: 600 });
    await ingestContact(t.ctx, contact());
    await sleep(900);
    expect(web.realtime.boardPush.computations).toBe(0);

    const boss = await agent({ role: 'admin', allDepartments: true });
    const wall = await open(web.url, { cookie: await cookieFor(boss), namespace: '/wallboard' });
    await sleep(2000);
    const periodic = boards(wall).filter((b) => b.reason === 'periodic');
    expect(periodic.length).toBeGreaterThanOrEqual(2);
    expect(todayTotal(periodic[0]!.board)).toBe(1);
    const times = wall.received.filter((r) => r.name === ('wallboard.updated' as never)).map((r) => r.at);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeLessThan(600 + 400);
  });

  test('sla.alert reaches the department’s supervisors, admins, the assignee and the wallboard, and nobody else', async () => {
    const web = await start();
    const roads = await department('drumuri');
    const planning = await department('urbanism');
    await SlaPolicy.create({
      name: 'răspuns rapid', categoryId: null, channel: null, priority: null, legalBasis: null, firstResponseMinutes: 30, nextResponseMinutes: null,
      resolutionMinutes: null, warnPercent: null, escalatePriority: null,
    });
    const people = {
      roadsBoss: await agent({ role: 'supervisor', departmentIds: [roads.id] }),
      planningBoss: await agent({ role: 'supervisor', departmentIds: [planning.id] }),
      admin: await agent({ role: 'admin' }),
      assignee: await agent({ departmentIds: [roads.id] }),
      roadsColleague: await agent({ departmentIds: [roads.id] }),
      planningAgent: await agent({ departmentIds: [planning.id] }),
    };
    const sockets = Object.fromEntries(
      await Promise.all(Object.entries(people).map(async ([k, a]) => [k, await open(web.url, { cookie: await cookieFor(a) })] as const)),
    ) as Record<keyof typeof people, Console>;
    const wall = await open(web.url, { cookie: await cookieFor(people.admin), namespace: '/wallboard' });
    await sleep(300); // rooms are joined just after the handshake

    const { conversation } = await ingestContact(t.ctx, contact({ channel: 'email', departmentCode: 'drumuri', legalBasis: 'none' }));
    await Conversation.update({ assigneeId: people.assignee.id }, { where: { id: conversation.id } });
    await recomputeSla(t.ctx, conversation.id, { now: new Date(Date.now() + 96 * HOUR) });
    await t.ctx.events.drain();

    const isBreach = (p: Record<string, unknown>) => (p as unknown as SlaAlertPayload).alert.level === 'breached';
    for (const who of ['roadsBoss', 'admin', 'assignee'] as const) {
      const got = (await sockets[who].waitFor('sla.alert', isBreach, 3000)) as unknown as SlaAlertPayload;
      expect(got.alert).toMatchObject({
        conversationId: conversation.id, registrationNumber: conversation.registrationNumber, level: 'breached', kind: 'first_response',
        departmentId: roads.id, departmentName: roads.nameRo, assigneeId: people.assignee.id,
      });
      expect(Date.parse(got.alert.dueAt!)).toBeGreaterThan(0);
      expect(got.eventId).toBeGreaterThan(0);
      // The warning crossed on the way is its own alert.
      await sockets[who].waitFor('sla.alert', (p) => (p as unknown as SlaAlertPayload).alert.level === 'warning', 3000);
    }
    await wall.waitFor('sla.alert' as never, isBreach, 3000);
    // The wallboard's breached list shows the case with the next push.
    await wall.waitFor('wallboard.updated' as never, (p) => (p as unknown as WallboardUpdatedPayload).board.breached.some((c) => c.id === conversation.id), 4000);

    await sleep(500);
    for (const who of ['planningBoss', 'roadsColleague', 'planningAgent'] as const) {
      expect(sockets[who].received.filter((r) => r.name === 'sla.alert')).toEqual([]);
    }
  });
});

describe('live wallboard with several server processes (Redis adapter)', () => {
  let t: TestContext;
  const closers: (() => Promise<void> | void)[] = [];
  beforeAll(async () => {
    t = await createTestContext('mariadb', { PUBLIC_URL: 'https://ghiseu.primarie.test', REDIS_URL: services.redisUrl() });
  });
  afterAll(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await t.cleanup();
  });

  test('a change seen by one process reaches a wallboard and a supervisor connected to another', async () => {
    // Process B shares the database and Redis but has its own event bus, as a separate process would.
    const ctxB: AppContext = { ...t.ctx, events: new DomainEventBus() };
    const a = await serve(t.ctx, { maxAgeMs: 60_000 });
    closers.push(() => a.close());
    const b = await serve(ctxB, { maxAgeMs: 60_000 });
    closers.push(() => b.close());
    const roads = await department('drumuri');
    const boss = await agent({ role: 'supervisor', departmentIds: [roads.id] });
    const wall = await openConsole(b.url, { cookie: await cookieFor(boss), namespace: '/wallboard' });
    closers.push(() => void wall.socket.close());
    const agentsSocket = await openConsole(b.url, { cookie: await cookieFor(boss) });
    closers.push(() => void agentsSocket.socket.close());
    // B pushes once for its own socket's connection (presence); let that settle, then B sees no more events.
    await sleep(1500);
    const computedByB = b.realtime.boardPush.computations;

    const { conversation } = await ingestContact(t.ctx, contact({ channel: 'email', departmentCode: 'drumuri', externalId: `multi-${Date.now()}` }));
    const pushed = (await wall.waitFor(
      'wallboard.updated' as never,
      (p) => (p as unknown as WallboardUpdatedPayload).board.departments.some((d) => d.departmentId === roads.id && d.openCases === 1),
      5000,
    )) as unknown as WallboardUpdatedPayload;
    expect(pushed.reason).toBe('change');
    // Only process A saw the event: the board came from A, through Redis.
    expect(b.realtime.boardPush.computations).toBe(computedByB);

    await SlaPolicy.create({
      name: 'răspuns rapid', categoryId: null, channel: null, priority: null, legalBasis: null, firstResponseMinutes: 30, nextResponseMinutes: null,
      resolutionMinutes: null, warnPercent: null, escalatePriority: null,
    });
    await recomputeSla(t.ctx, conversation.id, { now: new Date(Date.now() + 96 * HOUR) });
    const alert = (await agentsSocket.waitFor('sla.alert', (p) => (p as unknown as SlaAlertPayload).alert.conversationId === conversation.id, 5000)) as unknown as SlaAlertPayload;
    expect(alert.alert.departmentId).toBe(roads.id);
  });

  test('a process stops with consoles still connected: they are disconnected, and nothing it sent is left failing', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const c = await serve({ ...t.ctx, events: new DomainEventBus() });
      const console1 = await openConsole(c.url, { cookie: await cookieFor(await agent()) });
      const gone = new Promise<string>((resolve) => console1.socket.on('disconnect', (reason) => resolve(reason)));
      // The stop's disconnect reaches the other processes through Redis, on a pipelined write of its own.
      await c.close();
      expect(await gone).toMatch(/disconnect|transport close/);
      await sleep(200);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
