import type { BusinessCalendar } from '../calendar/businessCalendar';

/** The running state of a service clock, in office time on a business calendar. */
export interface ClockState {
  /** Office time allowed; null when only measured. */
  targetMs: number | null;
  /** Office time used in closed segments. */
  usedMs: number;
  /** Start of the running segment; null while paused or stopped. */
  runningSince: Date | null;
}

/** Office time used by `at`. */
export function usedAt(cal: BusinessCalendar, clock: ClockState, at: Date): number {
  return clock.usedMs + (clock.runningSince ? cal.businessMsBetween(clock.runningSince, at) : 0);
}

/** Pauses a running clock at `at`, banking the office time of the segment. A paused clock is unchanged. */
export function pauseClock(cal: BusinessCalendar, clock: ClockState, at: Date): ClockState {
  if (!clock.runningSince) return clock;
  return { ...clock, usedMs: usedAt(cal, clock, at), runningSince: null };
}

/** Resumes a paused clock at `at`. A running clock is unchanged. */
export function resumeClock(clock: ClockState, at: Date): ClockState {
  if (clock.runningSince) return clock;
  return { ...clock, runningSince: at };
}

/** The moment the clock reaches `shareMs` of office time, or null while paused or without a target. */
export function momentAt(cal: BusinessCalendar, clock: ClockState, shareMs: number): Date | null {
  if (!clock.runningSince) return null;
  return cal.addBusinessMs(clock.runningSince, Math.max(0, shareMs - clock.usedMs));
}

/** The due moment (target reached), or null while paused or without a target. */
export function dueMoment(cal: BusinessCalendar, clock: ClockState): Date | null {
  return clock.targetMs === null ? null : momentAt(cal, clock, clock.targetMs);
}

/** Office time at which the warning is raised. */
export function warnMs(targetMs: number, share: number): number {
  return Math.ceil(targetMs * share);
}
