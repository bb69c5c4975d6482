import type { ChannelKind, Language } from '../../channels/contract';
import type { ConversationStatus, Resolution } from '../../db/models/Conversation';
import { messages } from '../portal/messages';

/** Status changes worth a message to the citizen; routine moves (new → open, to a department) are not. */
export const NOTIFIED_STATUSES: readonly ConversationStatus[] = ['pending_citizen', 'resolved', 'closed', 'filed_away', 'joined'];

const INTRO: Record<Language, { subject: (n: string) => string; body: (n: string, status: string) => string; needInfo: string; track: string; link: (url: string) => string }> = {
  ro: {
    subject: (n) => `[#${n}] Stare nouă a cererii dumneavoastră`,
    body: (n, status) => `Cererea dumneavoastră nr. ${n} are o stare nouă: ${status}.`,
    needInfo: 'Avem nevoie de informații suplimentare: răspundeți la acest mesaj sau folosiți pagina de urmărire.',
    track: 'Istoricul complet este pe pagina de urmărire, la linkul primit la înregistrare.',
    link: (url) => `Urmăriți cererea aici: ${url}`,
  },
  en: {
    subject: (n) => `[#${n}] Your request has a new status`,
    body: (n, status) => `Your request no. ${n} has a new status: ${status}.`,
    needInfo: 'We need more information: reply to this message or use the tracking page.',
    track: 'The full history is on the tracking page, at the link you received when you registered.',
    link: (url) => `Follow your request here: ${url}`,
  },
};

/** The text of a status notification, in the case's language; short enough for one or two SMS segments. */
export function statusNotificationText(language: Language, channel: ChannelKind, registrationNumber: string, status: ConversationStatus, resolution: Resolution | null, trackingUrl: string | null = null): { subject: string; text: string } {
  const t = messages(language);
  const i = INTRO[language];
  const label = `${t.statuses[status]}${resolution ? ` (${t.resolutions[resolution].toLowerCase()})` : ''}`;
  const lines = [i.body(registrationNumber, label)];
  if (status === 'pending_citizen') lines.push(i.needInfo);
  if (trackingUrl) lines.push(i.link(trackingUrl));
  else if (channel !== 'sms') lines.push(i.track);
  return { subject: i.subject(registrationNumber), text: lines.join('\n\n') };
}
