import { Op, QueryTypes } from 'sequelize';
import { Agent, AgentDepartment, Attachment, Citizen, Conversation, ConversationEvent, Department, Message, Offer } from '../../db/models';
import type { Database } from '../../db/connection';
import { toDate } from '../../db/rawSql';
import { capacityFor } from '../routing/load';
import { connectedAgents } from '../routing/connections';
import { loads } from '../routing/load';
import type {
  AgentPresenceView,
  ConversationSummaryView,
  MessageView,
  OfferView,
  QueueId,
  QueueStatsView,
  TimelineEventView,
} from './contract';

const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

/** The queue a case belongs to. */
export const queueOf = (departmentId: number | null | undefined): QueueId => departmentId ?? 'general';

/** A case as a list row (expects `citizen` loaded when there is one). */
export function presentConversationSummary(c: Conversation & { citizen?: Citizen | null }): ConversationSummaryView {
  return {
    id: c.id,
    registrationNumber: c.registrationNumber,
    registeredAt: iso(c.registeredAt)!,
    subject: c.subject,
    channel: c.channel,
    status: c.status,
    priority: c.priority,
    queueId: queueOf(c.departmentId),
    departmentId: c.departmentId ?? null,
    categoryId: c.categoryId ?? null,
    assigneeId: c.assigneeId ?? null,
    citizenId: c.citizenId ?? null,
    citizenName: c.citizen?.name ?? null,
    language: c.language,
    legalBasis: c.legalBasis,
    legalDueDate: c.legalDueDate,
    internalDueDate: c.internalDueDate,
    dueAt: iso(c.dueAt),
    slaState: c.slaState,
    lastMessageAt: iso(c.lastMessageAt),
    updatedAt: iso(c.updatedAt)!,
  };
}

/** Re-reads cases and presents them (missing ids are left out). */
export async function loadConversationSummaries(ids: number[]): Promise<Map<number, ConversationSummaryView>> {
  const out = new Map<number, ConversationSummaryView>();
  if (!ids.length) return out;
  const rows = await Conversation.findAll({ where: { id: { [Op.in]: [...new Set(ids)] } }, include: [{ model: Citizen, as: 'citizen', attributes: ['id', 'name'] }] });
  for (const c of rows) out.set(c.id, presentConversationSummary(c as Conversation & { citizen?: Citizen | null }));
  return out;
}

/** Re-reads offers and presents them with their case and a preview of the latest inbound message. */
export async function loadOfferViews(where: { ids?: number[]; agentId?: number; pendingOnly?: boolean }): Promise<OfferView[]> {
  const offers = await Offer.findAll({
    where: {
      ...(where.ids ? { id: { [Op.in]: where.ids } } : {}),
      ...(where.agentId !== undefined ? { agentId: where.agentId } : {}),
      ...(where.pendingOnly ? { state: 'pending' } : {}),
    },
    order: [['id', 'ASC']],
  });
  if (!offers.length) return [];
  const conversations = await loadConversationSummaries(offers.map((o) => o.conversationId));
  const previews = new Map<number, string>();
  for (const o of offers) {
    const m = await Message.findOne({ where: { conversationId: o.conversationId, direction: 'inbound' }, order: [['id', 'DESC']], attributes: ['text'] });
    if (m) previews.set(o.conversationId, m.text.replace(/\s+/g, ' ').trim().slice(0, 280));
  }
  const views: OfferView[] = [];
  for (const o of offers) {
    const conversation = conversations.get(o.conversationId);
    if (!conversation) continue;
    views.push({
      id: o.id,
      conversationId: o.conversationId,
      agentId: o.agentId,
      state: o.state,
      createdAt: iso(o.createdAt)!,
      expiresAt: iso(o.expiresAt)!,
      timeoutSeconds: Math.round((o.expiresAt.getTime() - o.createdAt.getTime()) / 1000),
      conversation,
      preview: previews.get(o.conversationId) ?? null,
    });
  }
  return views;
}

/** Channel metadata that may be shown in the console (no provider secrets, no raw headers). */
const SAFE_METADATA = ['duration', 'durationSeconds', 'recordingSid', 'recordingUrl', 'ocrConfidence', 'pages', 'kind', 'from', 'to', 'transcription'];

