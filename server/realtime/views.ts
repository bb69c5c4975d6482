import { Conversation, type ConversationEvent } from '../../db/models';
import { DEFAULT_CAPACITY, type ChannelCapacity } from '../../db/models/Agent';
import { parseJson } from '../../db/models/json';
import type { Database } from '../../db/connection';
import { databaseOf, placeholders, toDate, withRawSql, type RawSql, type SqlValue } from '../../db/rawSql';
import { connectedAgents } from '../routing/connections';
import { capacityFor, loads } from '../routing/load';
import type {
  AgentPresenceView,
  ConversationSummaryView,
  MessageView,
  OfferView,
  QueueId,
  QueueStatsView,
  TimelineEventView,
} from './contract';

/*
 * The realtime layer re-reads rows for every push, so these loaders run plain SQL on a pooled connection (the
 * ORM's model building costs more CPU than the statements) and turn the drivers' values into what the models
 * would have given: Dates from either driver's DATETIME form, booleans from 0/1, JSON columns parsed as their
 * getters do, BIGINTs as numbers.
 */

const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

/** A DATEONLY as the models read it: 'YYYY-MM-DD'. */
const day = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString().slice(0, 10) : String(v));

/** A BOOLEAN column (0/1 from both drivers). */
const flag = (v: unknown): boolean => (typeof v === 'boolean' ? v : Number(v) === 1);

/** A nullable integer column (BIGINT and COUNT may come as strings from mysql2). */
const intOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** The database the models are registered on (the loaders are called without one). */
const modelDatabase = (): Database => databaseOf(Conversation.sequelize!);

/** The queue a case belongs to. */
export const queueOf = (departmentId: number | null | undefined): QueueId => departmentId ?? 'general';

/** The columns of a summary, from `conversations c` and CITIZEN_JOIN. */
const SUMMARY_COLUMNS = `c.id, c.registrationNumber, c.registeredAt, c.subject, c.channel, c.status, c.priority, c.departmentId, c.categoryId,
  c.assigneeId, c.citizenId, ci.name AS citizenName, c.language, c.legalBasis, c.legalDueDate, c.internalDueDate, c.dueAt, c.slaState,
  c.lastMessageAt, c.updatedAt`;
const CITIZEN_JOIN = 'LEFT JOIN citizens ci ON ci.id = c.citizenId';

type SummaryRow = Record<'id' | 'registrationNumber' | 'registeredAt' | 'subject' | 'channel' | 'status' | 'priority' | 'departmentId' | 'categoryId'
  | 'assigneeId' | 'citizenId' | 'citizenName' | 'language' | 'legalBasis' | 'legalDueDate' | 'internalDueDate' | 'dueAt' | 'slaState'
  | 'lastMessageAt' | 'updatedAt', unknown>;

/** A summary from a row of SUMMARY_COLUMNS. */
function summaryFromRow(r: SummaryRow): ConversationSummaryView {
  const departmentId = intOrNull(r.departmentId);
  return {
    id: Number(r.id),
    registrationNumber: r.registrationNumber as string,
    registeredAt: iso(toDate(r.registeredAt))!,
    subject: r.subject as string | null,
    channel: r.channel as ConversationSummaryView['channel'],
    status: r.status as ConversationSummaryView['status'],
    priority: Number(r.priority),
    queueId: queueOf(departmentId),
    departmentId,
    categoryId: intOrNull(r.categoryId),
    assigneeId: intOrNull(r.assigneeId),
    citizenId: intOrNull(r.citizenId),
    citizenName: (r.citizenName as string | null) ?? null,
    language: r.language as ConversationSummaryView['language'],
    legalBasis: r.legalBasis as ConversationSummaryView['legalBasis'],
    legalDueDate: day(r.legalDueDate),
    internalDueDate: day(r.internalDueDate),
    dueAt: iso(toDate(r.dueAt)),
    slaState: r.slaState as ConversationSummaryView['slaState'],
    lastMessageAt: iso(toDate(r.lastMessageAt)),
    updatedAt: iso(toDate(r.updatedAt))!,
  };
}

