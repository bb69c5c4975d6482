import type { Language } from '../../channels/contract';
import { IvrMenuEntry } from '../../db/models';

/** The key that switches the menu to English, and the one that repeats it. */
export const ENGLISH_DIGIT = '9';
export const REPEAT_DIGIT = '*';

/** The active menu entries in the order they are read. */
export async function activeMenu(): Promise<IvrMenuEntry[]> {
  return IvrMenuEntry.findAll({ where: { active: true }, order: [['sortOrder', 'ASC'], ['digit', 'ASC']] });
}

/** Folds case and Romanian diacritics (both comma and cedilla forms) so "Taxă" matches "taxa". */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

/** What the caller chose in the menu. */
export type MenuChoice = { kind: 'entry'; entry: IvrMenuEntry } | { kind: 'english' } | { kind: 'repeat' } | { kind: 'none' };

/** Matches pressed digits first, then spoken words against the entries' keywords in the call's language. */
export function matchMenu(menu: IvrMenuEntry[], language: Language, digits?: string, speech?: string): MenuChoice {
  const d = digits?.trim();
  if (d) {
    if (d === ENGLISH_DIGIT && language === 'ro') return { kind: 'english' };
    if (d === REPEAT_DIGIT) return { kind: 'repeat' };
    const entry = menu.find((e) => e.digit === d);
    return entry ? { kind: 'entry', entry } : { kind: 'none' };
  }
  const said = speech ? fold(speech) : '';
  if (!said) return { kind: 'none' };
  if (language === 'ro' && /\b(english|engleza)\b/.test(said)) return { kind: 'english' };
  const words = new Set(said.split(/[^a-z0-9]+/).filter(Boolean));
  for (const entry of menu) {
    const keywords = (language === 'en' ? entry.keywordsEn : entry.keywordsRo).split(',').map((k) => fold(k.trim())).filter(Boolean);
    if (keywords.some((k) => (k.includes(' ') ? said.includes(k) : words.has(k)))) return { kind: 'entry', entry };
  }
  return { kind: 'none' };
}
