import type { Language } from '../contract';

/**
 * Romanian text as people search it: ş/ţ with cedilla (U+015F/U+0163, written by old keyboards, Windows-1250
 * and ISO-8859-2 mail) become ș/ț with comma below (U+0219/U+021B), the correct letters.
 */
export function normaliseRomanian(text: string): string {
  return text.replace(/[\u015E\u015F\u0162\u0163]/g, (c) => ({ '\u015E': '\u0218', '\u015F': '\u0219', '\u0162': '\u021A', '\u0163': '\u021B' })[c]!);
}

const EN_WORDS = /\b(the|and|please|would|could|thank|you|regarding|hello|dear|my|is|are|with|for)\b/gi;
const RO_WORDS = /\b(și|si|vă|va|rog|bună|buna|ziua|pentru|este|sunt|cu|mulțumesc|multumesc|domnule|doamnă|stimate|în|pe)\b/gi;

/** The language of a citizen's text: English only when it clearly is (Romanian is the default). */
export function guessLanguage(text: string): Language {
  const sample = text.slice(0, 4000);
  if (/[ăâîșțşţ]/i.test(sample)) return 'ro';
  const en = (sample.match(EN_WORDS) ?? []).length;
  const ro = (sample.match(RO_WORDS) ?? []).length;
  return en >= 3 && en > ro * 2 ? 'en' : 'ro';
}
