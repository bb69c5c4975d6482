import { coalescer } from '../../server/realtime/publisher';

describe('coalescing bursts of changes (realtime lists)', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-11-24T09:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  test('a burst runs once, quietMs after its first change', () => {
    const runs: number[] = [];
    const c = coalescer({ quietMs: 100, spacingMs: 500 }, () => runs.push(Date.now()));
    const start = Date.now();
    for (let i = 0; i < 20; i++) c.schedule();
    jest.advanceTimersByTime(99);
    expect(runs).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(runs).toEqual([start + 100]);
    jest.advanceTimersByTime(5_000);
    expect(runs).toHaveLength(1);
  });

  test('a steady stream runs at most once per spacingMs; a change after a quiet spell waits quietMs only', () => {
    const runs: number[] = [];
    const c = coalescer({ quietMs: 100, spacingMs: 500 }, () => runs.push(Date.now()));
    const start = Date.now();
    // A change every 10 ms for 3 s.
    for (let t = 0; t < 3_000; t += 10) {
      c.schedule();
      jest.advanceTimersByTime(10);
    }
    jest.advanceTimersByTime(1_000);
    const gaps = runs.slice(1).map((at, i) => at - runs[i]!);
    expect(runs[0]).toBe(start + 100);
    expect(gaps.every((g) => g >= 500)).toBe(true);
    expect(runs.length).toBeGreaterThanOrEqual(6);
    expect(runs.length).toBeLessThanOrEqual(7);
    // The last change of the stream was told: a run came after it.
    expect(runs.at(-1)!).toBeGreaterThanOrEqual(start + 2_990);
    // Quiet for a while: the next change goes out after quietMs, not spacingMs.
    const later = Date.now();
    c.schedule();
    jest.advanceTimersByTime(100);
    expect(runs.at(-1)).toBe(later + 100);
  });

  test('flushNow runs a pending burst at once and nothing when none is pending; cancel drops it', () => {
    let runs = 0;
    const c = coalescer({ quietMs: 100, spacingMs: 500 }, () => runs++);
    c.flushNow();
    expect(runs).toBe(0);
    c.schedule();
    c.flushNow();
    expect(runs).toBe(1);
    jest.advanceTimersByTime(1_000);
    expect(runs).toBe(1);
    c.schedule();
    c.cancel();
    jest.advanceTimersByTime(1_000);
    expect(runs).toBe(1);
  });
});
