import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, AgentDepartment, CalendarDay, Conversation, ConversationEvent, Message, SlaPolicy, SlaTimer } from '../../db/models';
import { closeContext, createContext } from '../../server/boot';
import { loadConfig } from '../../server/config';
import { invalidateBusinessCalendar, loadBusinessCalendar } from '../../server/calendar/calendarStore';
import { addDays, bucharestDate } from '../../server/calendar/dates';
import { legalDeadline, workingDaysBefore } from '../../server/calendar/legalDeadline';
import type { AppContext } from '../../server/context';
import { AppError } from '../../server/errors';
import { ingestContact } from '../../server/ingest/ingestContact';
import { extendLegalDeadline } from '../../server/sla/extendLegalDeadline';
import { triageLegalRequest } from '../../server/sla/reclassifyRequest';
import { recomputeSla } from '../../server/sla/recomputeSla';
import { subscribeSla } from '../../server/sla/slaService';
import { sweepSla } from '../../server/sla/sweepSla';
import { createTestContext, freshDatabaseUrl, type TestContext } from '../helpers/context';
import { category, contact, department } from '../helpers/factories';
import { DIALECTS } from '../helpers/services';


// Real databases on a shared two-core machine: generous, since each test polls nothing and only waits on SQL.
jest.setTimeout(120_000);
const DAY = 86_400_000;

async function eventsOf(conversationId: number, type: string): Promise<ConversationEvent[]> {
  return ConversationEvent.findAll({ where: { conversationId, type }, order: [['id', 'ASC']] });
}

