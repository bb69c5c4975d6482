import type { Language } from '../../channels/contract';

/** What the phone line says, Romanian first, English second (STYLE.md: text from catalogues). */
export const PROMPTS = {
  ro: {
    welcome: 'Bună ziua! Ați sunat la Primărie.',
    englishChoice: 'For English, press 9 or say English.',
    menuItem: (label: string, digit: string) => `Pentru ${label}, apăsați tasta ${digit} sau spuneți ${label}.`,
    repeat: 'Pentru a asculta din nou, apăsați steluța.',
    notUnderstood: 'Nu am înțeles alegerea dumneavoastră.',
    connectingOperator: 'Vă facem legătura cu un operator.',
    connecting: (label: string) => `Vă facem legătura cu ${label}. Vă rugăm să așteptați.`,
    closed:
      'Programul cu publicul s-a încheiat. Ne puteți suna de luni până joi între orele 8 și 16 și 30, iar vinerea între 8 și 14. ' +
      'După semnalul sonor, lăsați un mesaj cu numele, numărul de telefon și motivul apelului. Vă vom suna înapoi.',
    voicemailThanks: 'Mulțumim. Mesajul a fost înregistrat. La revedere!',
    noVoicemail: 'Nu am primit niciun mesaj. La revedere!',
    position: (n: number) => (n <= 1 ? 'Sunteți următorul la rând.' : `Sunteți al ${n}-lea la rând.`),
    expectedWait: (minutes: number) => (minutes <= 1 ? 'Timpul estimat de așteptare este sub un minut.' : `Timpul estimat de așteptare este de aproximativ ${minutes} minute.`),
    stillWaiting: 'Vă mulțumim pentru răbdare. Un operator vă va răspunde în curând.',
    bridging: 'Vă facem legătura acum.',
    agentUnavailable: 'Ne pare rău, operatorul nu a putut prelua apelul. Vă readucem în coadă.',
  },
  en: {
    welcome: 'Hello! You have reached the City Hall.',
    englishChoice: '',
    menuItem: (label: string, digit: string) => `For ${label}, press ${digit} or say ${label}.`,
    repeat: 'To hear this again, press star.',
    notUnderstood: 'Sorry, I did not understand your choice.',
    connectingOperator: 'We are connecting you to an operator.',
    connecting: (label: string) => `We are connecting you to ${label}. Please hold.`,
    closed:
      'The office is now closed. You can call us Monday to Thursday from 8 a.m. to 4:30 p.m. and on Friday from 8 a.m. to 2 p.m. ' +
      'After the tone, please leave a message with your name, your phone number and the reason for your call. We will call you back.',
    voicemailThanks: 'Thank you. Your message has been recorded. Goodbye!',
    noVoicemail: 'We did not receive a message. Goodbye!',
    position: (n: number) => (n <= 1 ? 'You are next in line.' : `You are number ${n} in line.`),
    expectedWait: (minutes: number) => (minutes <= 1 ? 'The expected wait is under a minute.' : `The expected wait is about ${minutes} minutes.`),
    stillWaiting: 'Thank you for your patience. An operator will answer shortly.',
    bridging: 'Connecting you now.',
    agentUnavailable: 'Sorry, the operator could not take the call. We are putting you back in the queue.',
  },
} as const satisfies Record<Language, unknown>;

/** Twilio's language codes for speech synthesis and recognition. */
export const VOICE_LANGUAGE = { ro: 'ro-RO', en: 'en-US' } as const satisfies Record<Language, string>;
