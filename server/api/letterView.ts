import { Op } from 'sequelize';
import { Letter, LetterPage, type Agent, type Attachment, type Message } from '../../db/models';
import { redactCnpText } from '../text/cnp';

/**
 * The original scan of a letter carries what redaction takes out of its text (a CNP, a signature): only
 * supervisors and administrators open it. Agents read the page images and the redacted text of the case.
 */
export function mayViewOriginalScan(agent: Pick<Agent, 'role'>): boolean {
  return agent.role === 'supervisor' || agent.role === 'admin';
}

/** True when an attachment is the scanned file of an inbound letter (the file the letter channel stored). */
export function isOriginalScan(message: Pick<Message, 'channel' | 'direction'>, _attachment: Attachment): boolean {
  return message.channel === 'letter' && message.direction === 'inbound';
}

/** A letter as its case's timeline shows it: where its reading is, and each page's text with CNPs redacted. */
export interface CaseLetterView {
  id: number;
  status: Letter['status'];
  pageCount: number;
  pagesDone: number;
  pages: { pageNo: number; status: 'done' | 'failed'; confidence: number; text: string }[];
}

/** The letters of a case's inbound letter messages, by message id, in two indexed queries. */
export async function lettersOfMessages(messages: Message[]): Promise<Map<number, CaseLetterView>> {
  const ids = messages.filter((m) => m.channel === 'letter' && m.direction === 'inbound').map((m) => m.id);
  const out = new Map<number, CaseLetterView>();
  if (!ids.length) return out;
  const letters = await Letter.findAll({ where: { messageId: { [Op.in]: ids } } });
  if (!letters.length) return out;
  const pages = await LetterPage.findAll({ where: { letterId: { [Op.in]: letters.map((l) => l.id) } }, order: [['letterId', 'ASC'], ['pageNo', 'ASC']] });
  for (const l of letters) {
    out.set(l.messageId!, {
      id: l.id,
      status: l.status,
      pageCount: l.pageCount,
      pagesDone: l.pagesDone,
      // Stored redacted already; redacted again here so nothing CNP-shaped can leave even from an older row.
      pages: pages
        .filter((p) => p.letterId === l.id)
        .map((p) => ({ pageNo: p.pageNo, status: p.status, confidence: Math.round(p.confidence), text: redactCnpText(p.text) })),
    });
  }
  return out;
}
