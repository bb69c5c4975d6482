import type { Express } from 'express';
import request from 'supertest';
import { Conversation, SlaTimer } from '../../db/models';
import { createApp } from '../../server/app';
import { createAgent } from '../../server/auth/createAgent';
import { invalidateBusinessCalendar } from '../../server/calendar/calendarStore';
import { addDays, bucharestDate } from '../../server/calendar/dates';
import { bucharestInstant } from '../../server/calendar/zone';
import { ingestContact } from '../../server/ingest/ingestContact';
import { recomputeSla } from '../../server/sla/recomputeSla';
import { recomputeOpenCases } from '../../server/sla/recomputeOpenCases';
import { percentiles, reportCsv, supervisorReport } from '../../server/sla/supervisorReport';
import { createTestContext, type TestContext } from '../helpers/context';
import { category, contact, department } from '../helpers/factories';
import { DIALECTS } from '../helpers/services';

jest.setTimeout(120_000);

const PASSWORD = 'parola-de-test-lunga';
const MIN = 60_000;

interface Session {
  cookie: string;
  csrf: string;
}

test('percentiles from a histogram: nearest rank, bucket middle, empty is null', () => {
  expect(percentiles([], MIN)).toEqual({ count: 0, medianSeconds: null, p90Seconds: null });
  // 10 values: minutes 0..9 once each → median is the 5th (minute 4), p90 the 9th (minute 8).
  const hist = Array.from({ length: 10 }, (_, b) => ({ b, n: 1 }));
  expect(percentiles(hist, MIN)).toEqual({ count: 10, medianSeconds: 270, p90Seconds: 510 });
});

