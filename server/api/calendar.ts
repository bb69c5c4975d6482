import express, { type Router } from 'express';
import { z } from 'zod';
import { BusinessCalendarRow, BusinessHoursWindow, CalendarDay, Conversation } from '../../db/models';
import { loadSession, requireAgent, requireRole } from '../auth/sessions';
import { CALENDAR_ID, invalidateBusinessCalendar, loadBusinessCalendar } from '../calendar/calendarStore';
import { isIsoDate } from '../calendar/dates';
import { legalDeadline, workingDaysBefore } from '../calendar/legalDeadline';
import { publicHolidays } from '../calendar/holidays';
import type { AppContext } from '../context';
import { notFound } from '../errors';
import { ExtendLegalDeadlineSchema, extendLegalDeadline } from '../sla/extendLegalDeadline';
import { legalTerms } from '../sla/legalTerms';
import { parseInput } from '../sla/parseInput';
import { recomputeOpenCases } from '../sla/recomputeOpenCases';
import { LegalTriageSchema, triageLegalRequest } from '../sla/reclassifyRequest';

const isoDate = z.string().refine(isIsoDate, 'expected a date as YYYY-MM-DD');
const minute = z.number().int().min(0).max(24 * 60);
const WindowSchema = z.object({ startMinute: minute, endMinute: minute }).refine((w) => w.endMinute > w.startMinute, { message: 'endMinute must be after startMinute' });

export const DeadlineQuerySchema = z.object({ from: isoDate, days: z.coerce.number().int().min(1).max(366) });
export const HoursSchema = z.object({
  /** Seven lists, Sunday first; several windows a day allowed. */
  weekly: z.array(z.array(WindowSchema).max(6)).length(7),
});
export const SettingsSchema = z.object({
  legalMarginWorkingDays: z.number().int().min(0).max(15).optional(),
  warnPercent: z.number().int().min(1).max(99).optional(),
});
export const DaySchema = z.object({
  date: isoDate,
  kind: z.enum(['closed', 'working']),
  note: z.string().trim().max(500).optional(),
  windows: z.array(WindowSchema).max(6).optional(),
});

/**
 * /api/v1/calendar: the legal deadline for staff and tests, and the business calendar the admin edits (office
 * hours, the warning share and internal margin, extra closed days and recovery Saturdays).
 */
