import type { LetterFields } from '../../db/models/Letter';
import { findRegistrationNumbers } from '../ingest/registry';
import { redactCnpText } from '../text/cnp';

const MONTHS: Record<string, number> = {
  ianuarie: 1, februarie: 2, martie: 3, aprilie: 4, mai: 5, iunie: 6, iulie: 7, august: 8, septembrie: 9, octombrie: 10, noiembrie: 11, decembrie: 12,
};

const NAME_WORD = "[A-ZĂÂÎȘȚŞŢ][a-zăâîșțşţ']+(?:-[A-ZĂÂÎȘȚŞŢ][a-zăâîșțşţ']+)?|[A-ZĂÂÎȘȚŞŢ]{2,}(?:-[A-ZĂÂÎȘȚŞŢ]{2,})?";
const NAME = `(?:${NAME_WORD})(?:[ \\t]+(?:${NAME_WORD})){1,3}`;

/**
 * Reads the fields a registry clerk would take from a Romanian letter: sender, postal address, email, phone,
 * the date on the letter, an earlier registration number it refers to, the subject, and whether the citizen
 * asked for the answer by email. Heuristics for the usual petition layout ("Subsemnatul…, domiciliat în…",
 * "Subiect:", a signature after "Cu stimă"); what it cannot find stays null and the clerk fills it in.
 * CNPs are redacted from the text first, so no field can carry one.
 */
export function extractFields(rawText: string): LetterFields {
  const text = redactCnpText(rawText).replace(/\r/g, '');
  const oneLine = text.replace(/[ \t]*\n[ \t]*/g, ' ');
  return {
    senderName: senderName(text, oneLine),
    postalAddress: postalAddress(text, oneLine),
    email: oneLine.match(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/)?.[0]?.toLowerCase() ?? null,
    phone: phone(oneLine),
    letterDate: letterDate(text),
    referenceNumber: findRegistrationNumbers(oneLine)[0] ?? null,
    subject: subject(text),
    wantsEmailReply: /r[ăa]spun(?:s|de)\w*\b[^.\n]{0,60}\b(?:pe|prin|la|în|in)\s+(?:adresa\s+de\s+)?(?:e-?mail|po[șşs]t[ăa]\s+electronic[ăa])/i.test(oneLine),
  };
}

function senderName(text: string, oneLine: string): string | null {
  const intro = oneLine.match(new RegExp(`\\bSubsemnat(?:ul|a)\\s*,?\\s*(${NAME})`));
  if (intro) return clean(intro[1]!);
  const labelled = text.match(new RegExp(`^\\s*(?:Nume(?:\\s+și\\s+prenume)?|Petent|Expeditor)\\s*:\\s*(${NAME})`, 'mi'));
  if (labelled) return clean(labelled[1]!);
  // A signature: the name on its own line after the closing formula.
  const closing = text.match(new RegExp(`(?:Cu\\s+(?:stim[ăa]|respect)|Mul[țţt]umesc)[^\\n]*\\n+\\s*(${NAME})\\s*$`, 'mi'));
  if (closing) return clean(closing[1]!);
  return null;
}

function postalAddress(text: string, oneLine: string): string | null {
  const labelled = text.match(/^\s*(?:Adres[ăa]|Domiciliu)\s*:\s*(.{6,200})$/im);
  if (labelled) return clean(labelled[1]!);
  const domicile = oneLine.match(/\bdomiciliat[ăa]?\s+(?:în|in)\s+(.{6,200}?)(?=,\s*(?:CNP|\[CNP|tel|telefon|e-?mail|posesor|leg)|\s+v[ăa]\s+rog|;|(?<=[a-zăâîșț]{4})\.\s|$)/i);
  if (domicile) return clean(domicile[1]!);
  const street = text.match(/^\s*((?:Str(?:ada)?\.?|Bd\.?|Bulevardul|Calea|Aleea|Piața)\s+.{3,150})$/im);
  if (street) return clean(street[1]!);
  return null;
}

function phone(oneLine: string): string | null {
  const m = oneLine.match(/(?<![\d])(?:\+40|0040|0)\s?(?:7\d{2}|[23]\d{1,2})(?:[\s.-]?\d){6,7}(?![\d])/);
  return m ? m[0].replace(/[\s.-]/g, '') : null;
}

function letterDate(text: string): string | null {
  const iso = (y: number, m: number, d: number) => {
    if (y < 1990 || y > 2100 || m < 1 || m > 12 || d < 1 || d > 31) return null;
    const date = new Date(Date.UTC(y, m - 1, d));
    if (date.getUTCDate() !== d) return null;
    return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  };
  // Prefer a labelled date ("Data: …"), then the first date in the letter.
  const labelled = text.match(/\bData\s*:?\s*(\d{1,2})[./-](\d{1,2})[./-](\d{4})/i);
  if (labelled) return iso(Number(labelled[3]), Number(labelled[2]), Number(labelled[1]));
  for (const m of text.matchAll(/(?<![\d/])(\d{1,2})[./-](\d{1,2})[./-](\d{4})(?![\d/])/g)) {
    const d = iso(Number(m[3]), Number(m[2]), Number(m[1]));
    if (d) return d;
  }
  const words = text.match(/\b(\d{1,2})\s+(ianuarie|februarie|martie|aprilie|mai|iunie|iulie|august|septembrie|octombrie|noiembrie|decembrie)\s+(\d{4})\b/i);
  if (words) return iso(Number(words[3]), MONTHS[words[2]!.toLowerCase()]!, Number(words[1]));
  return null;
}

function subject(text: string): string | null {
  const m = text.match(/^\s*(?:Subiect(?:ul)?|Obiect|Referitor\s+la|Privind|Ref\.?)\s*:\s*(.{3,300})$/im);
  return m ? clean(m[1]!) : null;
}

function clean(s: string): string {
  return s.replace(/\s+/g, ' ').replace(/[\s,;.]+$/, '').trim();
}
