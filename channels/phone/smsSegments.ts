/**
 * SMS length rules. A message whose every character is in the GSM 03.38 alphabet travels as GSM-7
 * (160 septets alone, 153 per part when concatenated); one character outside it (ă, ș, ț, an emoji)
 * turns the whole message into UCS-2 (70 UTF-16 units alone, 67 per part). Romanian diacritics are
 * outside GSM-7, so a reply with "ș" costs more than twice as many segments as the same text without it.
 */

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** Characters of the extension table: each costs an escape septet plus itself. */
const GSM_EXTENDED = '^{}\\[~]|€\f';

const BASIC = new Set(Array.from(GSM_BASIC));
const EXTENDED = new Set(Array.from(GSM_EXTENDED));

export type SmsEncoding = 'GSM-7' | 'UCS-2';

/** How a text would travel as an SMS. */
export interface SmsSegmentInfo {
  encoding: SmsEncoding;
  /** Number of SMS parts billed. 0 for an empty text. */
  segments: number;
  /** Characters as the reader counts them (code points). */
  characters: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the text uses. */
  units: number;
  /** Units one part holds: 160/153 for GSM-7, 70/67 for UCS-2. */
  perSegment: number;
  /** Units left in the last part before another part is needed. */
  remaining: number;
  /** Characters that forced UCS-2 (deduplicated, in order of appearance). */
  nonGsmCharacters: string[];
}

/** True when the character can be sent in GSM-7 (basic or extension table). */
export function isGsmCharacter(ch: string): boolean {
  return BASIC.has(ch) || EXTENDED.has(ch);
}

/** Counts the SMS segments a text needs, with the encoding it forces. */
export function smsSegments(text: string): SmsSegmentInfo {
  const chars = Array.from(text);
  const nonGsm = [...new Set(chars.filter((c) => !isGsmCharacter(c)))];
  if (!nonGsm.length) {
    // An escape pair is never split across two parts, so concatenated parts are filled greedily.
    const costs = chars.map((c) => (EXTENDED.has(c) ? 2 : 1));
    const units = costs.reduce((a, b) => a + b, 0);
    if (units <= 160) return info('GSM-7', units ? 1 : 0, chars.length, units, 160, 160 - units, []);
    const { segments, lastFill } = pack(costs, 153);
    return info('GSM-7', segments, chars.length, units, 153, 153 - lastFill, []);
  }
  // UCS-2 (really UTF-16): a surrogate pair (emoji) is 2 units and is never split.
  const costs = chars.map((c) => c.length);
  const units = costs.reduce((a, b) => a + b, 0);
  if (units <= 70) return info('UCS-2', 1, chars.length, units, 70, 70 - units, nonGsm);
  const { segments, lastFill } = pack(costs, 67);
  return info('UCS-2', segments, chars.length, units, 67, 67 - lastFill, nonGsm);
}

function pack(costs: number[], size: number): { segments: number; lastFill: number } {
  let segments = 1;
  let fill = 0;
  for (const cost of costs) {
    if (fill + cost > size) {
      segments++;
      fill = 0;
    }
    fill += cost;
  }
  return { segments, lastFill: fill };
}

function info(encoding: SmsEncoding, segments: number, characters: number, units: number, perSegment: number, remaining: number, nonGsmCharacters: string[]): SmsSegmentInfo {
  return { encoding, segments, characters, units, perSegment, remaining, nonGsmCharacters };
}

/** Romanian letters (comma-below and the older cedilla forms) and common typography mapped to GSM-7. */
const TRANSLITERATION: Record<string, string> = {
  ă: 'a', Ă: 'A', â: 'a', Â: 'A', î: 'i', Î: 'I',
  ș: 's', Ș: 'S', ş: 's', Ş: 'S', ț: 't', Ț: 'T', ţ: 't', Ţ: 'T',
  '„': '"', '”': '"', '“': '"', '«': '"', '»': '"', '‘': "'", '’': "'", '‚': "'",
  '–': '-', '—': '-', '…': '...', '\u00a0': ' ', '•': '-',
};

/**
 * A version of the text without Romanian diacritics (ă→a, â→a, î→i, ș/ş→s, ț/ţ→t) and typographic quotes,
 * so it can travel as GSM-7. Other characters outside GSM-7 (emoji) are left as they are: the caller sees
 * them in `nonGsmCharacters` of the segment count.
 */
export function transliterateForSms(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) out += TRANSLITERATION[ch] ?? ch;
  return out;
}