export function calendarRouter(ctx: AppContext): Router {
  const router = express.Router();
  router.use(loadSession(ctx), requireAgent);
  const admin = requireRole('admin');

  router.get('/deadline', async (req, res) => {
    const q = parseInput(DeadlineQuerySchema, req.query);
    const cal = await loadBusinessCalendar();
    const deadline = legalDeadline(q.from, q.days, cal.isWorkingDay);
    res.json({ from: q.from, days: q.days, deadline, internalTarget: workingDaysBefore(deadline, cal.spec.legalMarginWorkingDays, cal.isWorkingDay) });
  });

  router.get('/', async (req, res) => {
    const year = z.coerce.number().int().min(2000).max(2100).catch(new Date().getUTCFullYear()).parse(req.query.year);
    const [row, windows, days] = await Promise.all([
      BusinessCalendarRow.findByPk(CALENDAR_ID),
      BusinessHoursWindow.findAll({ where: { calendarId: CALENDAR_ID }, order: [['weekday', 'ASC'], ['startMinute', 'ASC']] }),
      CalendarDay.findAll({ where: { calendarId: CALENDAR_ID }, order: [['date', 'ASC']] }),
    ]);
    const weekly: { startMinute: number; endMinute: number }[][] = [[], [], [], [], [], [], []];
    for (const w of windows) weekly[w.weekday]?.push({ startMinute: w.startMinute, endMinute: w.endMinute });
    res.json({
      legalMarginWorkingDays: row?.legalMarginWorkingDays ?? 2,
      warnPercent: row?.warnPercent ?? 80,
      weekly,
      days: days.filter((d) => d.date.startsWith(String(year))).map((d) => ({ date: d.date, kind: d.kind, note: d.note, windows: d.windows })),
      publicHolidays: [...publicHolidays(year)].sort(),
    });
  });

  router.put('/hours', admin, async (req, res) => {
    const body = parseInput(HoursSchema, req.body);
    await ctx.db.transaction(async (transaction) => {
      await BusinessHoursWindow.destroy({ where: { calendarId: CALENDAR_ID }, transaction });
      await BusinessHoursWindow.bulkCreate(
        body.weekly.flatMap((list, weekday) => list.map((w) => ({ calendarId: CALENDAR_ID, weekday, ...w }))),
        { transaction },
      );
    });
    invalidateBusinessCalendar();
    void recomputeOpenCases(ctx);
    res.json({ weekly: body.weekly });
  });

  router.patch('/settings', admin, async (req, res) => {
    const body = parseInput(SettingsSchema, req.body);
    const row = await BusinessCalendarRow.findByPk(CALENDAR_ID, { rejectOnEmpty: true });
    await row.update(body);
    invalidateBusinessCalendar();
    void recomputeOpenCases(ctx);
    res.json({ legalMarginWorkingDays: row.legalMarginWorkingDays, warnPercent: row.warnPercent });
  });

  router.put('/days/:date', admin, async (req, res) => {
    const body = parseInput(DaySchema, { ...req.body, date: req.params.date });
    const [day] = await CalendarDay.findOrCreate({
      where: { calendarId: CALENDAR_ID, date: body.date },
      defaults: { calendarId: CALENDAR_ID, date: body.date, kind: body.kind, note: body.note ?? null, windows: body.windows ?? [] },
    });
    await day.update({ kind: body.kind, note: body.note ?? null, windows: body.windows ?? [] });
    invalidateBusinessCalendar();
    void recomputeOpenCases(ctx);
    res.json({ date: day.date, kind: day.kind, note: day.note, windows: day.windows });
  });

  router.delete('/days/:date', admin, async (req, res) => {
    const date = parseInput(isoDate, req.params.date);
    const removed = await CalendarDay.destroy({ where: { calendarId: CALENDAR_ID, date } });
    if (!removed) throw notFound(`A calendar day on ${date}`);
    invalidateBusinessCalendar();
    void recomputeOpenCases(ctx);
    res.status(204).end();
  });

  return router;
}

/**
 * /api/v1/legal/:conversationId: a case's legal dates, and the law's actions with a notice to the citizen first
 * (extension; refusal, reclassification or forwarding within 5 days). Supervisors and admins only.
 */
export function legalRouter(ctx: AppContext): Router {
  const router = express.Router();
  router.use(loadSession(ctx), requireAgent);
  const id = (raw: unknown) => parseInput(z.coerce.number().int().positive(), raw);

  router.get('/:conversationId', async (req, res) => {
    const conv = await Conversation.findByPk(id(req.params.conversationId));
    if (!conv) throw notFound('The case');
    res.json({ conversationId: conv.id, terms: legalTerms(conv, await loadBusinessCalendar()) });
  });

  router.post('/:conversationId/extend', requireRole('supervisor', 'admin'), async (req, res) => {
    const conv = await extendLegalDeadline(ctx, id(req.params.conversationId), req.agent!.id, parseInput(ExtendLegalDeadlineSchema, req.body));
    res.json({ conversationId: conv.id, legalDueDate: conv.legalDueDate, internalDueDate: conv.internalDueDate, legalExtendedAt: conv.legalExtendedAt });
  });

  router.post('/:conversationId/triage', requireRole('supervisor', 'admin'), async (req, res) => {
    const conv = await triageLegalRequest(ctx, id(req.params.conversationId), req.agent!.id, parseInput(LegalTriageSchema, req.body));
    res.json({ conversationId: conv.id, legalBasis: conv.legalBasis, status: conv.status, legalDueDate: conv.legalDueDate });
  });

  return router;
}