async function rejects(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe.each(DIALECTS)('SLA engine on %s', (dialect) => {
  let t: TestContext;
  let ctx: AppContext;
  let unsubscribe: () => void;

  beforeAll(async () => {
    t = await createTestContext(dialect);
    ctx = t.ctx;
    invalidateBusinessCalendar();
    unsubscribe = subscribeSla(ctx);
  });
  afterAll(async () => {
    unsubscribe();
    await t.cleanup();
    invalidateBusinessCalendar();
  });
  afterEach(async () => {
    await ctx.events.drain();
    await SlaPolicy.destroy({ where: {} });
    await CalendarDay.destroy({ where: {} });
    invalidateBusinessCalendar();
  });

  test('a new petition gets its legal deadline by the admin calendar, its internal target and its clocks, through the contact.ingested subscriber', async () => {
    const cat = await category('drumuri-gropi', { legalBasis: 'petition' });
    await SlaPolicy.create({ name: 'Drumuri', categoryId: cat.id, channel: null, priority: null, legalBasis: null, firstResponseMinutes: 120, nextResponseMinutes: 60, resolutionMinutes: 600, warnPercent: null, escalatePriority: null });
    const r = await ingestContact(ctx, contact({ channel: 'email', categoryCode: cat.code }));
    await ctx.events.drain();
    const conv = await Conversation.findByPk(r.conversation.id, { rejectOnEmpty: true });
    const cal = await loadBusinessCalendar({ fresh: true });
    const registeredOn = bucharestDate(conv.registeredAt);
    expect(conv.legalDueDate).toBe(legalDeadline(registeredOn, 30, cal.isWorkingDay));
    expect(conv.internalDueDate).toBe(workingDaysBefore(conv.legalDueDate!, 2, cal.isWorkingDay));
    expect(conv.firstResponseDueAt!.getTime()).toBe(cal.addBusinessMs(conv.registeredAt, 120 * 60_000).getTime());
    expect(conv.resolutionDueAt!.getTime()).toBe(cal.addBusinessMs(conv.registeredAt, 600 * 60_000).getTime());
    expect(conv.dueAt!.getTime()).toBe(conv.firstResponseDueAt!.getTime());
    expect(conv.slaState).toBe('ok');
    const kinds = (await SlaTimer.findAll({ where: { conversationId: conv.id } })).map((x) => x.kind).sort();
    expect(kinds).toEqual(['first_response', 'legal', 'resolution']);
  });

  test('an admin closed day on the legal due date moves the deadline to the next working day', async () => {
    const r = await ingestContact(ctx, contact({ channel: 'email' }));
    await ctx.events.drain();
    const before = (await Conversation.findByPk(r.conversation.id, { rejectOnEmpty: true })).legalDueDate!;
    await CalendarDay.create({ calendarId: 1, date: before, kind: 'closed', note: 'punte', windows: [] });
    invalidateBusinessCalendar();
    await recomputeSla(ctx, r.conversation.id);
    const after = (await Conversation.findByPk(r.conversation.id, { rejectOnEmpty: true })).legalDueDate!;
    expect(after > before).toBe(true);
    const cal = await loadBusinessCalendar();
    expect(cal.isWorkingDay(after)).toBe(true);
    for (let d = before; d < after; d = addDays(d, 1)) expect(cal.isWorkingDay(d)).toBe(false);
  });

  test('warning and breach are raised once each per clock, escalate (priority up, supervisors named), and a second sweep raises nothing', async () => {
    const dept = await department('drumuri');
    const sup = await Agent.create({ email: `sup-${dialect}@primarie.ro`, name: 'Supervizor', passwordHash: 'x', role: 'supervisor', languages: ['ro'], capacity: { email: 5 }, presenceChangedAt: null, lastOfferAt: null, lockedUntil: null, lastLoginAt: null });
    await AgentDepartment.create({ agentId: sup.id, departmentId: dept.id });
    await SlaPolicy.create({ name: 'Email', categoryId: null, channel: 'email', priority: null, legalBasis: null, firstResponseMinutes: 60, nextResponseMinutes: null, resolutionMinutes: null, warnPercent: 50, escalatePriority: 5 });
    const r = await ingestContact(ctx, contact({ channel: 'email', departmentCode: 'drumuri', legalBasis: 'none' }));
    await ctx.events.drain();
    const conv = await Conversation.findByPk(r.conversation.id, { rejectOnEmpty: true });
    const cal = await loadBusinessCalendar();
    const warnAt = cal.addBusinessMs(conv.registeredAt, 30 * 60_000);
    const dueAt = conv.firstResponseDueAt!;

    // Failure path first: before the warning moment nothing is raised.
    await sweepSla(ctx, new Date(warnAt.getTime() - 1000));
    expect(await eventsOf(conv.id, 'sla.warning')).toHaveLength(0);

    await sweepSla(ctx, new Date(warnAt.getTime() + 1000));
    expect(await eventsOf(conv.id, 'sla.warning')).toHaveLength(1);
    expect((await Conversation.findByPk(conv.id, { rejectOnEmpty: true })).slaState).toBe('warning');
    expect(await eventsOf(conv.id, 'sla.breached')).toHaveLength(0);

    const later = new Date(dueAt.getTime() + 1000);
    const first = await sweepSla(ctx, later);
    expect(first.events).toBeGreaterThan(0);
    const again = await sweepSla(ctx, later);
    await recomputeSla(ctx, conv.id, { now: new Date(later.getTime() + DAY) });
    await ctx.events.drain();
    expect(again.events).toBe(0);
    const breached = await eventsOf(conv.id, 'sla.breached');
    expect(breached).toHaveLength(1);
    expect(breached[0]!.data).toMatchObject({ kind: 'first_response', dueAt: dueAt.toISOString() });
    expect(await eventsOf(conv.id, 'sla.warning')).toHaveLength(1);
    const escalated = await eventsOf(conv.id, 'sla.escalated');
    expect(escalated).toHaveLength(1);
    expect(escalated[0]!.data).toMatchObject({ priorityFrom: 0, priorityTo: 5, notifiedAgentIds: [sup.id] });
    const after = await Conversation.findByPk(conv.id, { rejectOnEmpty: true });
    expect(after.priority).toBe(5);
    expect(after.slaState).toBe('breached');
    const timer = await SlaTimer.findOne({ where: { conversationId: conv.id, kind: 'first_response' }, rejectOnEmpty: true });
    expect(timer.breachedAt!.getTime()).toBe(dueAt.getTime());
    expect(timer.outcome).toBe('breached');
  });

  test('the clock pauses while the case waits on the citizen: the due moment moves by exactly the office time paused', async () => {
    await SlaPolicy.create({ name: 'Rezolvare', categoryId: null, channel: null, priority: null, legalBasis: null, firstResponseMinutes: null, nextResponseMinutes: null, resolutionMinutes: 16 * 60, warnPercent: null, escalatePriority: null });
    const r = await ingestContact(ctx, contact({ channel: 'email', legalBasis: 'none' }));
    await ctx.events.drain();
    const cal = await loadBusinessCalendar();
    const conv = await Conversation.findByPk(r.conversation.id, { rejectOnEmpty: true });
    const originalDue = conv.resolutionDueAt!;
    // Pause two working days later, resume a week after that (times chosen inside the target, no breach).
    const pauseAt = cal.addBusinessMs(conv.registeredAt, 3 * 3_600_000);
    const resumeAt = new Date(pauseAt.getTime() + 7 * DAY);
    await conv.update({ status: 'pending_citizen', slaPausedAt: pauseAt });
    await recomputeSla(ctx, conv.id, { now: pauseAt });
    const paused = await Conversation.findByPk(conv.id, { rejectOnEmpty: true });
    expect(paused.resolutionDueAt).toBeNull();
    expect(paused.slaPausedAt!.getTime()).toBe(pauseAt.getTime());
    // While paused, a sweep long after the original due raises nothing.
    await sweepSla(ctx, new Date(originalDue.getTime() + 3 * DAY));
    expect(await eventsOf(conv.id, 'sla.breached')).toHaveLength(0);

    await paused.update({ status: 'open' });
    await recomputeSla(ctx, conv.id, { now: resumeAt });
    const resumed = await Conversation.findByPk(conv.id, { rejectOnEmpty: true });
    expect(resumed.slaPausedAt).toBeNull();
    const used = cal.businessMsBetween(conv.registeredAt, pauseAt);
    expect(used).toBe(3 * 3_600_000);
    expect(cal.businessMsBetween(resumeAt, resumed.resolutionDueAt!)).toBe(16 * 3_600_000 - used);
  });

  test('a reply stops the first-response clock as met; a later citizen message starts the next-response clock', async () => {
    const agent = await Agent.create({ email: `ag-${dialect}@primarie.ro`, name: 'Agent', passwordHash: 'x', role: 'agent', languages: ['ro'], capacity: { email: 5 }, presenceChangedAt: null, lastOfferAt: null, lockedUntil: null, lastLoginAt: null });
    await SlaPolicy.create({ name: 'Toate', categoryId: null, channel: null, priority: null, legalBasis: null, firstResponseMinutes: 240, nextResponseMinutes: 120, resolutionMinutes: null, warnPercent: null, escalatePriority: null });
    const c = contact({ channel: 'email', legalBasis: 'none' });
    const r = await ingestContact(ctx, c);
    await ctx.events.drain();
    const replyAt = new Date();
    await Message.create({ conversationId: r.conversation.id, citizenId: null, agentId: agent.id, direction: 'outbound', channel: 'email', externalId: null, subject: null, text: 'Răspuns', html: null, automatic: false, deliveryStatus: 'queued', deliveryError: null, deliveryUpdatedAt: null, receivedAt: replyAt });
    await r.conversation.reload();
    await r.conversation.update({ firstRespondedAt: replyAt });
    await recomputeSla(ctx, r.conversation.id);
    const fr = await SlaTimer.findOne({ where: { conversationId: r.conversation.id, kind: 'first_response' }, rejectOnEmpty: true });
    expect(fr.outcome).toBe('met');
    expect(fr.stoppedAt!.getTime()).toBe(replyAt.getTime());
    expect(fr.elapsedMs).toBe(replyAt.getTime() - r.conversation.registeredAt.getTime());

    await ingestContact(ctx, contact({ channel: 'email', from: c.from, inReplyTo: [], subject: `Re: ${r.conversation.registrationNumber}`, text: `Revin la nr. ${r.conversation.registrationNumber}` }));
    await ctx.events.drain();
    const conv = await Conversation.findByPk(r.conversation.id, { rejectOnEmpty: true });
    const next = await SlaTimer.findOne({ where: { conversationId: conv.id, kind: 'next_response' }, rejectOnEmpty: true });
    expect(next.startedAt.getTime()).toBe(conv.lastInboundAt!.getTime());
    expect(conv.nextResponseDueAt!.getTime()).toBe((await loadBusinessCalendar()).addBusinessMs(conv.lastInboundAt!, 120 * 60_000).getTime());
  });

  describe('legal commands', () => {
    test('failure paths: no legal term, already extended, a petition cannot be refused under Legea 544', async () => {
      const none = await ingestContact(ctx, contact({ channel: 'email', legalBasis: 'none' }));
      expect((await rejects(extendLegalDeadline(ctx, none.conversation.id, null, { days: 10, noticeText: 'Avem nevoie de mai mult timp pentru verificări.' }))).code).toBe('no_legal_term');
      const petition = await ingestContact(ctx, contact({ channel: 'email', legalBasis: 'petition' }));
      expect((await rejects(triageLegalRequest(ctx, petition.conversation.id, null, { action: 'refuse', noticeText: 'Informația solicitată este exceptată.' }))).code).toBe('not_information_request');
      expect(await Message.count({ where: { conversationId: petition.conversation.id, direction: 'outbound' } })).toBe(0);
    });

    test('a petition is extended once by at most 15 days, the notice queued to the citizen before the deadline moves', async () => {
      const r = await ingestContact(ctx, contact({ channel: 'email', legalBasis: 'petition' }));
      await ctx.events.drain();
      const cal = await loadBusinessCalendar();
      const registeredOn = bucharestDate(r.conversation.registeredAt);
      const conv = await extendLegalDeadline(ctx, r.conversation.id, null, { days: 15, noticeText: 'Petiția necesită verificări pe teren; termenul se prelungește cu 15 zile.' });
      expect(conv.legalDueDate).toBe(legalDeadline(registeredOn, 45, cal.isWorkingDay));
      expect(conv.legalExtendedAt).not.toBeNull();
      const notice = await Message.findOne({ where: { conversationId: r.conversation.id, direction: 'outbound' }, rejectOnEmpty: true });
      expect(notice.metadata).toMatchObject({ kind: 'notification', template: 'legal.extension' });
      const [extended] = await eventsOf(r.conversation.id, 'legal.extended');
      expect(extended!.data).toMatchObject({ toDueDate: conv.legalDueDate, termDays: 45, noticeMessageId: notice.id });
      expect(notice.createdAt.getTime()).toBeLessThanOrEqual(extended!.createdAt.getTime());
      expect((await rejects(extendLegalDeadline(ctx, r.conversation.id, null, { days: 5, noticeText: 'A doua prelungire nu este permisă de lege.' }))).code).toBe('already_extended');
      // The recompute keeps the extension.
      await recomputeSla(ctx, r.conversation.id);
      expect((await Conversation.findByPk(r.conversation.id, { rejectOnEmpty: true })).legalDueDate).toBe(conv.legalDueDate);
    });

    test('a public-information request goes to 30 days with a notice, or is reclassified as a petition (30 days) within 5', async () => {
      const cal = await loadBusinessCalendar();
      const a = await ingestContact(ctx, contact({ channel: 'email', legalBasis: 'public_information' }));
      await ctx.events.drain();
      const registeredOn = bucharestDate(a.conversation.registeredAt);
      expect((await Conversation.findByPk(a.conversation.id, { rejectOnEmpty: true })).legalDueDate).toBe(legalDeadline(registeredOn, 10, cal.isWorkingDay));
      const extended = await extendLegalDeadline(ctx, a.conversation.id, null, { noticeText: 'Volumul informațiilor cere mai mult timp; răspundem în 30 de zile.' });
      expect(extended.legalDueDate).toBe(legalDeadline(registeredOn, 30, cal.isWorkingDay));

      const b = await ingestContact(ctx, contact({ channel: 'email', legalBasis: 'public_information' }));
      await ctx.events.drain();
      const reclassified = await triageLegalRequest(ctx, b.conversation.id, null, { action: 'reclassify_as_petition', noticeText: 'Cererea dumneavoastră este tratată ca petiție.' });
      expect(reclassified.legalBasis).toBe('petition');
      expect(reclassified.legalDueDate).toBe(legalDeadline(bucharestDate(b.conversation.registeredAt), 30, cal.isWorkingDay));
      const [event] = await eventsOf(b.conversation.id, 'legal.reclassified');
      expect(event!.data).toMatchObject({ late: false });
    });
  });
});

describe.each(DIALECTS)('SLA after a restart on %s', (dialect) => {
  test('a breach that fell due while the process was down is raised after a restart, by the sweeper alone', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ghiseu-sla-'));
    const db = await freshDatabaseUrl(dialect, dataDir);
    const config = loadConfig({ DATA_DIR: dataDir, DATABASE_URL: db.url, LOG_LEVEL: 'silent' });
    invalidateBusinessCalendar();
    let ctx = await createContext(config);
    try {
      const off = subscribeSla(ctx);
      await SlaPolicy.create({ name: 'Scurt', categoryId: null, channel: 'api', priority: null, legalBasis: null, firstResponseMinutes: 30, nextResponseMinutes: null, resolutionMinutes: null, warnPercent: null, escalatePriority: null });
      const r = await ingestContact(ctx, contact({ channel: 'api', legalBasis: 'none' }));
      await ctx.events.drain();
      const due = (await Conversation.findByPk(r.conversation.id, { rejectOnEmpty: true })).firstResponseDueAt!;
      expect(due).not.toBeNull();

      // The process goes down; the due moment passes; a new process starts on the same database.
      off();
      await closeContext(ctx);
      invalidateBusinessCalendar();
      ctx = await createContext(config);
      expect(await eventsOf(r.conversation.id, 'sla.breached')).toHaveLength(0);

      const result = await sweepSla(ctx, new Date(due.getTime() + 60_000));
      expect(result.conversations).toBe(1);
      const breached = await eventsOf(r.conversation.id, 'sla.breached');
      expect(breached).toHaveLength(1);
      expect(breached[0]!.data).toMatchObject({ kind: 'first_response', dueAt: due.toISOString() });
      expect((await Conversation.findByPk(r.conversation.id, { rejectOnEmpty: true })).slaState).toBe('breached');
    } finally {
      await closeContext(ctx);
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
      invalidateBusinessCalendar();
    }
  });
});
