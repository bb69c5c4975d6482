import fc from 'fast-check';
import { BusinessCalendar, DEFAULT_CALENDAR_SPEC, type CalendarDayOverride } from '../../server/calendar/businessCalendar';
import { addDays, bucharestDate, weekday } from '../../server/calendar/dates';
import { legalDeadline, workingDaysBefore } from '../../server/calendar/legalDeadline';
import { bucharestInstant, bucharestMinuteOfDay } from '../../server/calendar/zone';

const HOUR = 3_600_000;

const calendarWith = (overrides: CalendarDayOverride[] = [], weekly = DEFAULT_CALENDAR_SPEC.weekly) =>
  new BusinessCalendar({ ...DEFAULT_CALENDAR_SPEC, weekly, overrides });

describe('Bucharest wall-clock time', () => {
  test('winter is UTC+2 and summer UTC+3, across both DST changes of 2026', () => {
    expect(bucharestInstant('2026-01-15', 8 * 60).toISOString()).toBe('2026-01-15T06:00:00.000Z');
    expect(bucharestInstant('2026-07-15', 8 * 60).toISOString()).toBe('2026-07-15T05:00:00.000Z');
    // 29 March 2026: clocks go 03:00 → 04:00; 25 October 2026: 04:00 → 03:00.
    expect(bucharestInstant('2026-03-29', 8 * 60).toISOString()).toBe('2026-03-29T05:00:00.000Z');
    expect(bucharestInstant('2026-10-25', 8 * 60).toISOString()).toBe('2026-10-25T06:00:00.000Z');
    expect(bucharestMinuteOfDay(new Date('2026-10-26T06:30:00Z'))).toBe(8 * 60 + 30);
  });
});

