import { Op, QueryTypes, type WhereOptions } from 'sequelize';
import { Category, Citizen, Conversation, Department, Message } from '../../db/models';
import { OPEN_STATUSES, type ConversationStatus } from '../../db/models/Conversation';

/** Statuses shown publicly as closed (Open311 `closed`); spam is never shown at all. */
export const CLOSED_STATUSES: readonly ConversationStatus[] = ['resolved', 'closed', 'joined', 'filed_away'];

export type PublicStatus = 'open' | 'closed';

/** Open311's two states from a case's status. */
export function publicStatus(status: ConversationStatus): PublicStatus {
  return OPEN_STATUSES.includes(status) ? 'open' : 'closed';
}

/** The public id of a case: `year-seq` (a registration number's `/` cannot travel in a URL path). */
export function serviceRequestId(c: Pick<Conversation, 'registrationYear' | 'registrationSeq'>): string {
  return `${c.registrationYear}-${c.registrationSeq}`;
}

/** Parses a public id back to year and sequence; null when it is not one. */
export function parseServiceRequestId(id: string): { year: number; seq: number } | null {
  const m = /^(\d{4})-(\d{1,9})$/.exec(id.trim());
  return m ? { year: Number(m[1]), seq: Number(m[2]) } : null;
}

export interface PublicRequestFilter {
  ids?: { year: number; seq: number }[];
  categoryIds?: number[];
  status?: PublicStatus;
  from?: Date;
  to?: Date;
  limit: number;
}

/** A case as any public page or API may show it: no citizen, no agent, no contact data. */
export interface PublicRequest {
  conversation: Conversation;
  category: Category;
  department: Department | null;
  description: string;
  /** Where the problem is, as the citizen wrote it (the case's address, or the address-only report's). */
  address: string | null;
}

/**
 * The cases the public may see: those in location-based (operational) categories, never spam. Petitions
 * and requests in other categories stay private even without names: their subject is often personal.
 */
export async function findPublicRequests(filter: PublicRequestFilter): Promise<PublicRequest[]> {
  const categories = await Category.findAll({ where: { locationBased: true } });
  const allowed = new Map(categories.map((c) => [c.id, c]));
  const categoryIds = (filter.categoryIds ?? [...allowed.keys()]).filter((id) => allowed.has(id));
  if (!categoryIds.length) return [];
  const where: WhereOptions<Conversation>[] = [{ categoryId: { [Op.in]: categoryIds } }, { status: { [Op.ne]: 'spam' } }];
  if (filter.ids) where.push({ [Op.or]: filter.ids.map((i) => ({ registrationYear: i.year, registrationSeq: i.seq })) });
  if (filter.status) where.push({ status: { [Op.in]: filter.status === 'open' ? [...OPEN_STATUSES] : [...CLOSED_STATUSES] } });
  if (filter.from) where.push({ registeredAt: { [Op.gte]: filter.from } });
  if (filter.to) where.push({ registeredAt: { [Op.lte]: filter.to } });
  const rows = await Conversation.findAll({ where: { [Op.and]: where }, order: [['registeredAt', 'DESC'], ['id', 'DESC']], limit: filter.limit });
  if (!rows.length) return [];

  const departments = new Map((await Department.findAll({ where: { id: { [Op.in]: [...new Set(rows.map((r) => r.departmentId).filter((d): d is number => d !== null))] } } })).map((d) => [d.id, d]));
  const citizenNames = new Map(
    (await Citizen.findAll({ where: { id: { [Op.in]: [...new Set(rows.map((r) => r.citizenId).filter((d): d is number => d !== null))] } }, attributes: ['id', 'name'] })).map((c) => [c.id, c.name]),
  );
  // The description is the first inbound message of the case.
  const firsts = await Message.findAll({
    where: { conversationId: { [Op.in]: rows.map((r) => r.id) }, direction: 'inbound' },
    attributes: ['id', 'conversationId', 'text', 'metadata'],
    order: [['id', 'ASC']],
  });
  const firstOf = new Map<number, Message>();
  for (const m of firsts) if (!firstOf.has(m.conversationId)) firstOf.set(m.conversationId, m);

  return rows.map((c) => ({
    conversation: c,
    category: allowed.get(c.categoryId!)!,
    department: c.departmentId ? departments.get(c.departmentId) ?? null : null,
    description: redactPersonalData(firstOf.get(c.id)?.text ?? '', c.citizenId ? citizenNames.get(c.citizenId) ?? null : null),
    address: c.address ?? (typeof firstOf.get(c.id)?.metadata.address === 'string' ? String(firstOf.get(c.id)!.metadata.address) : null),
  }));
}

/**
 * Removes what identifies a person from a description before it is published: email addresses, phone
 * numbers, CNP-like digit runs (DOMAIN.md §3.1: every date-plausible candidate, checksum or not), and the
 * sender's own name and its parts.
 */
export function redactPersonalData(text: string, citizenName: string | null): string {
  let out = text
    .replace(/[^\s@<>()]+@[^\s@<>()]+\.[a-z]{2,}/gi, '[…]')
    .replace(/(?<!\d)[1-9](?:[\s-]?\d){12}(?!\d)/g, '[…]')
    .replace(/(?<![\w])(?:\+?40|0)[\s.-]?[237](?:[\s.-]?\d){8}(?!\d)/g, '[…]');
  if (citizenName) {
    for (const part of citizenName.split(/\s+/).filter((p) => p.length >= 3)) {
      out = out.replace(new RegExp(`(?<![\\p{L}])${part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}])`, 'giu'), '[…]');
    }
  }
  return out.trim().slice(0, 4000);
}

/**
 * How many public cases each location-based category has, open and closed, since `from` — counted in the
 * database, so the map's numbers stay right however many cases there are (the list itself is capped).
 */
export async function countPublicRequests(from: Date, categoryIds?: number[]): Promise<Map<number, { open: number; closed: number }>> {
  const categories = await Category.findAll({ where: { locationBased: true }, attributes: ['id'] });
  const ids = categories.map((c) => c.id).filter((id) => !categoryIds || categoryIds.includes(id));
  const out = new Map<number, { open: number; closed: number }>(ids.map((id) => [id, { open: 0, closed: 0 }]));
  if (!ids.length) return out;
  const rows = await Conversation.sequelize!.query<{ categoryId: number; status: ConversationStatus; n: number }>(
    'SELECT categoryId, status, COUNT(*) AS n FROM conversations WHERE categoryId IN (:ids) AND status <> :spam AND registeredAt >= :from GROUP BY categoryId, status',
    { replacements: { ids, spam: 'spam', from }, type: QueryTypes.SELECT },
  );
  for (const r of rows) {
    const entry = out.get(Number(r.categoryId));
    if (entry) entry[publicStatus(r.status)] += Number(r.n);
  }
  return out;
}
