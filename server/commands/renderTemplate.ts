import type { Language } from '../../channels/contract';

/** The variables a canned response may use, filled on the server from the case. */
export const TEMPLATE_VARIABLES = ['name', 'registrationNumber', 'registeredDate', 'legalDueDate', 'category', 'department', 'agentName'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
export type TemplateValues = Record<TemplateVariable, string | null>;

const VARIABLE = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g;

/** The unknown variable names in a template (empty when every one is known). */
export function unknownVariables(body: string): string[] {
  const names = [...body.matchAll(VARIABLE)].map((m) => m[1]!);
  return [...new Set(names.filter((n) => !(TEMPLATE_VARIABLES as readonly string[]).includes(n)))];
}

/** What a missing value reads as, so an answer never goes out with a hole or a literal `{{name}}`. */
const FALLBACK: Record<Language, Record<TemplateVariable, string>> = {
  ro: { name: 'doamnă/domnule', registrationNumber: '', registeredDate: '', legalDueDate: 'termenul legal', category: '', department: 'departamentul de specialitate', agentName: '' },
  en: { name: 'Sir or Madam', registrationNumber: '', registeredDate: '', legalDueDate: 'the legal deadline', category: '', department: 'the competent department', agentName: '' },
};

/** Fills `{{variable}}` placeholders; unknown ones are left as typed (creation refuses them anyway). */
export function renderTemplate(body: string, values: TemplateValues, language: Language): string {
  return body.replace(VARIABLE, (whole, name: string) => {
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(name)) return whole;
    const v = values[name as TemplateVariable];
    return v === null || v === '' ? FALLBACK[language][name as TemplateVariable] : v;
  });
}

/** A calendar date (YYYY-MM-DD) as the reader writes it: 14.04.2026 in Romanian, 14 April 2026 in English. */
export function formatDate(isoDate: string | null, language: Language): string | null {
  if (!isoDate) return null;
  const [y, m, d] = isoDate.split('-').map(Number);
  const date = new Date(Date.UTC(y!, m! - 1, d!, 12));
  return new Intl.DateTimeFormat(language === 'ro' ? 'ro-RO' : 'en-GB', { timeZone: 'UTC', day: '2-digit', month: language === 'ro' ? '2-digit' : 'long', year: 'numeric' }).format(date);
}
