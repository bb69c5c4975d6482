import Holidays from 'date-holidays';
import { addDays, type IsoDate } from './dates';

const cache = new Map<number, Set<IsoDate>>();
const holidays = new Holidays('RO', { types: ['public'] });

/**
 * Romanian public holidays of a year (Codul muncii art. 139), as dates. Multi-day entries (1–2 January)
 * are expanded day by day; observances are excluded by asking only for `public` holidays.
 */
export function publicHolidays(year: number): Set<IsoDate> {
  let set = cache.get(year);
  if (set) return set;
  set = new Set();
  for (const h of holidays.getHolidays(year) || []) {
    if (h.type !== 'public') continue;
    const first = h.date.slice(0, 10);
    const days = Math.max(1, Math.round((h.end.getTime() - h.start.getTime()) / 86_400_000));
    for (let i = 0; i < days; i++) set.add(addDays(first, i));
  }
  // 6 and 7 January became holidays by Legea 52/2023; the data has them in every year.
  if (year < 2024) {
    set.delete(`${year}-01-06`);
    set.delete(`${year}-01-07`);
  }
  cache.set(year, set);
  return set;
}

/** True when the date is a Romanian public holiday. */
export function isPublicHoliday(date: IsoDate): boolean {
  return publicHolidays(Number(date.slice(0, 4))).has(date);
}
