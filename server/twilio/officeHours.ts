import { bucharestDate } from '../calendar/dates';
import { loadBusinessCalendar } from '../calendar/calendarStore';

/** The phone channel's clock; tests set `now` to a fixed instant to exercise in-hours and out-of-hours calls. */
export const phoneClock = { now: (): Date => new Date() };

/**
 * Is the phone line staffed at `at`? The one decision the IVR asks. It reads the institution's business
 * calendar (office hours per weekday in Europe/Bucharest, public holidays, closed days, recovery Saturdays),
 * which administrators edit in the SLA calendar screens; swap the body here if the line ever gets its own hours.
 */
export async function isOfficeOpen(at: Date = phoneClock.now()): Promise<boolean> {
  const calendar = await loadBusinessCalendar();
  const t = at.getTime();
  return calendar.officeIntervals(bucharestDate(at)).some(([start, end]) => start <= t && t < end);
}
