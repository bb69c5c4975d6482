import { Agent, AgentDepartment, Conversation, ConversationEvent, Department, SlaPolicy, SlaTimer } from '../../db/models';
import { OPEN_STATUSES, type ConversationStatus } from '../../db/models/Conversation';
import { PRESENCES } from '../../db/models/Agent';
import { invalidateBusinessCalendar } from '../../server/calendar/calendarStore';
import { addDays, bucharestDate } from '../../server/calendar/dates';
import { bucharestInstant, bucharestMinuteOfDay } from '../../server/calendar/zone';
import { ingestContact } from '../../server/ingest/ingestContact';
import { recomputeSla } from '../../server/sla/recomputeSla';
import { computeWallboard, wallboardSnapshot, type WallboardView } from '../../server/sla/wallboardSnapshot';
import { createTestContext, type TestContext } from '../helpers/context';
import { contact, department } from '../helpers/factories';
import { DIALECTS } from '../helpers/services';
import { seededRandom } from '../../scripts/seededRandom';


// Real databases on a shared two-core machine: generous, since each test polls nothing and only waits on SQL.
jest.setTimeout(120_000);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The wallboard recounted from the rows themselves, in JavaScript, by Bucharest calendar dates. */
async function recount(now: Date): Promise<Omit<WallboardView, 'at' | 'today'>> {
  const today = bucharestDate(now);
  const lastWeek = addDays(today, -7);
  const nowMinute = bucharestMinuteOfDay(now);
  const [cases, agents, links, events, timers, depts] = await Promise.all([
    Conversation.findAll(), Agent.findAll(), AgentDepartment.findAll(), ConversationEvent.findAll(), SlaTimer.findAll(),
    Department.findAll({ where: { active: true } }),
  ]);
  const open = cases.filter((c) => OPEN_STATUSES.includes(c.status));
  const byId = new Map(cases.map((c) => [c.id, c]));
  const deptIds: (number | null)[] = [null, ...depts.map((d) => d.id)];
  const minIso = (xs: (Date | null)[]) => {
    const v = xs.filter((x): x is Date => x !== null).map((x) => x.getTime());
    return v.length ? new Date(Math.min(...v)).toISOString() : null;
  };
  const everywhere = agents.filter((a) => a.active && a.allDepartments);
  const departments = deptIds.map((departmentId) => {
    const mine = open.filter((c) => (c.departmentId ?? null) === departmentId);
    const waiting = mine.filter((c) => c.assigneeId === null);
    const calls = waiting.filter((c) => c.channel === 'voice');
    const members = agents.filter((a) => a.active && !a.allDepartments && links.some((l) => l.agentId === a.id && l.departmentId === departmentId));
    const presence = Object.fromEntries(PRESENCES.map((p) => [p, [...members, ...everywhere].filter((a) => a.presence === p).length]));
    const offers = (type: string) =>
      events.filter((e) => e.type === type && e.createdAt.getTime() >= bucharestInstant(today, 0).getTime() && (byId.get(e.conversationId)?.departmentId ?? null) === departmentId).length;
    return {
      departmentId,
      waiting: waiting.length,
      longestWaitingSince: minIso(waiting.map((c) => c.lastInboundAt ?? c.registeredAt)),
      nearestDueAt: minIso(mine.map((c) => c.dueAt)),
      callsWaiting: calls.length,
      longestCallWaitingSince: minIso(calls.map((c) => c.lastInboundAt ?? c.registeredAt)),
      openCases: mine.length,
      atRisk: mine.filter((c) => c.slaState === 'warning').length,
      breached: mine.filter((c) => c.slaState === 'breached').length,
      agents: presence,
      offersAcceptedToday: offers('offer.accepted'),
      offersDeclinedToday: offers('offer.declined'),
    };
  });
  const compliance = (legal: boolean, todayOnly: boolean) => {
    const decided = timers.filter(
      (t) => t.outcome !== null && t.decidedAt !== null && t.decidedAt <= now && (t.kind === 'legal') === legal &&
        (todayOnly ? bucharestDate(t.decidedAt) === today : bucharestDate(t.decidedAt).slice(0, 7) === today.slice(0, 7) && bucharestDate(t.decidedAt) <= today),
    );
    const met = decided.filter((t) => t.outcome === 'met').length;
    const breached = decided.length - met;
    return { met, breached, share: decided.length ? met / decided.length : null };
  };
  const list = (state: string) =>
    open.filter((c) => c.slaState === state)
      .sort((a, b) => (a.dueAt?.getTime() ?? -Infinity) - (b.dueAt?.getTime() ?? -Infinity) || a.id - b.id)
      .slice(0, 25).map((c) => c.id);
  const channels = ['voice', 'sms', 'email', 'portal', 'letter', 'api'] as const;
  const volume = channels.map((channel) => {
    const of = cases.filter((c) => c.channel === channel);
    const lw = of.filter((c) => bucharestDate(c.registeredAt) === lastWeek);
    return {
      channel,
      today: of.filter((c) => bucharestDate(c.registeredAt) === today && c.registeredAt <= now).length,
      lastWeekSameTime: lw.filter((c) => bucharestMinuteOfDay(c.registeredAt) < nowMinute).length,
      lastWeekWholeDay: lw.length,
    };
  });
  return {
    departments: departments as unknown as WallboardView['departments'],
    compliance: { sla: { today: compliance(false, true), month: compliance(false, false) }, legal: { today: compliance(true, true), month: compliance(true, false) } },
    atRisk: list('warning') as unknown as WallboardView['atRisk'],
    breached: list('breached') as unknown as WallboardView['breached'],
    volume,
  };
}

