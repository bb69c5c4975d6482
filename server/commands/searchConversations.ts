import { Op, type WhereOptions } from 'sequelize';
import { Citizen, CitizenIdentity, Conversation, Message } from '../../db/models';
import { scopeWhere } from '../auth/visibility';
import { normaliseEmail, normalisePhone } from '../ingest/identity';
import type { Actor } from './actor';

export type MatchKind = 'registration_number' | 'phone' | 'email' | 'name' | 'subject' | 'text';

export interface SearchHit {
  conversation: Conversation;
  matchedBy: MatchKind[];
}

const MAX_IDS = 200;

/** `%q%` for LIKE with the wildcards in q escaped (backslash is the default escape on both dialects). */
function contains(q: string): string {
  return `%${q.replace(/[\\%_]/g, (x) => '\\' + x)}%`;
}

/**
 * Finds cases by registration number (`123/2026`, or just `123`), the citizen's phone (any way it is written:
 * normalised to E.164), email, name, or words in the subject or a message. Only cases the actor may see;
 * newest first.
 */
export async function searchConversations(actor: Actor, rawQuery: string, limit = 50): Promise<SearchHit[]> {
  const q = rawQuery.trim().replace(/\s+/g, ' ');
  const matched = new Map<number, Set<MatchKind>>();
  const add = (ids: number[], kind: MatchKind) => {
    for (const id of ids) {
      if (!matched.has(id)) matched.set(id, new Set());
      matched.get(id)!.add(kind);
    }
  };
  const casesOfCitizens = async (citizenIds: number[]) =>
    citizenIds.length ? (await Conversation.findAll({ where: { citizenId: { [Op.in]: citizenIds } }, attributes: ['id'], order: [['id', 'DESC']], limit: MAX_IDS })).map((c) => c.id) : [];

  const reg = /^(?:nr\.?\s*)?(\d{1,9})(?:\s*\/\s*(\d{4}))?$/i.exec(q);
  if (reg) {
    const where = reg[2] ? { registrationNumber: `${Number(reg[1])}/${reg[2]}` } : { registrationSeq: Number(reg[1]) };
    add((await Conversation.findAll({ where, attributes: ['id'], limit: MAX_IDS })).map((c) => c.id), 'registration_number');
  }

  const digits = q.replace(/\D/g, '');
  if (/^[+\d\s().\/-]+$/.test(q) && digits.length >= 6) {
    let phone: string | null = null;
    try {
      phone = normalisePhone(q, 'q');
    } catch {
      phone = null;
    }
    const where: WhereOptions<CitizenIdentity> = phone
      ? { kind: 'phone', [Op.or]: [{ value: phone }, { value: { [Op.like]: contains(digits) } }] }
      : { kind: 'phone', value: { [Op.like]: contains(digits) } };
    const ids = await CitizenIdentity.findAll({ where, attributes: ['citizenId'], limit: MAX_IDS });
    add(await casesOfCitizens(ids.map((i) => i.citizenId)), 'phone');
  }

  if (q.includes('@')) {
    const email = normaliseEmail(q);
    const ids = await CitizenIdentity.findAll({ where: { kind: 'email', value: { [Op.like]: contains(email) } }, attributes: ['citizenId'], limit: MAX_IDS });
    add(await casesOfCitizens(ids.map((i) => i.citizenId)), 'email');
  }

  if (q.length >= 3 && !reg?.[2]) {
    const like = contains(q);
    const citizens = await Citizen.findAll({ where: { name: { [Op.like]: like } }, attributes: ['id'], limit: MAX_IDS });
    add(await casesOfCitizens(citizens.map((c) => c.id)), 'name');
    add((await Conversation.findAll({ where: { subject: { [Op.like]: like } }, attributes: ['id'], order: [['id', 'DESC']], limit: MAX_IDS })).map((c) => c.id), 'subject');
    const messages = await Message.findAll({ where: { text: { [Op.like]: like } }, attributes: ['conversationId'], order: [['id', 'DESC']], limit: MAX_IDS });
    add(messages.map((m) => m.conversationId), 'text');
  }

  if (!matched.size) return [];
  const where: WhereOptions<Conversation>[] = [{ id: { [Op.in]: [...matched.keys()] } }];
  const scope = scopeWhere(actor.scope);
  if (scope) where.push(scope);
  const rows = await Conversation.findAll({
    where: { [Op.and]: where },
    include: [
      { association: 'citizen', attributes: ['id', 'name'] },
      { association: 'category' },
      { association: 'department' },
      { association: 'assignee', attributes: ['id', 'name', 'role'] },
    ],
    order: [['id', 'DESC']],
    limit,
  });
  // The strongest match first: a number or an identity before words in a text.
  const rank = (kinds: Set<MatchKind>) => Math.min(...[...kinds].map((k) => ['registration_number', 'phone', 'email', 'name', 'subject', 'text'].indexOf(k)));
  return rows
    .map((conversation) => ({ conversation, matchedBy: [...matched.get(conversation.id)!] }))
    .sort((a, b) => rank(new Set(a.matchedBy)) - rank(new Set(b.matchedBy)) || b.conversation.id - a.conversation.id);
}