/** Re-reads messages (with attachment metadata) and presents them. */
export async function loadMessageViews(ids: number[]): Promise<MessageView[]> {
  if (!ids.length) return [];
  const rows = await Message.findAll({ where: { id: { [Op.in]: [...new Set(ids)] } }, order: [['id', 'ASC']], include: [{ model: Attachment, as: 'attachments' }] });
  return rows.map((m) => {
    const metadata: Record<string, unknown> = {};
    for (const k of SAFE_METADATA) if (m.metadata && k in m.metadata) metadata[k] = m.metadata[k];
    const attachments = ((m as Message & { attachments?: Attachment[] }).attachments ?? []).map((a) => ({
      id: a.id,
      filename: a.filename,
      contentType: a.contentType,
      size: Number(a.size),
      inline: a.inline,
    }));
    return {
      id: m.id,
      conversationId: m.conversationId,
      direction: m.direction,
      channel: m.channel,
      subject: m.subject,
      text: m.text,
      html: m.html,
      agentId: m.agentId ?? null,
      citizenId: m.citizenId ?? null,
      automatic: m.automatic,
      deliveryStatus: m.deliveryStatus,
      deliveryError: m.deliveryError,
      metadata,
      attachments,
      receivedAt: iso(m.receivedAt)!,
    };
  });
}

/** A timeline row. */
export function presentEvent(e: ConversationEvent): TimelineEventView {
  return {
    id: e.id,
    conversationId: e.conversationId,
    type: e.type,
    actorType: e.actorType,
    actorId: e.actorId,
    data: e.data,
    public: e.public,
    createdAt: iso(e.createdAt)!,
  };
}

/** Presence, connection and load of agents. */
export async function loadPresenceViews(agentIds?: number[]): Promise<AgentPresenceView[]> {
  const agents = await Agent.findAll({ where: { active: true, ...(agentIds ? { id: { [Op.in]: agentIds } } : {}) }, order: [['id', 'ASC']] });
  const ids = agents.map((a) => a.id);
  const [load, connected, pending] = await Promise.all([
    loads(ids),
    connectedAgents(ids),
    Offer.findAll({ where: { agentId: { [Op.in]: ids.length ? ids : [-1] }, state: 'pending' }, attributes: ['agentId'] }),
  ]);
  const pendingBy = new Map<number, number>();
  for (const o of pending) pendingBy.set(o.agentId, (pendingBy.get(o.agentId) ?? 0) + 1);
  return agents.map((a) => {
    const mine = load.get(a.id);
    const capacity: AgentPresenceView['capacity'] = {};
    for (const ch of ['voice', 'sms', 'email', 'portal', 'letter', 'api'] as const) capacity[ch] = capacityFor(a.capacity, ch);
    // The load counts pending offers as reservations; shown apart here.
    const loadView: AgentPresenceView['load'] = {};
    if (mine) for (const [ch, n] of mine) loadView[ch] = n;
    return {
      agentId: a.id,
      name: a.name,
      role: a.role,
      presence: a.presence,
      presenceChangedAt: iso(a.presenceChangedAt),
      connected: connected.has(a.id),
      load: loadView,
      capacity,
      pendingOffers: pendingBy.get(a.id) ?? 0,
    };
  });
}

/** Live counts of queues (all of them when `departmentIds` is omitted). */
export async function loadQueueStats(db: Database, departmentIds?: (number | null)[]): Promise<QueueStatsView[]> {
  const rows = await db.sequelize.query<{ departmentId: number | null; state: string; n: number | string; oldest: Date | string | null; due: Date | string | null }>(
    `SELECT departmentId, state, COUNT(*) AS n, MIN(enqueuedAt) AS oldest, MIN(dueAt) AS due
       FROM queue_entries WHERE state IN ('waiting', 'offered') GROUP BY departmentId, state`,
    { type: QueryTypes.SELECT },
  );
  const departments = await Department.findAll({ where: { active: true }, attributes: ['id'] });
  const wanted: (number | null)[] = departmentIds ?? [null, ...departments.map((d) => d.id)];
  const available = await Agent.findAll({
    where: { active: true, presence: 'available', [Op.and]: [db.sequelize.literal('disconnectedAt IS NULL')] },
    attributes: ['id', 'allDepartments'],
  });
  const all = available.filter((a) => a.allDepartments).length;
  const members = await AgentDepartment.findAll({ where: { agentId: { [Op.in]: available.filter((a) => !a.allDepartments).map((a) => a.id).concat(-1) } } });
  return [...new Set(wanted)].map((departmentId) => {
    const mine = rows.filter((r) => (r.departmentId === null ? null : Number(r.departmentId)) === departmentId);
    const waiting = mine.find((r) => r.state === 'waiting');
    const offered = mine.find((r) => r.state === 'offered');
    const oldest = [waiting?.oldest, offered?.oldest].map((v) => toDate(v ?? null)).filter((d): d is Date => !!d).sort((a, b) => +a - +b)[0] ?? null;
    return {
      queueId: queueOf(departmentId),
      departmentId,
      waiting: Number(waiting?.n ?? 0),
      offered: Number(offered?.n ?? 0),
      oldestWaitingSince: iso(oldest),
      nextDueAt: iso(toDate(waiting?.due ?? null)),
      agentsAvailable: all + (departmentId === null ? 0 : members.filter((m) => m.departmentId === departmentId).length),
    };
  });
}

