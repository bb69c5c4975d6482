/** GSM 03.38 basic characters (one septet each) and the extension table (two septets). */
const GSM = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'.split(''),
);
const GSM_EXT = new Set('^{}\\[~]|€\f'.split(''));

/**
 * How many SMS parts a text takes: GSM-7 (160, or 153 per part) unless a character needs UCS-2 (70, or 67
 * per part) — Romanian ș, ț, ă, â, î do.
 */
export function smsSegments(text: string): { encoding: 'GSM-7' | 'UCS-2'; units: number; segments: number } {
  let units = 0;
  let gsm = true;
  for (const ch of text) {
    if (GSM.has(ch)) units += 1;
    else if (GSM_EXT.has(ch)) units += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (!gsm) {
    const u = [...text].reduce((n, ch) => n + (ch.codePointAt(0)! > 0xffff ? 2 : 1), 0);
    return { encoding: 'UCS-2', units: u, segments: u === 0 ? 0 : u <= 70 ? 1 : Math.ceil(u / 67) };
  }
  return { encoding: 'GSM-7', units, segments: units === 0 ? 0 : units <= 160 ? 1 : Math.ceil(units / 153) };
}
