import { Op, type WhereOptions } from 'sequelize';
import { Conversation, Message } from '../../db/models';
import type { ConversationStatus } from '../../db/models/Conversation';
import { canSee, scopeWhere } from '../auth/visibility';
import { notFound } from '../errors';
import type { Actor } from './actor';

/** Why a case is suggested as a duplicate of another. */
export type DuplicateReason =
  | { kind: 'same_citizen' }
  | { kind: 'similar_text'; score: number; words: string[]; sameCategory: boolean; sameDepartment: boolean }
  | { kind: 'nearby'; meters: number };

export interface DuplicateSuggestion {
  conversation: Conversation;
  reasons: DuplicateReason[];
}

/** Only cases still waiting for an answer can be joined (joinConversations refuses the rest). */
const JOINABLE: ConversationStatus[] = ['new', 'open', 'pending_citizen', 'pending_department'];

/** How far apart two registrations may be for similar text to count ("the last 30 days" of a new case). */
export const SIMILAR_WINDOW_DAYS = 30;
/** Two location-based reports this close are probably the same pothole or lamp. */
export const NEARBY_METERS = 50;
/** The least word overlap (Jaccard over word stems) that counts as similar, with at least two shared stems. */
export const MIN_SIMILARITY = 0.2;

/** Candidates read per query; every query is a range on an index, newest first, and stops here. */
const CANDIDATES = 200;
/** Suggestions answered at most. */
const MAX_SUGGESTIONS = 25;
/** Characters of a case's first message compared (the text a citizen wrote first says what it is about). */
const TEXT_CHARS = 2000;

const DAY_MS = 86_400_000;
const EARTH_RADIUS_M = 6_371_000;

/** Words that say nothing about what a case is about (greetings, pronouns, prepositions), without diacritics. */
const STOPWORDS = new Set(
  (
    'buna ziua seara dimineata stimate stimata domnule doamna doamnelor domnilor va vă rog rugam multumesc multumim cu respect salut ' +
    'si sau dar ca care cand unde cum este sunt era fost fi fie are avem aveti au am ai nu da mai foarte tot toti toate acest aceasta ' +
    'acesta acestei acestui aceste acel acea cel cea cei cele din de la pe in cu pentru prin spre sub fara dupa inainte langa catre ' +
    'un una unei unui niste al ale alei lui lor ei ea el eu noi voi le li se sa isi imi iti ne ve ma te il o nr str strada numarul ' +
    'the and for with this that from have has are was were you your please thank thanks dear hello regarding ' +
    // Words every case of a channel or kind carries (a scanned letter's provisional subject, "sesizare").
    'scrisoare scanata scan pdf png jpg jpeg tif tiff sesizare sesizarea petitie petitia cerere cererea reclamatie'
  ).split(' '),
);

/** Lower case without diacritics (ș/ş, ț/ţ, ă, â, î all fold to their base letter). */
function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * The stems of the meaningful words of a text, each mapped to the first way it was written. Words are folded,
 * stop words dropped, and cut to six letters so Romanian inflections meet ("iluminatul" and "iluminat",
 * "gropile" and "gropi").
 */
export function wordStems(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const word of text.match(/[\p{L}\p{N}]+/gu) ?? []) {
    const folded = fold(word);
    if (folded.length < 3 || STOPWORDS.has(folded) || /^\d+$/.test(folded)) continue;
    const stem = folded.slice(0, 6);
    if (!out.has(stem)) out.set(stem, word.toLowerCase());
  }
  return out;
}

/** Jaccard similarity of two stem sets, with the shared words as the target wrote them. */
export function similarity(a: Map<string, string>, b: Map<string, string>): { score: number; words: string[] } {
  if (!a.size || !b.size) return { score: 0, words: [] };
  const shared = [...a.keys()].filter((k) => b.has(k));
  return { score: shared.length / (a.size + b.size - shared.length), words: shared.map((k) => a.get(k)!) };
}

