import { Op, col, fn, literal, type Transaction, type WhereOptions } from 'sequelize';
import type { ChannelKind, Language } from '../../channels/contract';
import { Agent, Conversation, Offer, PhoneCall } from '../../db/models';
import { DEFAULT_CAPACITY, type ChannelCapacity } from '../../db/models/Agent';
import type { ConversationStatus } from '../../db/models/Conversation';
import type { QueueEntry } from '../../db/models/QueueEntry';
import type { Database } from '../../db/connection';
import { buildFromRow, rawSql } from '../../db/rawSql';
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
  const lock = db.dialect === 'mysql' ? ' LOCK IN SHARE MODE' : '';
  const statuses = ACTIVE_STATUSES.map((s) => `'${s}'`).join(',');
  const except = opts.exceptConversationId ?? 0;
  const assigned = await sql.all<{ id: number }>(`SELECT id FROM conversations WHERE assigneeId = ? AND channel = ? AND status IN (${statuses})${lock}`, [agentId, channel]);
  const [offered] = await sql.all<{ n: number | string }>(`SELECT COUNT(*) AS n FROM offers WHERE agentId = ? AND channel = ? AND state = 'pending'${lock}`, [agentId, channel]);
  const counted = new Set(assigned.map((a) => Number(a.id)).filter((id) => id !== except));
  let load = counted.size + Number(offered?.n ?? 0);
  if (channel === 'voice') {
    // Two index-friendly reads (by offeredAgentId, by agentId) rather than one OR that a locking read would scan.
    const states = (list: readonly string[]) => list.map((s) => `'${s}'`).join(',');
    const ringing = await sql.all<{ conversationId: number }>(
      `SELECT conversationId FROM phone_calls WHERE offeredAgentId = ? AND routingState IN (${states(LIVE_CALL_LOAD_STATES.offered)})${lock}`,
      [agentId],
    );
    const held = await sql.all<{ conversationId: number }>(
      `SELECT conversationId FROM phone_calls WHERE agentId = ? AND routingState IN (${states(LIVE_CALL_LOAD_STATES.held)})${lock}`,
      [agentId],
    );
    load += liveCallsBeyond(counted, [...ringing, ...held], except);
  }
  return load;
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

/** Where-clause on agents serving a queue: department members and all-department agents; the general queue only the latter. */
export function servesQueue(departmentId: number | null): WhereOptions<Agent> {
  if (departmentId === null) return { allDepartments: true };
  return {
    [Op.or]: [
      { allDepartments: true },
      { id: { [Op.in]: literal(`(SELECT agentId FROM agent_departments WHERE departmentId = ${Number(departmentId)})`) } },
    ],
  };
}

/**
 * Active cases plus pending offers per agent and channel, for the agents given (plain reads, outside locks); voice
 * also counts live calls ringing or connected to the agent that are not already one of their assigned cases.
 */
