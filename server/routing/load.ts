import type { Transaction } from 'sequelize';
import type { ChannelKind, Language } from '../../channels/contract';
import { Agent, Conversation } from '../../db/models';
import { DEFAULT_CAPACITY, type ChannelCapacity } from '../../db/models/Agent';
import type { ConversationStatus } from '../../db/models/Conversation';
import type { QueueEntry } from '../../db/models/QueueEntry';
import type { Database } from '../../db/connection';
import { parseJson } from '../../db/models/json';
import { buildFromRow, databaseOf, placeholders, rawSql, toDate, withRawSql, type RawSql, type SqlValue } from '../../db/rawSql';
import type { RoutingRuntime } from './runtime';
import type { Candidate } from './strategy';

/** Statuses in which an assigned case occupies its agent (a case waiting on the citizen or a department does not). */
export const ACTIVE_STATUSES: readonly ConversationStatus[] = ['new', 'open'];
/** Statuses in which an unassigned case must be in a queue. */
export const ROUTABLE_STATUSES: readonly ConversationStatus[] = ['new', 'open'];

/** How many cases of a channel an agent works at once; voice is always 1 whatever the setting. */
export function capacityFor(capacity: ChannelCapacity | null | undefined, channel: ChannelKind): number {
  if (channel === 'voice') return 1;
  const value = capacity?.[channel];
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.floor(value);
  return DEFAULT_CAPACITY[channel] ?? 1;
}

/** The sum of an agent's capacities over all channels (least-occupied ranks by share of it). */
export function totalCapacity(capacity: ChannelCapacity | null | undefined): number {
  return (Object.keys(DEFAULT_CAPACITY) as ChannelKind[]).reduce((sum, ch) => sum + capacityFor(capacity, ch), 0);
}

/** Call states in which a live call occupies the agent it rings or is connected to (its voice slot). */
export const LIVE_CALL_LOAD_STATES = { offered: ['offered'], held: ['bridging', 'bridged'] } as const;

/** A list of fixed words as SQL literals (never user input). */
const quoted = (list: readonly string[]) => list.map((s) => `'${s}'`).join(',');

/** What a load count leaves out: the conversation a call being routed belongs to (its own case is not "another" call). */
export interface LoadOptions {
  exceptConversationId?: number;
}

/**
 * An agent's load (active assigned cases + pending offers) for one channel, read under a shared lock inside a
 * transaction that already holds the agent's row lock. On MariaDB a plain SELECT would read the transaction's
 * snapshot, which may predate an offer another process committed while we waited for the agent lock; a locking
 * read sees the latest committed rows. SQLite serialises writers, so a plain read is current there.
 * For voice, a live call ringing the agent or connected to them counts too (once: a call whose case is already
 * assigned to the agent is that case).
 */
export async function lockedLoad(db: Database, t: Transaction, agentId: number, channel: ChannelKind, opts: LoadOptions = {}): Promise<number> {
  const sql = rawSql(t);
  const except = opts.exceptConversationId ?? 0;
  // One statement: each branch a locking read of its own (MariaDB takes the lock clause per parenthesised branch;
  // SQLite has no lock clause and no parenthesised branches). Voice adds the live calls by offeredAgentId and by
  // agentId: two index-friendly branches rather than one OR that a locking read would scan.
  // The agent's own index entries only: a locking read that scanned by status would wait on every case other
  // transactions are inserting (and deadlock with them), so MariaDB is told which index to use.
  const index = (name: string) => (db.dialect === 'mysql' ? ` FORCE INDEX (${name})` : '');
  const branches: [string, SqlValue[]][] = [
    [`SELECT 'case' AS kind, id AS n FROM conversations${index('conversations_assignee_channel')} WHERE assigneeId = ? AND channel = ? AND status IN (${quoted(ACTIVE_STATUSES)})`, [agentId, channel]],
    [`SELECT 'offers', COUNT(*) FROM offers${index('offers_agent_channel')} WHERE agentId = ? AND channel = ? AND state = 'pending'`, [agentId, channel]],
  ];
  if (channel === 'voice') {
    branches.push(
      [`SELECT 'call', conversationId FROM phone_calls WHERE offeredAgentId = ? AND routingState IN (${quoted(LIVE_CALL_LOAD_STATES.offered)})`, [agentId]],
      [`SELECT 'call', conversationId FROM phone_calls WHERE agentId = ? AND routingState IN (${quoted(LIVE_CALL_LOAD_STATES.held)})`, [agentId]],
    );
  }
  const text = db.dialect === 'mysql' ? branches.map(([b]) => `(${b} LOCK IN SHARE MODE)`).join(' UNION ALL ') : branches.map(([b]) => b).join(' UNION ALL ');
  const rows = await sql.all<{ kind: 'case' | 'offers' | 'call'; n: number | string }>(text, branches.flatMap(([, params]) => params));
  const counted = new Set(rows.filter((r) => r.kind === 'case').map((r) => Number(r.n)).filter((id) => id !== except));
  const offered = rows.filter((r) => r.kind === 'offers').reduce((sum, r) => sum + Number(r.n), 0);
  const calls = rows.filter((r) => r.kind === 'call').map((r) => ({ conversationId: Number(r.n) }));
  return counted.size + offered + liveCallsBeyond(counted, calls, except);
}

