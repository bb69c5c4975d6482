import type { Transaction } from 'sequelize';
import { BusinessCalendarRow, BusinessHoursWindow, CalendarDay } from '../../db/models';
import { BusinessCalendar, DEFAULT_CALENDAR_SPEC, type HoursWindow } from './businessCalendar';

/** The calendar the institution uses (the migration creates it). */
export const CALENDAR_ID = 1;

/** How long a process trusts its copy: another process's admin edit shows here within this time. */
const TTL_MS = 30_000;

let cached: { calendar: BusinessCalendar; at: number } | null = null;

/** The business calendar from the database (office hours, closed days, recovery Saturdays), cached briefly. */
export async function loadBusinessCalendar(opts: { transaction?: Transaction; fresh?: boolean } = {}): Promise<BusinessCalendar> {
  if (!opts.fresh && cached && Date.now() - cached.at < TTL_MS) return cached.calendar;
  const { transaction } = opts;
  const [row, windows, days] = await Promise.all([
    BusinessCalendarRow.findByPk(CALENDAR_ID, { transaction }),
    BusinessHoursWindow.findAll({ where: { calendarId: CALENDAR_ID }, order: [['weekday', 'ASC'], ['startMinute', 'ASC']], transaction }),
    CalendarDay.findAll({ where: { calendarId: CALENDAR_ID }, transaction }),
  ]);
  const weekly: HoursWindow[][] = [[], [], [], [], [], [], []];
  for (const w of windows) weekly[w.weekday]?.push({ startMinute: w.startMinute, endMinute: w.endMinute });
  const calendar = new BusinessCalendar({
    weekly: windows.length ? weekly : DEFAULT_CALENDAR_SPEC.weekly,
    overrides: days.map((d) => ({ date: d.date, kind: d.kind, windows: d.windows })),
    legalMarginWorkingDays: row?.legalMarginWorkingDays ?? DEFAULT_CALENDAR_SPEC.legalMarginWorkingDays,
    warnShare: (row?.warnPercent ?? 80) / 100,
  });
  cached = { calendar, at: Date.now() };
  return calendar;
}

/** Drops this process's copy (after an admin edit, and between tests on different databases). */
export function invalidateBusinessCalendar(): void {
  cached = null;
}
