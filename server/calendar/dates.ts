/** Calendar dates as `YYYY-MM-DD` strings in Europe/Bucharest: the unit the law counts deadlines in. */
export type IsoDate = string;

export const TIME_ZONE = 'Europe/Bucharest';

const dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

/** The Bucharest calendar date of an instant. */
export function bucharestDate(at: Date): IsoDate {
  return dayFormat.format(at);
}

/** The date `days` later (negative for earlier), in pure calendar arithmetic. */
export function addDays(date: IsoDate, days: number): IsoDate {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(date: IsoDate): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/** True for a well-formed, real calendar date. */
export function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  return new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) === value;
}
