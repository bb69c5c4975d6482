import fc from 'fast-check';
import { addDays, isIsoDate } from '../../server/calendar/dates';
import { publicHolidays } from '../../server/calendar/holidays';
import { defaultWorkingDay, legalDeadline, workingDaysBefore } from '../../server/calendar/legalDeadline';

describe('legal deadlines (DOMAIN.md §1.5 worked examples)', () => {
  test.each([
    ['30-day petition registered Mon 2026-03-02', '2026-03-02', 30, '2026-04-02'],
    ['30-day petition registered Wed 2026-03-11 (Easter moves it)', '2026-03-11', 30, '2026-04-14'],
    ['10-day public-information request registered Tue 2026-03-31', '2026-03-31', 10, '2026-04-14'],
    ['30-day petition registered Wed 2025-12-24 (24 January is a holiday and a Saturday)', '2025-12-24', 30, '2026-01-26'],
    ['15-day term from 2025-09-10 (avocatnet.ro example)', '2025-09-10', 15, '2025-09-26'],
  ])('%s', (_label, from, days, expected) => {
    expect(legalDeadline(from, days)).toBe(expected);
  });

  test('2026 has the 16 distinct public holidays of the official list, 1–2 January expanded', () => {
    const days = [...publicHolidays(2026)].sort();
    expect(days).toEqual([
      '2026-01-01', '2026-01-02', '2026-01-06', '2026-01-07', '2026-01-24', '2026-04-10', '2026-04-12', '2026-04-13',
      '2026-05-01', '2026-05-31', '2026-06-01', '2026-08-15', '2026-11-30', '2026-12-01', '2026-12-25', '2026-12-26',
    ]);
  });

  test('observances (8 March, Flag Day) are not holidays', () => {
    expect(defaultWorkingDay('2027-03-08')).toBe(true);
    expect(defaultWorkingDay('2026-06-26')).toBe(true);
  });

  test('6–7 January are working days before 2024 (Legea 52/2023)', () => {
    expect(publicHolidays(2023).has('2023-01-06')).toBe(false);
    expect(publicHolidays(2024).has('2024-01-06')).toBe(true);
  });

  test('property: a deadline is a working day, never before reg + N + 1, and only non-working days are skipped', () => {
    const date = fc.integer({ min: 0, max: 365 * 6 }).map((n) => addDays('2024-01-01', n));
    fc.assert(
      fc.property(date, fc.constantFrom(5, 10, 15, 30, 45), (from, days) => {
        const due = legalDeadline(from, days);
        expect(isIsoDate(due)).toBe(true);
        expect(defaultWorkingDay(due)).toBe(true);
        const earliest = addDays(from, days + 1);
        expect(due >= earliest).toBe(true);
        for (let d = earliest; d < due; d = addDays(d, 1)) expect(defaultWorkingDay(d)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  test('internal target: two working days before the legal deadline', () => {
    expect(workingDaysBefore('2026-04-14', 2)).toBe('2026-04-08'); // skips Easter Monday, Easter, Good Friday, the weekend
    expect(workingDaysBefore('2026-04-02', 2)).toBe('2026-03-31');
  });
});
