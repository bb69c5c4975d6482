import fc from 'fast-check';
import { BusinessCalendar } from '../../server/calendar/businessCalendar';
import { dueMoment, pauseClock, resumeClock, usedAt, type ClockState } from '../../server/sla/clock';
import { matchPolicy } from '../../server/sla/matchPolicy';

const cal = new BusinessCalendar();
const HOUR = 3_600_000;

describe('SLA clock: pause and resume', () => {
  test('a pause while the case waits on the citizen moves the due moment by the office time it lasted', () => {
    const start = new Date('2026-03-02T06:00:00Z'); // Monday 08:00 Bucharest
    let clock: ClockState = { targetMs: 8 * HOUR, usedMs: 0, runningSince: start };
    expect(dueMoment(cal, clock)!.toISOString()).toBe('2026-03-02T14:00:00.000Z'); // 16:00
    clock = pauseClock(cal, clock, new Date('2026-03-02T08:00:00Z')); // after 2 h
    expect(clock.usedMs).toBe(2 * HOUR);
    expect(dueMoment(cal, clock)).toBeNull();
    clock = resumeClock(clock, new Date('2026-03-03T06:00:00Z')); // Tuesday 08:00
    expect(dueMoment(cal, clock)!.toISOString()).toBe('2026-03-03T12:00:00.000Z'); // 6 h later
  });

  test('pausing twice or resuming twice changes nothing', () => {
    const start = new Date('2026-03-02T06:00:00Z');
    const paused = pauseClock(cal, { targetMs: HOUR, usedMs: 0, runningSince: start }, new Date('2026-03-02T06:30:00Z'));
    expect(pauseClock(cal, paused, new Date('2026-03-05T06:30:00Z'))).toEqual(paused);
    const running = resumeClock(paused, new Date('2026-03-03T06:00:00Z'));
    expect(resumeClock(running, new Date('2026-03-04T06:00:00Z'))).toEqual(running);
  });

  test('property: any sequence of pauses and resumes neither loses nor gains office time', () => {
    const start = fc.integer({ min: Date.parse('2025-06-01T00:00:00Z'), max: Date.parse('2027-06-01T00:00:00Z') });
    const gaps = fc.array(fc.integer({ min: 1, max: 5 * 24 * HOUR }), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(start, gaps, fc.integer({ min: HOUR, max: 80 * HOUR }), (t0, steps, target) => {
        // Alternate running and paused stretches; the office time used is the sum over the running stretches only.
        let clock: ClockState = { targetMs: target, usedMs: 0, runningSince: new Date(t0) };
        let at = t0;
        let expected = 0;
        steps.forEach((gap, i) => {
          const next = at + gap;
          if (i % 2 === 0) {
            expected += cal.businessMsBetween(new Date(at), new Date(next));
            clock = pauseClock(cal, clock, new Date(next));
          } else {
            clock = resumeClock(clock, new Date(next));
          }
          at = next;
        });
        expect(clock.runningSince === null ? clock.usedMs : usedAt(cal, clock, new Date(at))).toBe(expected);
        expect(usedAt(cal, clock, new Date(at))).toBe(expected);
        // Running again, the due moment leaves exactly the rest of the target.
        const resumed = resumeClock(clock, new Date(at));
        const due = dueMoment(cal, resumed)!;
        const rest = Math.max(0, target - expected);
        expect(cal.businessMsBetween(new Date(at), due)).toBe(rest);
        expect(usedAt(cal, resumed, due)).toBe(Math.max(target, expected));
      }),
      { numRuns: 200 },
    );
  });
});

describe('SLA policy matching', () => {
  const p = (id: number, over: Partial<Parameters<typeof matchPolicy>[0][number]> = {}) => ({
    id, active: true, categoryId: null, channel: null, priority: null, legalBasis: null, ...over,
  });
  const facts = { categoryId: 7, channel: 'email' as const, priority: 0, legalBasis: 'petition' as const };

  test('the most specific matching policy wins; a criterion that differs excludes the policy', () => {
    const policies = [p(1), p(2, { channel: 'email' }), p(3, { categoryId: 7 }), p(4, { categoryId: 8 }), p(5, { legalBasis: 'public_information' })];
    expect(matchPolicy(policies, facts)?.id).toBe(3);
    expect(matchPolicy(policies, { ...facts, categoryId: 9 })?.id).toBe(2);
    expect(matchPolicy(policies, { ...facts, categoryId: 9, channel: 'sms' })?.id).toBe(1);
  });

  test('inactive policies never match; priority matches cases of at least that priority; ties go to the older policy', () => {
    expect(matchPolicy([p(1, { active: false })], facts)).toBeNull();
    const byPriority = [p(1), p(2, { priority: 2 })];
    expect(matchPolicy(byPriority, facts)?.id).toBe(1);
    expect(matchPolicy(byPriority, { ...facts, priority: 3 })?.id).toBe(2);
    expect(matchPolicy([p(9, { channel: 'email' }), p(4, { channel: 'email' })], facts)?.id).toBe(4);
  });
});