describe.each(DIALECTS)('reports and SLA API on %s', (dialect) => {
  let t: TestContext;
  let app: Express;
  let agent: Session;
  let supervisor: Session;
  let admin: Session;

  async function login(email: string): Promise<Session> {
    const res = await request(app).post('/api/v1/auth/login').send({ email, password: PASSWORD });
    expect(res.status).toBe(200);
    return { cookie: (res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!, csrf: res.body.csrfToken };
  }

  beforeAll(async () => {
    t = await createTestContext(dialect);
    invalidateBusinessCalendar();
    app = createApp(t.ctx);
    await department('drumuri');
    await createAgent(t.ctx, { email: 'agent@primarie.test', name: 'Ana Agent', role: 'agent', password: PASSWORD, departments: ['drumuri'] });
    await createAgent(t.ctx, { email: 'sef@primarie.test', name: 'Sorin Șef', role: 'supervisor', password: PASSWORD, allDepartments: true });
    await createAgent(t.ctx, { email: 'admin@primarie.test', name: 'Adi Admin', role: 'admin', password: PASSWORD, allDepartments: true });
    agent = await login('agent@primarie.test');
    supervisor = await login('sef@primarie.test');
    admin = await login('admin@primarie.test');
  });
  afterAll(async () => {
    await recomputeOpenCases(t.ctx);
    await t.cleanup();
    invalidateBusinessCalendar();
  });

  describe('GET /api/v1/calendar/deadline', () => {
    test('refuses without a session and names a bad parameter', async () => {
      expect((await request(app).get('/api/v1/calendar/deadline?from=2026-03-11&days=30')).status).toBe(401);
      const bad = await request(app).get('/api/v1/calendar/deadline?from=2026-02-30&days=30').set('Cookie', agent.cookie);
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatchObject({ code: 'validation_failed', details: { field: 'from' } });
      expect((await request(app).get('/api/v1/calendar/deadline?from=2026-03-11&days=0').set('Cookie', agent.cookie)).status).toBe(400);
    });

    test.each([
      ['2026-03-11', 30, '2026-04-14'],
      ['2026-03-31', 10, '2026-04-14'],
      ['2025-12-24', 30, '2026-01-26'],
      ['2026-03-02', 30, '2026-04-02'],
    ])('from %s, %i days → %s (DOMAIN.md §1.5)', async (from, days, expected) => {
      const res = await request(app).get(`/api/v1/calendar/deadline?from=${from}&days=${days}`).set('Cookie', agent.cookie);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ from, days, deadline: expected });
    });

    test('an admin closed day moves the answer; only an admin may set it, with the CSRF token', async () => {
      const day = (s: Session) => request(app).put('/api/v1/calendar/days/2026-04-02').set('Cookie', s.cookie).set('X-CSRF-Token', s.csrf);
      expect((await day(supervisor).send({ kind: 'closed' })).status).toBe(403);
      expect((await request(app).put('/api/v1/calendar/days/2026-04-02').set('Cookie', admin.cookie).send({ kind: 'closed' })).status).toBe(403);
      expect((await day(admin).send({ kind: 'shut' })).status).toBe(400);
      expect((await day(admin).send({ kind: 'closed', note: 'Zi liberă (punte)' })).status).toBe(200);
      const moved = await request(app).get('/api/v1/calendar/deadline?from=2026-03-02&days=30').set('Cookie', agent.cookie);
      expect(moved.body.deadline).toBe('2026-04-03');
      const cal = await request(app).get('/api/v1/calendar?year=2026').set('Cookie', agent.cookie);
      expect(cal.body.days).toEqual([{ date: '2026-04-02', kind: 'closed', note: 'Zi liberă (punte)', windows: [] }]);
      expect(cal.body.publicHolidays).toContain('2026-04-10');
      expect((await request(app).delete('/api/v1/calendar/days/2026-04-02').set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf)).status).toBe(204);
      expect((await request(app).get('/api/v1/calendar/deadline?from=2026-03-02&days=30').set('Cookie', agent.cookie)).body.deadline).toBe('2026-04-02');
    });

    test('office hours: several windows a day, an empty end-before-start window refused', async () => {
      const put = (weekly: unknown) => request(app).put('/api/v1/calendar/hours').set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf).send({ weekly });
      expect((await put([[], [{ startMinute: 600, endMinute: 500 }], [], [], [], [], []])).status).toBe(400);
      const split = [[], [{ startMinute: 480, endMinute: 720 }, { startMinute: 780, endMinute: 990 }], [{ startMinute: 480, endMinute: 990 }], [{ startMinute: 480, endMinute: 990 }], [{ startMinute: 480, endMinute: 990 }], [{ startMinute: 480, endMinute: 840 }], []];
      expect((await put(split)).status).toBe(200);
      expect((await request(app).get('/api/v1/calendar').set('Cookie', agent.cookie)).body.weekly).toEqual(split);
      await recomputeOpenCases(t.ctx);
    });
  });

  describe('SLA policies API', () => {
    test('supervisors read, admins write; a bad target is refused', async () => {
      const body = { name: 'Petiții email', channel: 'email', legalBasis: 'petition', firstResponseMinutes: 240, resolutionMinutes: 4800 };
      expect((await request(app).get('/api/v1/sla-policies').set('Cookie', agent.cookie)).status).toBe(403);
      expect((await request(app).post('/api/v1/sla-policies').set('Cookie', supervisor.cookie).set('X-CSRF-Token', supervisor.csrf).send(body)).status).toBe(403);
      const bad = await request(app).post('/api/v1/sla-policies').set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf).send({ ...body, firstResponseMinutes: -5 });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.field).toBe('firstResponseMinutes');
      const created = await request(app).post('/api/v1/sla-policies').set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf).send(body);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ ...body, active: true, categoryId: null, nextResponseMinutes: null });
      const patched = await request(app).patch(`/api/v1/sla-policies/${created.body.id}`).set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf).send({ active: false });
      expect(patched.body.active).toBe(false);
      const list = await request(app).get('/api/v1/sla-policies').set('Cookie', supervisor.cookie);
      expect(list.body.policies).toHaveLength(1);
      expect((await request(app).delete(`/api/v1/sla-policies/${created.body.id}`).set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf)).status).toBe(204);
      await recomputeOpenCases(t.ctx);
      expect((await request(app).delete(`/api/v1/sla-policies/${created.body.id}`).set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf)).status).toBe(404);
    });
  });

  test('a new policy is applied to the cases already open, in the background', async () => {
    const open = await ingestContact(t.ctx, contact({ channel: 'letter', legalBasis: 'none' }));
    await recomputeSla(t.ctx, open.conversation.id);
    expect((await Conversation.findByPk(open.conversation.id, { rejectOnEmpty: true })).firstResponseDueAt).toBeNull();
    const res = await request(app).post('/api/v1/sla-policies').set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf).send({ name: 'Scrisori', channel: 'letter', firstResponseMinutes: 600 });
    expect(res.status).toBe(201);
    const deadline = Date.now() + 15_000;
    let due: Date | null = null;
    while (!due && Date.now() < deadline) {
      await recomputeOpenCases(t.ctx); // joins the run the API started, or starts one
      due = (await Conversation.findByPk(open.conversation.id, { rejectOnEmpty: true })).firstResponseDueAt;
    }
    expect(due).not.toBeNull();
    await request(app).delete(`/api/v1/sla-policies/${res.body.id}`).set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf);
    await recomputeOpenCases(t.ctx);
    // Out of the way of the report tests below: closed, registered long ago.
    await Conversation.update({ status: 'closed', registeredAt: new Date(Date.now() - 90 * 86_400_000) }, { where: { id: open.conversation.id } });
  });

  describe('supervisor report', () => {
    test('volume, response-time percentiles, compliance, backlog, agents and CSV, from known clocks', async () => {
      const cat = await category('drumuri-gropi');
      const today = bucharestDate(new Date());
      const from = addDays(today, -3);
      const ids: number[] = [];
      for (const channel of ['email', 'email', 'portal', 'api'] as const) {
        const id = (await ingestContact(t.ctx, contact({ channel, categoryCode: cat.code }))).conversation.id;
        await recomputeSla(t.ctx, id);
        ids.push(id);
      }
      await t.ctx.events.drain();
      const [a] = await Promise.all([t.ctx.db.sequelize.models.Agent!.findOne({ where: { email: 'agent@primarie.test' } })]);
      const agentId = (a as unknown as { id: number }).id;
      // Two cases resolved by the agent (one late), a third still open and 10 days old.
      const decided = bucharestInstant(today, 9 * 60);
      const clocks = [
        { id: ids[0]!, fr: 10 * MIN, res: 120 * MIN, outcome: 'met' as const },
        { id: ids[1]!, fr: 30 * MIN, res: 600 * MIN, outcome: 'breached' as const },
      ];
      for (const c of clocks) {
        await Conversation.update({ assigneeId: agentId, status: 'resolved' }, { where: { id: c.id } });
        await SlaTimer.update({ elapsedMs: c.fr, decidedAt: decided, outcome: 'met', stoppedAt: decided }, { where: { conversationId: c.id, kind: 'first_response' } });
        await SlaTimer.update({ elapsedMs: c.res, decidedAt: decided, outcome: c.outcome, stoppedAt: decided }, { where: { conversationId: c.id, kind: 'resolution' } });
        await SlaTimer.update({ decidedAt: decided, outcome: c.outcome, stoppedAt: decided }, { where: { conversationId: c.id, kind: 'legal' } });
      }
      await Conversation.update({ registeredAt: new Date(Date.now() - 10 * 86_400_000) }, { where: { id: ids[2]! } });

      // Ratings come from the portal's table; the report reads them where this installation has it.
      const qi = t.ctx.db.sequelize.getQueryInterface();
      const hasRatings = ((await qi.showAllTables()) as unknown[]).map(String).includes('ratings');
      if (hasRatings) {
        await qi.bulkInsert('ratings', [
          { conversationId: ids[0]!, score: 5, comment: null, createdAt: decided },
          { conversationId: ids[1]!, score: 2, comment: null, createdAt: decided },
        ]);
      }
      const r = await supervisorReport(t.ctx.db.sequelize, { from, to: today });
      expect(r.volume.byChannel).toEqual(expect.arrayContaining([{ channel: 'email', count: 2 }, { channel: 'api', count: 1 }]));
      expect(r.volume.byChannel.find((v) => v.channel === 'portal')).toBeUndefined(); // moved out of the range
      expect(r.volume.byCategory).toEqual([{ categoryId: cat.id, name: cat.nameRo, count: 3 }]);
      expect(r.firstResponse).toEqual({ count: 2, medianSeconds: 630, p90Seconds: 1830 });
      expect(r.resolution).toEqual({ count: 2, medianSeconds: 7500, p90Seconds: 36300 });
      expect(r.compliance.legal).toEqual({ met: 1, breached: 1, share: 0.5 });
      expect(r.compliance.sla).toEqual({ met: 3, breached: 1, share: 0.75 });
      expect(r.satisfaction).toEqual(hasRatings ? { available: true, count: 2, average: 3.5 } : { available: false, count: 0, average: null });
      expect(r.agents).toEqual([{ agentId, name: 'Ana Agent', resolved: 2, slaMet: 3, slaBreached: 1, repliesSent: 0, medianResolutionSeconds: 9000 }]);
      expect(r.backlog.find((b) => b.bucket === '7-14d')!.count).toBe(1);
      expect(r.backlog.find((b) => b.bucket === '0-1d')!.count).toBe(1);

      // Filters narrow every section; the channel filter joins clocks to their cases.
      const portalOnly = await supervisorReport(t.ctx.db.sequelize, { from, to: today, channel: 'api' });
      expect(portalOnly.volume.total).toBe(1);
      expect(portalOnly.firstResponse.count).toBe(0);

      const csv = reportCsv(r);
      expect(csv.split('\r\n')[0]).toBe('section,dimension,key,metric,value');
      expect(csv).toContain('time,first_response,,median_seconds,630');
      expect(csv).toContain('agent,agent,Ana Agent,resolved,2');
    });

    test('the API: supervisors only, validated range, CSV with a BOM and a file name', async () => {
      const today = bucharestDate(new Date());
      expect((await request(app).get(`/api/v1/reports?from=${today}&to=${today}`).set('Cookie', agent.cookie)).status).toBe(403);
      const backwards = await request(app).get(`/api/v1/reports?from=${today}&to=${addDays(today, -1)}`).set('Cookie', supervisor.cookie);
      expect(backwards.status).toBe(400);
      const ok = await request(app).get(`/api/v1/reports?from=${addDays(today, -3)}&to=${today}`).set('Cookie', supervisor.cookie);
      expect(ok.status).toBe(200);
      expect(ok.body.volume.total).toBe(3);
      const csv = await request(app).get(`/api/v1/reports/export.csv?from=${addDays(today, -3)}&to=${today}`).set('Cookie', supervisor.cookie);
      expect(csv.status).toBe(200);
      expect(csv.headers['content-type']).toMatch(/text\/csv/);
      expect(csv.headers['content-disposition']).toContain(`raport-${addDays(today, -3)}-${today}.csv`);
      expect(csv.text.startsWith('\uFEFFsection,')).toBe(true);
    });

    test('the wallboard API: supervisors only, and it shows the open cases', async () => {
      expect((await request(app).get('/api/v1/wallboard').set('Cookie', agent.cookie)).status).toBe(403);
      const res = await request(app).get('/api/v1/wallboard').set('Cookie', supervisor.cookie);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body.departments.reduce((s: number, d: { openCases: number }) => s + d.openCases, 0)).toBeGreaterThanOrEqual(2);
    });
  });
});
