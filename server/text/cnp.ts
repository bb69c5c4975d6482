/**
 * The Romanian personal numeric code (CNP, DOMAIN.md §3): validation with the check digit, and detection
 * for redaction. Redaction takes every date-plausible 13-digit run, whether or not its check digit is
 * right (a mistyped CNP is still personal data), and allows the spaces, dots and dashes that people and
 * OCR put between the digits.
 */

const KEY = '279146358279';

/** The check digit of the first 12 digits of a CNP. */
export function cnpCheckDigit(first12: string): number {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(first12[i]) * Number(KEY[i]);
  const r = sum % 11;
  return r === 10 ? 1 : r;
}

const CENTURY: Record<number, number> = { 1: 1900, 2: 1900, 3: 1800, 4: 1800, 5: 2000, 6: 2000 };

/** True for a 13-digit CNP with a real birth date and a right check digit (for form input). */
export function isValidCnp(value: string): boolean {
  if (!/^[1-9]\d{12}$/.test(value)) return false;
  if (!hasRealBirthDate(value)) return false;
  return cnpCheckDigit(value.slice(0, 12)) === Number(value[12]);
}

function hasRealBirthDate(digits: string): boolean {
  const s = Number(digits[0]);
  const yy = Number(digits.slice(1, 3));
  const mm = Number(digits.slice(3, 5));
  const dd = Number(digits.slice(5, 7));
  // Foreign residents (7–9) do not encode the century; 1900 is as good as any for a day-of-month check.
  const d = new Date(Date.UTC((CENTURY[s] ?? 1900) + yy, mm - 1, dd));
  return d.getUTCMonth() === mm - 1 && d.getUTCDate() === dd;
}

/** A date-plausible 13-digit run: S 1–9, month 01–12, day 01–31 (DOMAIN.md §3.1 redaction candidates). */
function datePlausible(digits: string): boolean {
  return /^[1-9]\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{6}$/.test(digits);
}

/** Characters that may stand between the digits of a CNP on paper or in OCR text. */
const SEP = '(?:[ \\t\\u00a0]{1,2}|[-.\\u2010-\\u2015]|)';
/** 13 digits with optional single separators, not touching other digits. */
const RUN = new RegExp(`(?<!\\d)\\d(?:${SEP}\\d){12}(?!\\d)`, 'g');

/** One CNP-shaped run found in a text. */
export interface CnpMatch {
  /** Offsets in the original text (end exclusive). */
  start: number;
  end: number;
  /** The 13 digits without separators. */
  digits: string;
  /** The check digit and birth date are right (a real CNP rather than a mistyped or made-up one). */
  valid: boolean;
}

/** Every date-plausible CNP candidate in a text, valid or not. */
export function findCnps(text: string): CnpMatch[] {
  const out: CnpMatch[] = [];
  for (const m of text.matchAll(RUN)) {
    const digits = m[0].replace(/\D/g, '');
    if (!datePlausible(digits)) continue;
    out.push({ start: m.index, end: m.index + m[0].length, digits, valid: isValidCnp(digits) });
  }
  return out;
}

/** What stands in a text where a CNP was. */
export const CNP_MASK = '[CNP ascuns]';

/** The text with every CNP candidate replaced by the mask, and how many there were. */
export function redactCnp(text: string, mask = CNP_MASK): { text: string; count: number } {
  const found = findCnps(text);
  if (!found.length) return { text, count: 0 };
  let out = '';
  let at = 0;
  for (const f of found) {
    out += text.slice(at, f.start) + mask;
    at = f.end;
  }
  return { text: out + text.slice(at), count: found.length };
}

/** Shorthand for redactCnp(text).text. */
export function redactCnpText(text: string): string {
  return redactCnp(text).text;
}

/** A JSON-like value with every string redacted (extracted fields, metadata shown to agents). */
export function redactCnpDeep<T>(value: T): T {
  if (typeof value === 'string') return redactCnpText(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactCnpDeep(v)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redactCnpDeep(v);
    return out as T;
  }
  return value;
}