export async function loads(agentIds: number[], t?: Transaction, opts: LoadOptions = {}): Promise<Map<number, Map<ChannelKind, number>>> {
  const out = new Map<number, Map<ChannelKind, number>>();
  if (!agentIds.length) return out;
  const add = (agentId: number, channel: ChannelKind, n: number) => {
    const m = out.get(agentId) ?? new Map<ChannelKind, number>();
    m.set(channel, (m.get(channel) ?? 0) + n);
    out.set(agentId, m);
  };
  const except = opts.exceptConversationId ?? 0;
  const assigned = (await Conversation.findAll({
    attributes: ['id', 'assigneeId', 'channel'],
    where: { assigneeId: { [Op.in]: agentIds }, status: { [Op.in]: [...ACTIVE_STATUSES] } },
    raw: true,
    transaction: t,
  })) as unknown as { id: number; assigneeId: number; channel: ChannelKind }[];
  const voiceCases = new Map<number, Set<number>>();
  for (const r of assigned) {
    if (Number(r.id) === except) continue;
    add(r.assigneeId, r.channel, 1);
    if (r.channel === 'voice') voiceCases.set(r.assigneeId, (voiceCases.get(r.assigneeId) ?? new Set()).add(Number(r.id)));
  }
  const offered = (await Offer.findAll({
    attributes: ['agentId', 'channel', [fn('COUNT', col('id')), 'n']],
    where: { agentId: { [Op.in]: agentIds }, state: 'pending' },
    group: ['agentId', 'channel'],
    raw: true,
    transaction: t,
  })) as unknown as { agentId: number; channel: ChannelKind; n: number | string }[];
  for (const r of offered) add(r.agentId, r.channel, Number(r.n));
  const calls = (await PhoneCall.findAll({
    attributes: ['conversationId', 'offeredAgentId', 'agentId', 'routingState'],
    where: {
      [Op.or]: [
        { offeredAgentId: { [Op.in]: agentIds }, routingState: { [Op.in]: [...LIVE_CALL_LOAD_STATES.offered] } },
        { agentId: { [Op.in]: agentIds }, routingState: { [Op.in]: [...LIVE_CALL_LOAD_STATES.held] } },
      ],
    },
    raw: true,
    transaction: t,
  })) as unknown as Pick<PhoneCall, 'conversationId' | 'offeredAgentId' | 'agentId' | 'routingState'>[];
  for (const c of calls) {
    const agentId = c.routingState === 'offered' ? c.offeredAgentId : c.agentId;
    if (agentId === null) continue;
    const n = liveCallsBeyond(voiceCases.get(agentId) ?? new Set(), [c], except);
    if (n) add(agentId, 'voice', n);
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

/**
 * The agents a waiting case may be pushed to now, best first by the strategy: active, available, connected (or
 * never connected: REST-only integrations), serving the queue, speaking the case's language, with room on the
 * case's channel, and not having declined or let expire an offer of this case within the exclusion period.
 * Plain reads: the offer itself re-checks everything under the agent's row lock. Live calls are ranked by the same
 * query (server/routing/callCandidates.ts).
 */
export async function rankCandidates(
  r: RoutingRuntime,
  entry: Pick<QueueEntry, 'conversationId' | 'departmentId' | 'channel' | 'language'>,
  opts: CandidateOptions = {},
): Promise<Candidate[]> {
  const agents = await Agent.findAll({
    attributes: ['id', 'languages', 'capacity', 'lastOfferAt'],
    where: { [Op.and]: [{ active: true, presence: 'available' }, literal('disconnectedAt IS NULL'), servesQueue(entry.departmentId)] },
  });
  const speaking = agents.filter((a) => speaks(a.languages, entry.language));
  if (!speaking.length) return [];
  const excluded = new Set(opts.fresh ? [] : await recentlyRefused(r, entry.conversationId));
  for (const id of opts.excludeAgentIds ?? []) excluded.add(id);
  const eligible = speaking.filter((a) => !excluded.has(a.id));
  const load = await loads(eligible.map((a) => a.id), undefined, { exceptConversationId: opts.exceptConversationId });
  const candidates: Candidate[] = [];
  for (const a of eligible) {
    const mine = load.get(a.id);
    if ((mine?.get(entry.channel) ?? 0) >= capacityFor(a.capacity, entry.channel)) continue;
    const total = mine ? [...mine.values()].reduce((s, n) => s + n, 0) : 0;
    candidates.push({ agentId: a.id, lastOfferAt: a.lastOfferAt, load: total, capacity: totalCapacity(a.capacity) });
  }
  return r.strategy.rank(candidates);
}

/** Agents who declined or let expire an offer of this case within the exclusion period. */
async function recentlyRefused(r: RoutingRuntime, conversationId: number): Promise<number[]> {
  const rows = await Offer.findAll({
    attributes: ['agentId'],
    where: { conversationId, state: { [Op.in]: ['declined', 'expired'] }, answeredAt: { [Op.gt]: new Date(Date.now() - r.settings.exclusionMs) } },
    raw: true,
  });
  return rows.map((o) => o.agentId);
}

/** True when an agent's languages include the case's (an agent with no languages listed is taken to speak Romanian). */
export function speaks(languages: Language[] | null | undefined, language: Language): boolean {
  return (languages?.length ? languages : ['ro']).includes(language);
}
