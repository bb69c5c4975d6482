import { QueryTypes } from 'sequelize';
import { Conversation, SlaTimer } from '../../db/models';
import * as reportCaseColumns from '../../db/migrations/202611246004-report-case-columns';
import { invalidateBusinessCalendar } from '../../server/calendar/calendarStore';
import { addDays, bucharestDate } from '../../server/calendar/dates';
import { ingestContact } from '../../server/ingest/ingestContact';
import { recomputeSla } from '../../server/sla/recomputeSla';
import { supervisorReport } from '../../server/sla/supervisorReport';
import { createTestContext, type TestContext } from '../helpers/context';
import { agent, category, contact, department } from '../helpers/factories';
import { DIALECTS } from '../helpers/services';

jest.setTimeout(120_000);

type Copy = { departmentId: number | null; channel: string | null; categoryId: number | null; assigneeId: number | null };

describe.each(DIALECTS)('SLA clocks carry their case’s columns on %s', (dialect) => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext(dialect);
    invalidateBusinessCalendar();
  });
  afterAll(async () => {
    await t.cleanup();
    invalidateBusinessCalendar();
  });

  /** The copies on every clock of a case, next to the case's own columns read by SQL. */
  async function copiesOf(conversationId: number): Promise<{ theCase: Copy; clocks: Copy[] }> {
    const q = <T extends object>(sql: string) => t.ctx.db.sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements: { id: conversationId } });
    const [theCase] = await q<Copy>('SELECT departmentId, channel, categoryId, assigneeId FROM conversations WHERE id = :id');
    const clocks = await q<Copy>('SELECT departmentId, channel, categoryId, assigneeId FROM sla_timers WHERE conversationId = :id ORDER BY id');
    const norm = (r: Copy): Copy => ({
      departmentId: r.departmentId === null ? null : Number(r.departmentId),
      channel: r.channel,
      categoryId: r.categoryId === null ? null : Number(r.categoryId),
      assigneeId: r.assigneeId === null ? null : Number(r.assigneeId),
    });
    return { theCase: norm(theCase!), clocks: clocks.map(norm) };
  }

  async function expectInStep(conversationId: number): Promise<Copy> {
    const { theCase, clocks } = await copiesOf(conversationId);
    expect(clocks.length).toBeGreaterThan(0);
    for (const c of clocks) expect(c).toEqual(theCase);
    return theCase;
  }

  test('a new clock takes its case’s values; every way of changing the case moves its clocks, and only its own', async () => {
    const cat = await category('iluminat', { departmentCode: 'iluminat', legalBasis: 'petition' });
    const other = await department('urbanism');
    const ana = await agent({ departmentIds: [cat.departmentId!] });
    const dan = await agent({ departmentIds: [other.id] });
    const a = (await ingestContact(t.ctx, contact({ channel: 'email', categoryCode: cat.code, legalBasis: 'petition' }))).conversation;
    const b = (await ingestContact(t.ctx, contact({ channel: 'portal', categoryCode: cat.code, legalBasis: 'petition' }))).conversation;
    await recomputeSla(t.ctx, a.id);
    await recomputeSla(t.ctx, b.id);
    expect(await expectInStep(a.id)).toEqual({ departmentId: cat.departmentId, channel: 'email', categoryId: cat.id, assigneeId: null });
    const bBefore = await expectInStep(b.id);

    // A bulk update through the ORM (what routing does on assignment).
    await Conversation.update({ assigneeId: ana.id }, { where: { id: a.id } });
    expect((await expectInStep(a.id)).assigneeId).toBe(ana.id);
    // An instance save (a transfer to another department).
    const row = await Conversation.findByPk(a.id, { rejectOnEmpty: true });
    await row.update({ departmentId: other.id, assigneeId: dan.id });
    expect(await expectInStep(a.id)).toMatchObject({ departmentId: other.id, assigneeId: dan.id });
    // Raw SQL, and back to nothing: NULLs are copied too.
    await t.ctx.db.sequelize.query("UPDATE conversations SET channel = 'voice', categoryId = NULL, assigneeId = NULL WHERE id = :id", { replacements: { id: a.id } });
    expect(await expectInStep(a.id)).toEqual({ departmentId: other.id, channel: 'voice', categoryId: null, assigneeId: null });
    // In a transaction that rolls back, nothing moves.
    await t.ctx.db
      .transaction(async (transaction) => {
        await Conversation.update({ departmentId: null }, { where: { id: a.id }, transaction });
        throw new Error('rolled back');
      })
      .catch(() => undefined);
    expect((await expectInStep(a.id)).departmentId).toBe(other.id);
    // The other case's clocks did not move.
    expect(await expectInStep(b.id)).toEqual(bBefore);

    // A clock created later (the next-response round) starts with the case's current values.
    const had = (await copiesOf(a.id)).clocks.length;
    await SlaTimer.create({
      conversationId: a.id, kind: 'next_response', policyId: null, targetMs: null, termDays: null, startedAt: new Date(), runningSince: new Date(),
      dueAt: null, warnAt: null, warnedAt: null, breachedAt: null, stoppedAt: null, outcome: null, decidedAt: null, elapsedMs: null,
    });
    const { clocks } = await copiesOf(a.id);
    expect(clocks).toHaveLength(had + 1);
    await expectInStep(a.id);
  });

  test('the report narrowed by department, channel or category equals a recount that joins the cases', async () => {
    const today = bucharestDate(new Date());
    const from = addDays(today, -2);
    const cases = await Conversation.findAll({ attributes: ['id'] });
    const decided = new Date(Date.now() - 60_000);
    // Decide every clock now, so the period holds them all; alternate the outcome.
    let i = 0;
    for (const c of cases) {
      for (const timer of await SlaTimer.findAll({ where: { conversationId: c.id } })) {
        await timer.update({ decidedAt: decided, outcome: i++ % 3 ? 'met' : 'breached', elapsedMs: 60_000 * i, stoppedAt: decided });
      }
    }
    const filters = [
      {},
      { departmentId: (await department('urbanism')).id },
      { departmentId: (await department('iluminat')).id },
      { channel: 'portal' as const },
      { categoryId: (await category('iluminat')).id },
    ];
    for (const f of filters) {
      const report = await supervisorReport(t.ctx.db.sequelize, { from, to: today, ...f });
      const where = Object.keys(f).map((k) => ` AND c.${k} = :${k}`).join('');
      const rows = await t.ctx.db.sequelize.query<{ kind: string; outcome: string; n: number }>(
        `SELECT t.kind, t.outcome, COUNT(*) AS n FROM sla_timers t JOIN conversations c ON c.id = t.conversationId
          WHERE t.outcome IS NOT NULL${where} GROUP BY t.kind, t.outcome`,
        { type: QueryTypes.SELECT, replacements: f },
      );
      const count = (legal: boolean, outcome: string) => rows.filter((r) => (r.kind === 'legal') === legal && r.outcome === outcome).reduce((s, r) => s + Number(r.n), 0);
      expect({ f, sla: [report.compliance.sla.met, report.compliance.sla.breached], legal: [report.compliance.legal.met, report.compliance.legal.breached] }).toEqual({
        f,
        sla: [count(false, 'met'), count(false, 'breached')],
        legal: [count(true, 'met'), count(true, 'breached')],
      });
    }
  });

  test('the migration copies the columns onto clocks that existed before it', async () => {
    const qi = t.ctx.db.sequelize.getQueryInterface();
    const ids = (await Conversation.findAll({ attributes: ['id'] })).map((c) => c.id);
    const before = await Promise.all(ids.map((id) => copiesOf(id)));
    await reportCaseColumns.down!({ name: '202611246004-report-case-columns', context: qi });
    const columns = await qi.describeTable('sla_timers');
    expect(columns).not.toHaveProperty('departmentId');
    await reportCaseColumns.up({ name: '202611246004-report-case-columns', context: qi });
    for (const [k, id] of ids.entries()) {
      const after = await copiesOf(id);
      expect(after).toEqual(before[k]);
      for (const c of after.clocks) expect(c).toEqual(after.theCase);
    }
    // And the triggers are back: a change still moves the clocks.
    await Conversation.update({ channel: 'sms' }, { where: { id: ids[0]! } });
    expect((await expectInStep(ids[0]!)).channel).toBe('sms');
  });
});