describe('business calendar: working days', () => {
  test('a closed day set by the city hall (a bridge day) is not a working day; a recovery Saturday is', () => {
    const cal = calendarWith([
      { date: '2026-01-05', kind: 'closed', windows: [] },
      { date: '2026-01-17', kind: 'working', windows: [] },
    ]);
    expect(cal.isWorkingDay('2026-01-05')).toBe(false);
    expect(cal.isWorkingDay('2026-01-17')).toBe(true);
    expect(cal.windowsOn('2026-01-17')).toEqual(DEFAULT_CALENDAR_SPEC.weekly[1]);
    expect(cal.isWorkingDay('2026-01-24')).toBe(false); // Ziua Unirii, a Saturday too
    expect(cal.isWorkingDay('2026-04-10')).toBe(false); // Good Friday
  });

  test('the legal deadline moves past an admin closed day (2026-04-02 closed → Friday 04-03)', () => {
    expect(legalDeadline('2026-03-02', 30)).toBe('2026-04-02');
    const cal = calendarWith([{ date: '2026-04-02', kind: 'closed', windows: [] }]);
    expect(legalDeadline('2026-03-02', 30, cal.isWorkingDay)).toBe('2026-04-03');
    // …and the internal target (two working days before) skips it too.
    expect(workingDaysBefore('2026-04-03', 2, cal.isWorkingDay)).toBe('2026-03-31');
  });

  test('a deadline that falls on a recovery Saturday stays there', () => {
    // 2026-01-17 is a Saturday: registered 2025-12-17 + 31 days.
    expect(legalDeadline('2025-12-17', 30)).toBe('2026-01-19');
    const cal = calendarWith([{ date: '2026-01-17', kind: 'working', windows: [{ startMinute: 540, endMinute: 780 }] }]);
    expect(legalDeadline('2025-12-17', 30, cal.isWorkingDay)).toBe('2026-01-17');
    expect(cal.endOfOfficeDay('2026-01-17').toISOString()).toBe('2026-01-17T11:00:00.000Z');
  });

  test('property: with random admin closed days and recovery Saturdays, a deadline is a working day, never before reg + N + 1, and only non-working days are skipped', () => {
    const day = (max: number) => fc.integer({ min: 0, max }).map((n) => addDays('2025-01-01', n));
    fc.assert(
      fc.property(day(900), fc.constantFrom(5, 10, 15, 30, 45), fc.uniqueArray(day(1100), { maxLength: 60 }), fc.uniqueArray(day(1100), { maxLength: 10 }), (from, days, closed, saturdays) => {
        const overrides: CalendarDayOverride[] = [
          ...closed.map((date) => ({ date, kind: 'closed' as const, windows: [] })),
          ...saturdays.filter((d) => weekday(d) === 6 && !closed.includes(d)).map((date) => ({ date, kind: 'working' as const, windows: [] })),
        ];
        const cal = calendarWith(overrides);
        const due = legalDeadline(from, days, cal.isWorkingDay);
        expect(cal.isWorkingDay(due)).toBe(true);
        expect(closed.includes(due)).toBe(false);
        const earliest = addDays(from, days + 1);
        expect(due >= earliest).toBe(true);
        for (let d = earliest; d < due; d = addDays(d, 1)) expect(cal.isWorkingDay(d)).toBe(false);
        const internal = workingDaysBefore(due, 2, cal.isWorkingDay);
        expect(cal.isWorkingDay(internal)).toBe(true);
        expect(internal < due).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('business calendar: office time', () => {
  const cal = calendarWith();

  test('adds office hours across the night and the weekend', () => {
    // Thursday 2026-03-05 16:00 local + 2 h: 30 min left Thursday, Friday 08:00 + 1.5 h = 09:30 local (07:30Z).
    const start = bucharestInstant('2026-03-05', 16 * 60);
    expect(cal.addBusinessMs(start, 2 * HOUR).toISOString()).toBe('2026-03-06T07:30:00.000Z');
    // Friday 13:00 + 2 h: one hour Friday (until 14:00), Monday 09:00 local.
    expect(cal.addBusinessMs(bucharestInstant('2026-03-06', 13 * 60), 2 * HOUR).toISOString()).toBe(bucharestInstant('2026-03-09', 9 * 60).toISOString());
  });

  test('starts counting at the opening when the case arrives at night, and skips Easter', () => {
    // Thursday 2026-04-09 22:00 → Good Friday, the weekend and Easter Monday are closed: Tuesday 14th 08:00 + 1 h.
    const due = cal.addBusinessMs(bucharestInstant('2026-04-09', 22 * 60), HOUR);
    expect(bucharestDate(due)).toBe('2026-04-14');
    expect(bucharestMinuteOfDay(due)).toBe(9 * 60);
  });

  test('several windows a day: the lunch break does not count', () => {
    const split = calendarWith([], [[], [{ startMinute: 480, endMinute: 720 }, { startMinute: 780, endMinute: 1020 }], [], [], [], [], []]);
    const start = bucharestInstant('2026-03-02', 11 * 60); // a Monday
    expect(bucharestMinuteOfDay(split.addBusinessMs(start, 2 * HOUR))).toBe(14 * 60);
    expect(split.businessMsBetween(start, bucharestInstant('2026-03-02', 14 * 60))).toBe(2 * HOUR);
  });

  test('a calendar without office hours fails with a message instead of looping', () => {
    const none = calendarWith([], [[], [], [], [], [], [], []]);
    expect(() => none.addBusinessMs(new Date('2026-03-02T08:00:00Z'), HOUR)).toThrow(/office hours/);
  });

  const instant = fc.integer({ min: Date.parse('2025-01-01T00:00:00Z'), max: Date.parse('2027-12-31T00:00:00Z') }).map((n) => new Date(n));
  const span = fc.integer({ min: 0, max: 200 * HOUR });

  test('property: counting back the office time added gives the same amount', () => {
    fc.assert(
      fc.property(instant, span, (start, ms) => {
        const end = cal.addBusinessMs(start, ms);
        expect(end.getTime()).toBeGreaterThanOrEqual(start.getTime());
        expect(cal.businessMsBetween(start, end)).toBe(ms);
      }),
      { numRuns: 300 },
    );
  });
});
