import type { Conversation } from '../../db/models';
import type { BusinessCalendar } from '../calendar/businessCalendar';
import { bucharestDate, type IsoDate } from '../calendar/dates';
import { legalDeadline } from '../calendar/legalDeadline';

/** The longest extension of a petition's term (OG 27/2002 art. 9). */
export const PETITION_MAX_EXTENSION_DAYS = 15;
/** A public-information request answered in more than 10 days: at most 30 (Legea 544/2001 art. 7(1)). */
export const INFORMATION_EXTENDED_DAYS = 30;
/** Refusal, reclassification as a petition, forwarding to another institution: within 5 days. */
export const TRIAGE_DAYS = 5;

/** Every legal date of a case, counted by the Romanian rule on the institution's calendar (DOMAIN.md §1). */
export interface LegalTerms {
  legalBasis: 'petition' | 'public_information';
  registeredOn: IsoDate;
  /** The answer is due by then (the extension included). */
  answerBy: IsoDate;
  /** The internal target before it. */
  internalBy: IsoDate | null;
  extended: boolean;
  /** Petitions: extend by notice (once, ≤15 days); information requests: tell the requester by then to get 30 days. */
  extensionNoticeBy: IsoDate | null;
  /** Information requests: a reasoned refusal is due by then. */
  refusalBy: IsoDate | null;
  /** Information requests: reclassify as a petition (and tell the requester) by then. */
  reclassifyBy: IsoDate | null;
  /** Petitions for another institution: forward them by then. */
  forwardBy: IsoDate | null;
}

/** The legal dates of a case, or null for a case with no legal term. */
export function legalTerms(conv: Pick<Conversation, 'legalBasis' | 'registeredAt' | 'legalDueDate' | 'internalDueDate' | 'legalExtendedAt'>, cal: BusinessCalendar): LegalTerms | null {
  if (conv.legalBasis === 'none') return null;
  const registeredOn = bucharestDate(conv.registeredAt);
  const rule = cal.isWorkingDay;
  const info = conv.legalBasis === 'public_information';
  const answerBy = conv.legalDueDate ?? legalDeadline(registeredOn, info ? 10 : 30, rule);
  const extended = conv.legalExtendedAt !== null;
  return {
    legalBasis: conv.legalBasis,
    registeredOn,
    answerBy,
    internalBy: conv.internalDueDate,
    extended,
    extensionNoticeBy: extended ? null : answerBy,
    refusalBy: info ? legalDeadline(registeredOn, TRIAGE_DAYS, rule) : null,
    reclassifyBy: info ? legalDeadline(registeredOn, TRIAGE_DAYS, rule) : null,
    forwardBy: info ? null : legalDeadline(registeredOn, TRIAGE_DAYS, rule),
  };
}