/** Live calls not already counted as an assigned case of the agent (and not of the excepted conversation). */
function liveCallsBeyond(counted: Set<number>, calls: { conversationId: number }[], except: number): number {
  return calls.filter((c) => Number(c.conversationId) !== except && !counted.has(Number(c.conversationId))).length;
}

/**
 * Locks an agent's row (FOR UPDATE on MariaDB; SQLite's IMMEDIATE transaction already excludes other writers).
 * With `skipLocked`, a row another transaction holds is not waited for: the answer is 'busy' (MariaDB ≥ 10.6,
 * MySQL 8), so concurrent offers spread over the agents instead of queueing behind the same one.
 */
export async function lockAgent(t: Transaction, agentId: number): Promise<(Agent & { disconnected: boolean }) | null>;
export async function lockAgent(t: Transaction, agentId: number, opts: { skipLocked: true }): Promise<(Agent & { disconnected: boolean }) | null | 'busy'>;
export async function lockAgent(t: Transaction, agentId: number, opts: { skipLocked?: boolean } = {}): Promise<(Agent & { disconnected: boolean }) | null | 'busy'> {
  const sql = rawSql(t);
  const lock = opts.skipLocked && sql.forUpdate ? `${sql.forUpdate} SKIP LOCKED` : sql.forUpdate;
  const [row] = await sql.all<Record<string, unknown>>(`SELECT *, CASE WHEN disconnectedAt IS NULL THEN 0 ELSE 1 END AS disconnected FROM agents WHERE id = ?${lock}`, [agentId]);
  if (!row) {
    if (lock === sql.forUpdate) return null;
    // Skipped or missing: a plain read tells which.
    const [exists] = await sql.all<{ id: number }>('SELECT id FROM agents WHERE id = ?', [agentId]);
    return exists ? 'busy' : null;
  }
  const { disconnected, ...values } = row;
  return Object.assign(buildFromRow(Agent, values), { disconnected: Number(disconnected) === 1 });
}

/** One row of the loads query: an assigned case, a count of pending offers, or a live call (`kind`). */
type LoadRow = { kind: 'case' | 'offer' | 'call'; agentId: number | null; channel: ChannelKind; conversationId: number | null; n: number | string };

/**
 * Active cases plus pending offers per agent and channel, for the agents given (plain reads, outside locks); voice
 * also counts live calls ringing or connected to the agent that are not already one of their assigned cases.
 * One statement: on the transaction `t` when given, else on a pooled connection.
 */
export async function loads(agentIds: number[], t?: Transaction, opts: LoadOptions = {}): Promise<Map<number, Map<ChannelKind, number>>> {
  if (!agentIds.length) return new Map();
  return t ? loadsWith(rawSql(t), agentIds, opts) : withRawSql(databaseOf(Conversation.sequelize!), (sql) => loadsWith(sql, agentIds, opts));
}

