import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { en } from './en';
import { ro, type MessageKey } from './ro';

export type Lang = 'ro' | 'en';
const CATALOGUES: Record<Lang, Record<MessageKey, string>> = { ro, en };
const STORAGE_KEY = 'ghiseu.lang';

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

interface I18n {
  lang: Lang;
  setLang(lang: Lang): void;
  t: Translate;
  /** A date-time in Europe/Bucharest, written for the reader's language. */
  dateTime(iso: string | null | undefined): string;
  /** A calendar date (YYYY-MM-DD) written for the reader's language. */
  date(isoDate: string | null | undefined): string;
}

const Ctx = createContext<I18n | null>(null);

/** A catalogue text with its `{name}` placeholders filled in. */
export function fillMessage(text: string, vars?: Record<string, string | number>): string {
  let s = text;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

/**
 * The translate function of a screen with its own catalogues (Romanian first), following the console's language
 * switch: the wallboard and SLA screens, the email admin screen.
 */
export function useCatalogue<K extends string>(catalogues: Record<Lang, Record<K, string>>): (key: K, vars?: Record<string, string | number>) => string {
  const { lang } = useI18n();
  return useCallback((key: K, vars?: Record<string, string | number>) => fillMessage(catalogues[lang][key] ?? key, vars), [catalogues, lang]);
}

/** Message catalogues (Romanian first) and Europe/Bucharest dates for the whole console. */
export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => (localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'ro'));
  const setLang = useCallback((l: Lang) => {
    localStorage.setItem(STORAGE_KEY, l);
    document.documentElement.lang = l;
    setLangState(l);
  }, []);
  const value = useMemo<I18n>(() => {
    const locale = lang === 'ro' ? 'ro-RO' : 'en-GB';
    const dt = new Intl.DateTimeFormat(locale, { timeZone: 'Europe/Bucharest', dateStyle: 'short', timeStyle: 'short' });
    const d = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', dateStyle: 'medium' });
    return {
      lang,
      setLang,
      t: (key, vars) => fillMessage(CATALOGUES[lang][key] ?? key, vars),
      dateTime: (iso) => (iso ? dt.format(new Date(iso)) : '—'),
      date: (isoDate) => (isoDate ? d.format(new Date(`${isoDate}T12:00:00Z`)) : '—'),
    };
  }, [lang, setLang]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(Ctx);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}
