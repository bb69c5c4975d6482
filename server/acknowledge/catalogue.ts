import type { ChannelKind, Language, LegalBasis } from '../../channels/contract';

/** What an acknowledgement says; every value already formatted for the reader. */
export interface AcknowledgementFacts {
  registrationNumber: string;
  /** The registration date, dd.mm.yyyy (Europe/Bucharest). */
  registeredOn: string;
  /** The legal answer deadline, dd.mm.yyyy, when the case has a legal term. */
  legalDueDate: string | null;
  legalBasis: LegalBasis;
  trackingUrl: string | null;
  citizenName: string | null;
  institution: string;
}

const LAW: Record<Language, Record<Exclude<LegalBasis, 'none'>, string>> = {
  ro: {
    petition: 'O.G. nr. 27/2002 privind reglementarea activității de soluționare a petițiilor',
    public_information: 'Legea nr. 544/2001 privind liberul acces la informațiile de interes public',
  },
  en: {
    petition: 'Government Ordinance 27/2002 on petitions',
    public_information: 'Law 544/2001 on free access to public information',
  },
};

type Catalogue = {
  subject(f: AcknowledgementFacts): string;
  body(f: AcknowledgementFacts): string;
  sms(f: AcknowledgementFacts): string;
};

/** The acknowledgement in each language (Romanian first); text only from here, never built elsewhere. */
export const ACKNOWLEDGEMENT: Record<Language, Catalogue> = {
  ro: {
    subject: (f) => `Solicitarea dumneavoastră a fost înregistrată cu nr. ${f.registrationNumber}`,
    body: (f) =>
      [
        f.citizenName ? `Bună ziua, ${f.citizenName},` : 'Bună ziua,',
        '',
        `Vă confirmăm că am primit solicitarea dumneavoastră și am înregistrat-o cu numărul ${f.registrationNumber} din data de ${f.registeredOn}.`,
        ...(f.legalDueDate && f.legalBasis !== 'none'
          ? [`Termenul legal de răspuns este ${f.legalDueDate}, conform ${LAW.ro[f.legalBasis]}.`]
          : []),
        ...(f.trackingUrl ? ['', `Puteți urmări stadiul solicitării aici: ${f.trackingUrl}`, 'Păstrați acest link: este personal și nu trebuie transmis altor persoane.'] : []),
        '',
        `Dacă doriți să adăugați informații, răspundeți la acest mesaj și păstrați numărul [#${f.registrationNumber}] în subiect.`,
        '',
        'Acesta este un mesaj trimis automat.',
        '',
        'Cu stimă,',
        f.institution,
      ].join('\n'),
    sms: (f) =>
      `${f.institution}: solicitarea dvs. a fost înregistrată cu nr. ${f.registrationNumber}.${f.legalDueDate ? ` Termen de răspuns: ${f.legalDueDate}.` : ''}${f.trackingUrl ? ` Stadiu: ${f.trackingUrl}` : ''}`,
  },
  en: {
    subject: (f) => `Your request has been registered under no. ${f.registrationNumber}`,
    body: (f) =>
      [
        f.citizenName ? `Hello ${f.citizenName},` : 'Hello,',
        '',
        `We confirm that we received your request and registered it under number ${f.registrationNumber} on ${f.registeredOn}.`,
        ...(f.legalDueDate && f.legalBasis !== 'none' ? [`The legal deadline for our answer is ${f.legalDueDate}, under ${LAW.en[f.legalBasis]}.`] : []),
        ...(f.trackingUrl ? ['', `You can follow your request here: ${f.trackingUrl}`, 'Keep this link private: it opens your case.'] : []),
        '',
        `To add information, reply to this message and keep [#${f.registrationNumber}] in the subject.`,
        '',
        'This message was sent automatically.',
        '',
        'Kind regards,',
        f.institution,
      ].join('\n'),
    sms: (f) =>
      `${f.institution}: your request is registered under no. ${f.registrationNumber}.${f.legalDueDate ? ` Answer due by ${f.legalDueDate}.` : ''}${f.trackingUrl ? ` Track: ${f.trackingUrl}` : ''}`,
  },
};

/** Channels whose messages are short text (no subject, one paragraph). */
export const SHORT_CHANNELS: ChannelKind[] = ['sms'];

/** `2026-11-24` → `24.11.2026`, the way Romanian documents write dates (English readers get the same). */
export function formatDate(isoDate: string): string {
  const [y, m, d] = isoDate.split('-');
  return `${d}.${m}.${y}`;
}