describe.each(DIALECTS)('wallboard on %s', (dialect) => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext(dialect);
    invalidateBusinessCalendar();
  });
  afterAll(async () => {
    await t.cleanup();
    invalidateBusinessCalendar();
  });

  test('an empty installation shows empty boards, no compliance share, no lists', async () => {
    const board = await computeWallboard(t.ctx.db.sequelize, new Date(), { pastDaysCacheMs: 0 });
    expect(board.departments.map((d) => d.departmentId)).toEqual([null]);
    expect(board.departments[0]).toMatchObject({ waiting: 0, longestWaitingSince: null, nearestDueAt: null, openCases: 0 });
    expect(board.compliance.sla.month).toEqual({ met: 0, breached: 0, share: null });
    expect(board.atRisk).toEqual([]);
    expect(board.volume.every((v) => v.today === 0)).toBe(true);
  });

  test.each([11, 29, 47])('figures equal a direct recount after a random event sequence (seed %i)', async (seed) => {
    const r = seededRandom(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const depts = await Promise.all(['drumuri', 'urbanism', 'taxe'].map((code) => department(code)));
    await SlaPolicy.findOrCreate({ where: { name: 'recount' }, defaults: { name: 'recount', categoryId: null, channel: null, priority: null, legalBasis: null, firstResponseMinutes: 30, nextResponseMinutes: 60, resolutionMinutes: 480, warnPercent: null, escalatePriority: null } });
    const agents: Agent[] = [];
    for (let i = 0; i < 4; i++) {
      const a = await Agent.create({
        email: `a${seed}-${i}@primarie.ro`, name: `Agent ${i}`, passwordHash: 'x', role: 'agent', languages: ['ro'], capacity: { email: 5 },
        allDepartments: i === 0, presence: pick(PRESENCES), presenceChangedAt: null, lastOfferAt: null, lockedUntil: null, lastLoginAt: null,
      });
      if (i > 0) await AgentDepartment.create({ agentId: a.id, departmentId: pick(depts).id });
      agents.push(a);
    }
    const now = new Date(Date.now() + 2 * HOUR);
    const ids: number[] = [];
    for (let step = 0; step < 45; step++) {
      const op = r();
      if (op < 0.3 || ids.length < 3) {
        const res = await ingestContact(t.ctx, contact({ channel: pick(['email', 'api', 'portal'] as const), departmentCode: pick(['drumuri', 'urbanism', 'taxe', undefined]), legalBasis: pick(['none', 'petition', 'public_information'] as const) }));
        ids.push(res.conversation.id);
        if (r() < 0.3) await Conversation.update({ channel: 'voice' }, { where: { id: res.conversation.id } });
        if (r() < 0.3) await Conversation.update({ registeredAt: new Date(now.getTime() - 7 * DAY - Math.floor(r() * 6) * HOUR + Math.floor(r() * 6) * HOUR) }, { where: { id: res.conversation.id } });
        continue;
      }
      const id = pick(ids);
      if (op < 0.45) {
        const status = pick<ConversationStatus>(['new', 'open', 'pending_citizen', 'pending_department', 'resolved', 'closed', 'spam']);
        const done = !OPEN_STATUSES.includes(status);
        await Conversation.update({ status, resolvedAt: done ? new Date(now.getTime() - Math.floor(r() * 3) * HOUR) : null, slaPausedAt: null }, { where: { id } });
      } else if (op < 0.6) {
        await Conversation.update({ assigneeId: r() < 0.3 ? null : pick(agents).id }, { where: { id } });
      } else if (op < 0.7) {
        await ConversationEvent.create({ conversationId: id, type: pick(['offer.accepted', 'offer.declined']), actorType: 'agent', actorId: pick(agents).id, data: {}, public: false, createdAt: new Date(now.getTime() - Math.floor(r() * 40) * HOUR) });
      } else if (op < 0.9) {
        await recomputeSla(t.ctx, id, { now: new Date(Date.now() + Math.floor(r() * 72) * HOUR) });
      } else {
        await pick(agents).update({ presence: pick(PRESENCES) });
      }
    }
    await t.ctx.events.drain();

    const board = await computeWallboard(t.ctx.db.sequelize, now, { pastDaysCacheMs: 0 });
    const expected = await recount(now);
    expect(board.departments.map(({ name: _n, ...rest }) => rest)).toEqual(expected.departments);
    expect(board.compliance).toEqual(expected.compliance);
    expect(board.atRisk.map((c) => c.id)).toEqual(expected.atRisk);
    expect(board.breached.map((c) => c.id)).toEqual(expected.breached);
    expect(board.volume).toEqual(expected.volume);
    // The sequence exercised the figures it checks.
    expect(board.departments.reduce((s, d) => s + d.openCases, 0)).toBeGreaterThan(0);
  });

  test('the snapshot is served from a short cache: at most a few seconds stale, fresh on request', async () => {
    const first = await wallboardSnapshot(t.ctx, { fresh: true });
    const again = await wallboardSnapshot(t.ctx);
    expect(again.at).toBe(first.at);
    await ingestContact(t.ctx, contact({ channel: 'email' }));
    const fresh = await wallboardSnapshot(t.ctx, { fresh: true });
    expect(fresh.volume.find((v) => v.channel === 'email')!.today).toBe(first.volume.find((v) => v.channel === 'email')!.today + 1);
  });
});