/** Great-circle distance in metres. */
export function distanceMeters(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLng = (lng2 - lng1) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Subject plus the beginning of the first inbound message of each case, in two indexed queries. */
async function caseTexts(conversations: Conversation[]): Promise<Map<number, string>> {
  const out = new Map(conversations.map((c) => [c.id, c.subject ?? '']));
  if (!conversations.length) return out;
  const firsts = (await Message.findAll({
    where: { conversationId: { [Op.in]: conversations.map((c) => c.id) }, direction: 'inbound' },
    attributes: ['conversationId', [Message.sequelize!.fn('MIN', Message.sequelize!.col('id')), 'firstId']],
    group: ['conversationId'],
    raw: true,
  })) as unknown as { conversationId: number; firstId: number }[];
  if (!firsts.length) return out;
  const rows = (await Message.findAll({
    where: { id: { [Op.in]: firsts.map((f) => f.firstId) } },
    attributes: ['conversationId', [Message.sequelize!.fn('SUBSTR', Message.sequelize!.col('text'), 1, TEXT_CHARS), 'head']],
    raw: true,
  })) as unknown as { conversationId: number; head: string | null }[];
  for (const r of rows) out.set(r.conversationId, `${out.get(r.conversationId) ?? ''}\n${r.head ?? ''}`);
  return out;
}

/**
 * Cases that may be duplicates of one case, for the agent to join into it: open cases of the same citizen on
 * any channel; cases with a similar subject or text in the same category or department registered within 30
 * days of it; cases within 50 m of its location. Only cases still waiting for an answer, only cases the actor
 * may see (the scope is part of every query), each with why it is suggested; strongest first.
 */
export async function findDuplicates(actor: Actor, conversationId: number): Promise<{ conversation: Conversation; suggestions: DuplicateSuggestion[] }> {
  const target = await Conversation.findByPk(conversationId);
  if (!target || !canSee(actor.scope, target)) throw notFound('The case');

  const scope = scopeWhere(actor.scope);
  const base = (extra: WhereOptions<Conversation>): WhereOptions<Conversation> => ({
    [Op.and]: [{ id: { [Op.ne]: target.id } }, { status: { [Op.in]: JOINABLE } }, extra, ...(scope ? [scope] : [])],
  });
  const reasons = new Map<number, DuplicateReason[]>();
  const rows = new Map<number, Conversation>();
  const add = (c: Conversation, reason: DuplicateReason) => {
    rows.set(c.id, c);
    reasons.set(c.id, [...(reasons.get(c.id) ?? []), reason]);
  };

  if (target.citizenId !== null) {
    const same = await Conversation.findAll({ where: base({ citizenId: target.citizenId }), order: [['id', 'DESC']], limit: CANDIDATES });
    for (const c of same) add(c, { kind: 'same_citizen' });
  }

  const from = new Date(target.registeredAt.getTime() - SIMILAR_WINDOW_DAYS * DAY_MS);
  const to = new Date(target.registeredAt.getTime() + SIMILAR_WINDOW_DAYS * DAY_MS);
  const near: Conversation[] = [];
  // One query per column, so each is a range on its own (column, registeredAt) index rather than an OR of both.
  for (const column of ['categoryId', 'departmentId'] as const) {
    if (target[column] === null) continue;
    near.push(
      ...(await Conversation.findAll({
        where: base({ [column]: target[column], registeredAt: { [Op.between]: [from, to] } }),
        order: [['registeredAt', 'DESC']],
        limit: CANDIDATES,
      })),
    );
  }
  if (near.length) {
    const unique = [...new Map(near.map((c) => [c.id, c])).values()];
    const texts = await caseTexts([target, ...unique]);
    const mine = wordStems(texts.get(target.id) ?? '');
    for (const c of unique) {
      const { score, words } = similarity(mine, wordStems(texts.get(c.id) ?? ''));
      if (score < MIN_SIMILARITY || words.length < 2) continue;
      add(c, {
        kind: 'similar_text',
        score: Math.round(score * 100) / 100,
        words: words.slice(0, 6),
        sameCategory: target.categoryId !== null && c.categoryId === target.categoryId,
        sameDepartment: target.departmentId !== null && c.departmentId === target.departmentId,
      });
    }
  }

  if (target.locationLat !== null && target.locationLng !== null) {
    const lat = target.locationLat;
    const lng = target.locationLng;
    const dLat = (NEARBY_METERS / EARTH_RADIUS_M) * (180 / Math.PI);
    const dLng = dLat / Math.max(0.01, Math.cos((lat * Math.PI) / 180));
    // A box on the (lat, lng) index first, then the exact distance.
    const boxed = await Conversation.findAll({
      where: base({ locationLat: { [Op.between]: [lat - dLat, lat + dLat] }, locationLng: { [Op.between]: [lng - dLng, lng + dLng] } }),
      order: [['id', 'DESC']],
      limit: CANDIDATES,
    });
    for (const c of boxed) {
      const meters = distanceMeters(lat, lng, c.locationLat!, c.locationLng!);
      if (meters <= NEARBY_METERS) add(c, { kind: 'nearby', meters: Math.round(meters) });
    }
  }

  const strength = (rs: DuplicateReason[]) =>
    rs.reduce((s, r) => s + (r.kind === 'same_citizen' ? 3 : r.kind === 'nearby' ? 2 + (NEARBY_METERS - r.meters) / NEARBY_METERS : 1 + r.score), 0);
  const ranked = [...rows.values()]
    .map((conversation) => ({ conversation, reasons: reasons.get(conversation.id)! }))
    .sort((a, b) => strength(b.reasons) - strength(a.reasons) || b.conversation.id - a.conversation.id)
    .slice(0, MAX_SUGGESTIONS);
  if (ranked.length) {
    // The references the list shows (category, department, assignee, citizen), loaded once for the page.
    const full = await Conversation.findAll({
      where: { id: { [Op.in]: ranked.map((r) => r.conversation.id) } },
      include: [
        { association: 'citizen', attributes: ['id', 'name'] },
        { association: 'category' },
        { association: 'department' },
        { association: 'assignee', attributes: ['id', 'name', 'role'] },
      ],
    });
    const byId = new Map(full.map((c) => [c.id, c]));
    for (const r of ranked) r.conversation = byId.get(r.conversation.id) ?? r.conversation;
  }
  return { conversation: target, suggestions: ranked };
}