/** loads on a given runner: assigned cases, pending offers and live calls in one UNION ALL, told apart by `kind`. */
async function loadsWith(sql: RawSql, agentIds: readonly number[], opts: LoadOptions): Promise<Map<number, Map<ChannelKind, number>>> {
  const out = new Map<number, Map<ChannelKind, number>>();
  if (!agentIds.length) return out;
  const add = (agentId: number, channel: ChannelKind, n: number) => {
    const m = out.get(agentId) ?? new Map<ChannelKind, number>();
    m.set(channel, (m.get(channel) ?? 0) + n);
    out.set(agentId, m);
  };
  const ids = placeholders(agentIds.length);
  // The offers branch first: MariaDB sizes a UNION's text columns from all branches, older servers from the first.
  const rows = await sql.all<LoadRow>(
    `SELECT 'offer' AS kind, agentId, channel, NULL AS conversationId, COUNT(*) AS n FROM offers WHERE agentId IN (${ids}) AND state = 'pending' GROUP BY agentId, channel
     UNION ALL
     SELECT 'case', assigneeId, channel, id, 1 FROM conversations WHERE assigneeId IN (${ids}) AND status IN (${quoted(ACTIVE_STATUSES)})
     UNION ALL
     SELECT 'call', CASE WHEN routingState IN (${quoted(LIVE_CALL_LOAD_STATES.offered)}) THEN offeredAgentId ELSE agentId END, 'voice', conversationId, 1 FROM phone_calls
       WHERE (offeredAgentId IN (${ids}) AND routingState IN (${quoted(LIVE_CALL_LOAD_STATES.offered)}))
          OR (agentId IN (${ids}) AND routingState IN (${quoted(LIVE_CALL_LOAD_STATES.held)}))`,
    [...agentIds, ...agentIds, ...agentIds, ...agentIds],
  );
  const except = opts.exceptConversationId ?? 0;
  // Assigned cases first: a live call is counted only when it is not one of them.
  const voiceCases = new Map<number, Set<number>>();
  for (const r of rows) {
    if (r.kind !== 'case' || Number(r.conversationId) === except) continue;
    const agentId = Number(r.agentId);
    add(agentId, r.channel, 1);
    if (r.channel === 'voice') voiceCases.set(agentId, (voiceCases.get(agentId) ?? new Set()).add(Number(r.conversationId)));
  }
  for (const r of rows) {
    if (r.kind === 'offer') add(Number(r.agentId), r.channel, Number(r.n));
    else if (r.kind === 'call' && r.agentId !== null) {
      const agentId = Number(r.agentId);
      const n = liveCallsBeyond(voiceCases.get(agentId) ?? new Set(), [{ conversationId: Number(r.conversationId) }], except);
      if (n) add(agentId, 'voice', n);
    }
  }
  return out;
}

/** What shapes a candidate list besides the work item itself. */
export interface CandidateOptions extends LoadOptions {
  /** Agents left out whatever the offer history says (the agents who declined or missed a live call). */
  excludeAgentIds?: readonly number[];
  /** The case was queued just now and has no offer history to exclude agents by. */
  fresh?: boolean;
}

/** An agent row of the candidates query; the JSON columns are their stored text, as both drivers answer raw reads. */
type AgentRow = { id: number; languages: unknown; capacity: unknown; lastOfferAt: unknown };

/**
 * The agents a waiting case may be pushed to now, best first by the strategy: active, available, connected (or
 * never connected: REST-only integrations), serving the queue, speaking the case's language, with room on the
 * case's channel, and not having declined or let expire an offer of this case within the exclusion period.
 * Plain reads: the offer itself re-checks everything under the agent's row lock. Live calls are ranked by the same
 * query (server/routing/callCandidates.ts). One statement on a pooled connection: the agents with their loads.
 */
export async function rankCandidates(
  r: RoutingRuntime,
  entry: Pick<QueueEntry, 'conversationId' | 'departmentId' | 'channel' | 'language'>,
  opts: CandidateOptions = {},
): Promise<Candidate[]> {
  return withRawSql(r.ctx.db, (sql) => rankCandidatesOn(sql, r, entry, opts));
}

/**
 * rankCandidates on a given runner: inside a transaction (ingest's in-transaction offer) the reads must use the
 * transaction's own connection, never wait for a second one from the pool.
 */
