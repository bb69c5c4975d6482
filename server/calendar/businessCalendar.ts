import { addDays, bucharestDate, weekday, type IsoDate } from './dates';
import { isPublicHoliday } from './holidays';
import type { WorkingDayRule } from './legalDeadline';
import { bucharestInstant } from './zone';

/** One stretch of office hours, in minutes after local midnight (end exclusive). */
export interface HoursWindow {
  startMinute: number;
  endMinute: number;
}

/** A date the city hall set apart from the weekly pattern. */
export interface CalendarDayOverride {
  date: IsoDate;
  /** `closed`: an extra day off (a bridge day); `working`: a recovery Saturday or another day worked. */
  kind: 'closed' | 'working';
  /** Office hours of a working override; empty means the hours of a normal Monday. */
  windows: HoursWindow[];
}

/** What a business calendar is made of (rows of the admin screens). */
export interface BusinessCalendarSpec {
  /** Office hours per weekday, 0 = Sunday … 6 = Saturday; several windows a day allowed. */
  weekly: HoursWindow[][];
  overrides: CalendarDayOverride[];
  /** Working days between the internal target and the legal deadline. */
  legalMarginWorkingDays: number;
  /** Share of a target at which the warning is raised (0.8 = 80 %). */
  warnShare: number;
}

/** Typical city-hall hours: Monday–Thursday 08:00–16:30, Friday 08:00–14:00. */
export const DEFAULT_WEEKLY_HOURS: HoursWindow[][] = [
  [],
  [{ startMinute: 480, endMinute: 990 }],
  [{ startMinute: 480, endMinute: 990 }],
  [{ startMinute: 480, endMinute: 990 }],
  [{ startMinute: 480, endMinute: 990 }],
  [{ startMinute: 480, endMinute: 840 }],
  [],
];

export const DEFAULT_CALENDAR_SPEC: BusinessCalendarSpec = {
  weekly: DEFAULT_WEEKLY_HOURS,
  overrides: [],
  legalMarginWorkingDays: 2,
  warnShare: 0.8,
};

/** The longest stretch searched for office time: a calendar with no hours at all fails instead of looping. */
const MAX_DAYS_SEARCHED = 3 * 366;

/**
 * The institution's calendar in Europe/Bucharest: which days it works (weekdays minus public holidays minus
 * closed days, plus recovery Saturdays) and its office hours, with business-time arithmetic for SLA targets.
 * Immutable; build a new one when the admin edits the calendar.
 */
export class BusinessCalendar {
  private readonly overrides: Map<IsoDate, CalendarDayOverride>;
  private readonly intervals = new Map<IsoDate, [number, number][]>();

  constructor(readonly spec: BusinessCalendarSpec = DEFAULT_CALENDAR_SPEC) {
    this.overrides = new Map(spec.overrides.map((o) => [o.date, o]));
  }

  /** Whether the institution works on a date: the rule legal deadlines are moved by (DOMAIN.md §1.5). */
  readonly isWorkingDay: WorkingDayRule = (date) => {
    const o = this.overrides.get(date);
    if (o) return o.kind === 'working';
    const wd = weekday(date);
    return wd !== 0 && wd !== 6 && !isPublicHoliday(date);
  };

  /** Office-hour windows of a date (empty on a non-working day). */
  windowsOn(date: IsoDate): HoursWindow[] {
    if (!this.isWorkingDay(date)) return [];
    const o = this.overrides.get(date);
    if (o?.kind === 'working') return o.windows.length ? o.windows : this.spec.weekly[1] ?? [];
    return this.spec.weekly[weekday(date)] ?? [];
  }

  /** Office hours of a date as sorted, merged [start, end) instants in epoch ms. */
  officeIntervals(date: IsoDate): [number, number][] {
    let list = this.intervals.get(date);
    if (list) return list;
    const sorted = [...this.windowsOn(date)].filter((w) => w.endMinute > w.startMinute).sort((a, b) => a.startMinute - b.startMinute);
    list = [];
    for (const w of sorted) {
      const s = bucharestInstant(date, w.startMinute).getTime();
      const e = bucharestInstant(date, w.endMinute).getTime();
      const last = list[list.length - 1];
      if (last && s <= last[1]) last[1] = Math.max(last[1], e);
      else list.push([s, e]);
    }
    if (this.intervals.size > 5000) this.intervals.clear();
    this.intervals.set(date, list);
    return list;
  }

  /** The instant `ms` of office time after `start` (start itself when ms is 0). */
  addBusinessMs(start: Date, ms: number): Date {
    if (ms <= 0) return new Date(start.getTime());
    let left = ms;
    const from = start.getTime();
    let day = bucharestDate(start);
    for (let i = 0; i < MAX_DAYS_SEARCHED; i++, day = addDays(day, 1)) {
      for (const [s, e] of this.officeIntervals(day)) {
        if (e <= from) continue;
        const begin = Math.max(s, from);
        if (e - begin >= left) return new Date(begin + left);
        left -= e - begin;
      }
    }
    throw new Error('The business calendar has no office hours in the next three years; set office hours first.');
  }

  /** Office time between two instants, in ms (0 when `to` is not after `from`). */
  businessMsBetween(from: Date, to: Date): number {
    const a = from.getTime();
    const b = to.getTime();
    if (b <= a) return 0;
    let total = 0;
    const last = bucharestDate(to);
    for (let day = bucharestDate(from); day <= last; day = addDays(day, 1)) {
      for (const [s, e] of this.officeIntervals(day)) {
        const lo = Math.max(s, a);
        const hi = Math.min(e, b);
        if (hi > lo) total += hi - lo;
      }
    }
    return total;
  }

  /** The end of office hours on a date (the moment an act due that day must be done by, Civil Code art. 2553(3)). */
  endOfOfficeDay(date: IsoDate): Date {
    const list = this.officeIntervals(date);
    const last = list[list.length - 1];
    return last ? new Date(last[1]) : bucharestInstant(date, 24 * 60);
  }
}