/** Summaries of the cases `ids` (deduplicated), in id order, on `sql`. */
async function summariesWith(sql: RawSql, ids: readonly number[]): Promise<Map<number, ConversationSummaryView>> {
  const out = new Map<number, ConversationSummaryView>();
  const unique = [...new Set(ids)];
  if (!unique.length) return out;
  const rows = await sql.all<SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM conversations c ${CITIZEN_JOIN} WHERE c.id IN (${placeholders(unique.length)}) ORDER BY c.id`, unique);
  for (const r of rows) out.set(Number(r.id), summaryFromRow(r));
  return out;
}

/** Re-reads cases and presents them (missing ids are left out). One statement. */
export async function loadConversationSummaries(ids: number[]): Promise<Map<number, ConversationSummaryView>> {
  if (!ids.length) return new Map();
  return withRawSql(modelDatabase(), (sql) => summariesWith(sql, ids));
}

/** An offer card's preview: the first words of the latest inbound message, whitespace folded. */
const previewOf = (text: string): string => text.replace(/\s+/g, ' ').trim().slice(0, 280);

/** The latest inbound message of a case (index messages_conversation, read backwards until the first inbound row). */
const LATEST_INBOUND = (conversationId: string) =>
  `(SELECT m.text FROM messages m WHERE m.conversationId = ${conversationId} AND m.direction = 'inbound' ORDER BY m.id DESC LIMIT 1)`;

type OfferRow = SummaryRow & { offerId: number; conversationId: number; offerAgentId: number; offerState: OfferView['state']; offerCreatedAt: unknown; offerExpiresAt: unknown; preview: string | null };

/**
 * Re-reads offers and presents them with their case and a preview of the latest inbound message, in one statement
 * (offers, their cases, citizens and previews joined).
 */
export async function loadOfferViews(where: { ids?: number[]; agentId?: number; pendingOnly?: boolean }): Promise<OfferView[]> {
  if (where.ids && !where.ids.length) return [];
  const conditions: string[] = [];
  const params: SqlValue[] = [];
  if (where.ids) {
    conditions.push(`o.id IN (${placeholders(where.ids.length)})`);
    params.push(...where.ids);
  }
  if (where.agentId !== undefined) {
    conditions.push('o.agentId = ?');
    params.push(where.agentId);
  }
  if (where.pendingOnly) conditions.push(`o.state = 'pending'`);
  const rows = await withRawSql(modelDatabase(), (sql) =>
    sql.all<OfferRow>(
      `SELECT o.id AS offerId, o.conversationId, o.agentId AS offerAgentId, o.state AS offerState, o.createdAt AS offerCreatedAt, o.expiresAt AS offerExpiresAt,
         ${SUMMARY_COLUMNS}, ${LATEST_INBOUND('o.conversationId')} AS preview
       FROM offers o JOIN conversations c ON c.id = o.conversationId ${CITIZEN_JOIN}${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''} ORDER BY o.id`,
      params,
    ),
  );
  return rows.map((r) => {
    const createdAt = toDate(r.offerCreatedAt)!;
    const expiresAt = toDate(r.offerExpiresAt)!;
    return {
      id: Number(r.offerId),
      conversationId: Number(r.conversationId),
      agentId: Number(r.offerAgentId),
      state: r.offerState,
      createdAt: iso(createdAt)!,
      expiresAt: iso(expiresAt)!,
      timeoutSeconds: Math.round((expiresAt.getTime() - createdAt.getTime()) / 1000),
      conversation: summaryFromRow(r),
      preview: r.preview === null || r.preview === undefined ? null : previewOf(r.preview),
    };
  });
}

/** Channel metadata that may be shown in the console (no provider secrets, no raw headers). */
const SAFE_METADATA = ['duration', 'durationSeconds', 'recordingSid', 'recordingUrl', 'ocrConfidence', 'pages', 'kind', 'from', 'to', 'transcription'];

type MessageRow = {
  id: number; conversationId: number; direction: MessageView['direction']; channel: MessageView['channel']; subject: string | null; text: string;
  html: string | null; agentId: number | null; citizenId: number | null; automatic: unknown; deliveryStatus: MessageView['deliveryStatus'];
  deliveryError: string | null; metadata: unknown; receivedAt: unknown; hasAttachments: unknown;
};
type AttachmentRow = { id: number; messageId: number; filename: string; contentType: string; size: number | string; inline: unknown };

/**
 * Re-reads messages (with attachment metadata) and presents them, in id order. One statement, and a second for
 * the attachments only when some message has any.
 */
export async function loadMessageViews(ids: number[]): Promise<MessageView[]> {
  const unique = [...new Set(ids)];
  if (!unique.length) return [];
  return withRawSql(modelDatabase(), async (sql) => {
    const rows = await sql.all<MessageRow>(
      `SELECT m.id, m.conversationId, m.direction, m.channel, m.subject, m.text, m.html, m.agentId, m.citizenId, m.automatic, m.deliveryStatus,
              m.deliveryError, m.metadata, m.receivedAt, EXISTS (SELECT 1 FROM attachments a WHERE a.messageId = m.id) AS hasAttachments
         FROM messages m WHERE m.id IN (${placeholders(unique.length)}) ORDER BY m.id`,
      unique,
    );
    const withFiles = rows.filter((r) => flag(r.hasAttachments)).map((r) => Number(r.id));
    const files = new Map<number, MessageView['attachments']>();
    if (withFiles.length) {
      const found = await sql.all<AttachmentRow>(
        `SELECT id, messageId, filename, contentType, size, inline FROM attachments WHERE messageId IN (${placeholders(withFiles.length)}) ORDER BY id`,
        withFiles,
      );
      for (const a of found) {
        const list = files.get(Number(a.messageId)) ?? [];
        list.push({ id: Number(a.id), filename: a.filename, contentType: a.contentType, size: Number(a.size), inline: flag(a.inline) });
        files.set(Number(a.messageId), list);
      }
    }
    return rows.map((m) => {
      // As the model's getter reads the column; only the safe keys are shown.
      const stored = parseJson<Record<string, unknown>>(m.metadata, {});
      const metadata: Record<string, unknown> = {};
      for (const k of SAFE_METADATA) if (stored && k in stored) metadata[k] = stored[k];
      return {
        id: Number(m.id),
        conversationId: Number(m.conversationId),
        direction: m.direction,
        channel: m.channel,
        subject: m.subject,
        text: m.text,
        html: m.html,
        agentId: intOrNull(m.agentId),
        citizenId: intOrNull(m.citizenId),
        automatic: flag(m.automatic),
        deliveryStatus: m.deliveryStatus,
        deliveryError: m.deliveryError,
        metadata,
        attachments: files.get(Number(m.id)) ?? [],
        receivedAt: iso(toDate(m.receivedAt))!,
      };
    });
  });
}

/** The fields of a timeline row presentEvent reads (a model instance, or eventFromRow's plain object). */
export type TimelineEventRow = Pick<ConversationEvent, 'id' | 'conversationId' | 'type' | 'actorType' | 'actorId' | 'data' | 'public' | 'createdAt'>;

/** A timeline row. */
export function presentEvent(e: TimelineEventRow): TimelineEventView {
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

/** The columns of `conversation_events` eventFromRow reads, of the table named `alias` in the statement. */
export const timelineEventColumns = (alias: string): string =>
  ['id', 'conversationId', 'type', 'actorType', 'actorId', 'data', 'public', 'createdAt'].map((c) => `${alias}.${c}`).join(', ');

/** A raw `conversation_events` row (timelineEventColumns) as the model would have read it. */
export function eventFromRow(r: Record<string, unknown>): TimelineEventRow {
  return {
    id: Number(r.id),
    conversationId: Number(r.conversationId),
    type: r.type as string,
    actorType: r.actorType as TimelineEventRow['actorType'],
    actorId: intOrNull(r.actorId),
    data: parseJson<Record<string, unknown>>(r.data, {}),
    public: flag(r.public),
    createdAt: toDate(r.createdAt)!,
  };
}

type AgentRow = { id: number; name: string; role: AgentPresenceView['role']; presence: AgentPresenceView['presence']; presenceChangedAt: unknown; capacity: unknown; pendingOffers: number | string };

/**
 * Presence, connection and load of agents: the agents with their pending offers in one statement, then their loads
 * and connections (two more, side by side).
 */
export async function loadPresenceViews(agentIds?: number[]): Promise<AgentPresenceView[]> {
  if (agentIds && !agentIds.length) return [];
  const agents = await withRawSql(modelDatabase(), (sql) =>
    sql.all<AgentRow>(
      `SELECT a.id, a.name, a.role, a.presence, a.presenceChangedAt, a.capacity,
              (SELECT COUNT(*) FROM offers o WHERE o.agentId = a.id AND o.state = 'pending') AS pendingOffers
         FROM agents a WHERE a.active = 1${agentIds ? ` AND a.id IN (${placeholders(agentIds.length)})` : ''} ORDER BY a.id`,
      agentIds ?? [],
    ),
  );
  const ids = agents.map((a) => Number(a.id));
  const [load, connected] = await Promise.all([loads(ids), connectedAgents(ids)]);
  return agents.map((a) => {
    const agentId = Number(a.id);
    const mine = load.get(agentId);
    const stored = parseJson<ChannelCapacity>(a.capacity, DEFAULT_CAPACITY);
    const capacity: AgentPresenceView['capacity'] = {};
    for (const ch of ['voice', 'sms', 'email', 'portal', 'letter', 'api'] as const) capacity[ch] = capacityFor(stored, ch);
    // The load counts pending offers as reservations; shown apart here.
    const loadView: AgentPresenceView['load'] = {};
    if (mine) for (const [ch, n] of mine) loadView[ch] = n;
    return {
      agentId,
      name: a.name,
      role: a.role,
      presence: a.presence,
      presenceChangedAt: iso(toDate(a.presenceChangedAt)),
      connected: connected.has(agentId),
      load: loadView,
      capacity,
      pendingOffers: Number(a.pendingOffers),
    };
  });
}

type QueueStatsRow = { kind: 'q' | 'd' | 'a' | 'm'; departmentId: number | string | null; state: string | null; n: number | string | null; oldest: unknown; due: unknown };

/**
 * Live counts of queues (all of them when `departmentIds` is omitted). One statement: the queue entries by queue
 * and state, the active departments (when all queues are asked for), the available agents serving every queue,
 * and the memberships of the other available agents, told apart by `kind`.
 */
export async function loadQueueStats(db: Database, departmentIds?: (number | null)[]): Promise<QueueStatsView[]> {
  const available = `a.active = 1 AND a.presence = 'available' AND a.disconnectedAt IS NULL`;
  const rows = await withRawSql(db, (sql) =>
    sql.all<QueueStatsRow>(
      `SELECT 'q' AS kind, departmentId, state, COUNT(*) AS n, MIN(enqueuedAt) AS oldest, MIN(dueAt) AS due
         FROM queue_entries WHERE state IN ('waiting', 'offered') GROUP BY departmentId, state
       UNION ALL
       SELECT 'a', NULL, NULL, COUNT(*), NULL, NULL FROM agents a WHERE ${available} AND a.allDepartments = 1
       UNION ALL
       SELECT 'm', ad.departmentId, NULL, COUNT(*), NULL, NULL FROM agent_departments ad JOIN agents a ON a.id = ad.agentId
        WHERE ${available} AND a.allDepartments = 0 GROUP BY ad.departmentId${departmentIds ? '' : `
       UNION ALL
       SELECT 'd', id, NULL, NULL, NULL, NULL FROM departments WHERE active = 1`}`,
    ),
  );
  const departmentOf = (r: QueueStatsRow) => (r.departmentId === null ? null : Number(r.departmentId));
  const entries = rows.filter((r) => r.kind === 'q');
  const all = Number(rows.find((r) => r.kind === 'a')?.n ?? 0);
  const members = new Map(rows.filter((r) => r.kind === 'm').map((r) => [departmentOf(r), Number(r.n)]));
  const wanted: (number | null)[] = departmentIds ?? [null, ...rows.filter((r) => r.kind === 'd').map((r) => Number(r.departmentId)).sort((a, b) => a - b)];
  return [...new Set(wanted)].map((departmentId) => {
    const mine = entries.filter((r) => departmentOf(r) === departmentId);
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
      agentsAvailable: all + (departmentId === null ? 0 : members.get(departmentId) ?? 0),
    };
  });
}