export async function rankCandidatesOn(
  sql: RawSql,
  r: RoutingRuntime,
  entry: Pick<QueueEntry, 'conversationId' | 'departmentId' | 'channel' | 'language'>,
  opts: CandidateOptions = {},
): Promise<Candidate[]> {
  const queue = servesQueueSql(entry.departmentId);
  // A case queued just now has no offers to be refused by: its candidates skip the exclusion subquery.
  const refused = opts.fresh ? { text: '', params: [] } : recentlyRefused(r, entry.conversationId);
  const except = opts.exceptConversationId ?? 0;
  const active = quoted(ACTIVE_STATUSES);
  // Each agent with their load in the same statement (what loads() counts): pending offers and active assigned
  // cases on the case's channel and on all channels, and live calls ringing or connected to them that are not
  // one of their assigned voice cases. Each count is one grouped pass joined by agent, not a subquery per agent
  // and count: the passes read index ranges that lead with the state (offers_state_agent,
  // conversations_status_assignee), so only pending offers and assigned active cases are touched.
  const rows = await sql.all<AgentRow & { offersHere: number | string | null; offersAll: number | string | null; casesHere: number | string | null; casesAll: number | string | null; ringing: number | string | null; held: number | string | null }>(
    `SELECT a.id, a.languages, a.capacity, a.lastOfferAt, o.here AS offersHere, o.total AS offersAll, c.here AS casesHere, c.total AS casesAll, p.ringing, p.held
     FROM agents a
     LEFT JOIN (SELECT agentId, SUM(CASE WHEN channel = ? THEN 1 ELSE 0 END) AS here, COUNT(*) AS total FROM offers
       WHERE state = 'pending' GROUP BY agentId) o ON o.agentId = a.id
     LEFT JOIN (SELECT assigneeId, SUM(CASE WHEN channel = ? THEN 1 ELSE 0 END) AS here, COUNT(*) AS total FROM conversations
       WHERE status IN (${active}) AND assigneeId IS NOT NULL AND id <> ? GROUP BY assigneeId) c ON c.assigneeId = a.id
     LEFT JOIN (SELECT x.agentId, SUM(x.ringing) AS ringing, SUM(1 - x.ringing) AS held FROM (
         SELECT offeredAgentId AS agentId, 1 AS ringing, conversationId FROM phone_calls
           WHERE routingState IN (${quoted(LIVE_CALL_LOAD_STATES.offered)}) AND offeredAgentId IS NOT NULL
         UNION ALL
         SELECT agentId, 0, conversationId FROM phone_calls WHERE routingState IN (${quoted(LIVE_CALL_LOAD_STATES.held)}) AND agentId IS NOT NULL) x
       WHERE x.conversationId <> ?
         AND NOT EXISTS (SELECT 1 FROM conversations v WHERE v.id = x.conversationId AND v.assigneeId = x.agentId AND v.channel = 'voice' AND v.status IN (${active}))
       GROUP BY x.agentId) p ON p.agentId = a.id
     WHERE a.active = 1 AND a.presence = 'available' AND a.disconnectedAt IS NULL AND ${queue.text}${refused.text}`,
    [entry.channel, entry.channel, except, except, ...queue.params, ...refused.params],
  );
  const excluded = new Set(opts.excludeAgentIds ?? []);
  const candidates: Candidate[] = [];
  for (const row of rows) {
    const id = Number(row.id);
    const capacity = parseJson<ChannelCapacity>(row.capacity, DEFAULT_CAPACITY);
    if (excluded.has(id) || !speaks(parseJson<Language[]>(row.languages, ['ro']), entry.language)) continue;
    const calls = Number(row.ringing) + Number(row.held);
    const here = Number(row.offersHere) + Number(row.casesHere) + (entry.channel === 'voice' ? calls : 0);
    if (here >= capacityFor(capacity, entry.channel)) continue;
    const total = Number(row.offersAll) + Number(row.casesAll) + calls;
    candidates.push({ agentId: id, lastOfferAt: toDate(row.lastOfferAt), load: total, capacity: totalCapacity(capacity) });
  }
  return r.strategy.rank(candidates);
}

/** A condition on `agents a` and the values it binds. */
type SqlFragment = { text: string; params: SqlValue[] };

/** Agents serving a queue, as a condition on `agents a`: department members and all-department agents; the general queue only the latter. */
function servesQueueSql(departmentId: number | null): SqlFragment {
  if (departmentId === null) return { text: 'a.allDepartments = 1', params: [] };
  return { text: '(a.allDepartments = 1 OR a.id IN (SELECT agentId FROM agent_departments WHERE departmentId = ?))', params: [departmentId] };
}

/** Leaves out the agents who declined or let expire an offer of this case within the exclusion period (index offers_exclusion). */
function recentlyRefused(r: RoutingRuntime, conversationId: number): SqlFragment {
  return {
    text: " AND NOT EXISTS (SELECT 1 FROM offers o WHERE o.conversationId = ? AND o.agentId = a.id AND o.state IN ('declined', 'expired') AND o.answeredAt > ?)",
    params: [conversationId, new Date(Date.now() - r.settings.exclusionMs)],
  };
}

/** True when an agent's languages include the case's (an agent with no languages listed is taken to speak Romanian). */
export function speaks(languages: Language[] | null | undefined, language: Language): boolean {
  return (languages?.length ? languages : ['ro']).includes(language);
}
