import { addDays, weekday, type IsoDate } from './dates';
import { isPublicHoliday } from './holidays';

/** Decides whether the institution works on a date. The SLA calendar adds closed days and recovery Saturdays. */
export type WorkingDayRule = (date: IsoDate) => boolean;

/** Weekdays that are not public holidays. */
export const defaultWorkingDay: WorkingDayRule = (date) => {
  const wd = weekday(date);
  return wd !== 0 && wd !== 6 && !isPublicHoliday(date);
};

/**
 * The legal deadline of a term of `days` days from the registration date, by the Romanian "zile libere"
 * rule (Civil Code art. 2553, HG 123/2002 art. 16): neither the registration day nor the last day counts,
 * so the act is due on reg + days + 1; a non-working due day moves to the next working day. Non-working
 * days inside the term are not skipped (ICCJ 982/2008).
 */
export function legalDeadline(registered: IsoDate, days: number, isWorkingDay: WorkingDayRule = defaultWorkingDay): IsoDate {
  let due = addDays(registered, days + 1);
  while (!isWorkingDay(due)) due = addDays(due, 1);
  return due;
}

/** The date `n` working days before `date` (an internal target ahead of the legal deadline). */
export function workingDaysBefore(date: IsoDate, n: number, isWorkingDay: WorkingDayRule = defaultWorkingDay): IsoDate {
  let d = date;
  let left = n;
  while (left > 0) {
    d = addDays(d, -1);
    if (isWorkingDay(d)) left--;
  }
  return d;
}

/** Days allowed by law for each legal basis, before any extension. */
export const LEGAL_TERM_DAYS = { petition: 30, public_information: 10 } as const;

/** Working days between the internal target and the legal deadline (the prefect's guidance: at least two). */
export const INTERNAL_MARGIN_WORKING_DAYS = 2;
