import { QueryTypes, type Sequelize } from 'sequelize';
import type { ChannelKind } from '../../channels/contract';
import { CHANNEL_KINDS } from '../../channels/contract';
import { PRESENCES, type Presence } from '../../db/models/Agent';
import { OPEN_STATUSES } from '../../db/models/Conversation';
import { SLA_TIMER_KINDS } from '../../db/models/SlaTimer';
import { addDays, bucharestDate } from '../calendar/dates';
import { bucharestInstant, bucharestMinuteOfDay } from '../calendar/zone';
import type { AppContext } from '../context';
import type { BoardCaseView, ComplianceView, DepartmentBoardView, WallboardView } from './views';
export type { BoardCaseView, ComplianceView, DepartmentBoardView, WallboardView } from './views';
import { sqlTime } from './sqlTime';

/** How long a snapshot is served from memory (the wallboard is at most 5 s stale). */
export const SNAPSHOT_TTL_MS = 3_000;
const LIST_LIMIT = 25;

const STATUS_LIST = OPEN_STATUSES.map((s) => `'${s}'`).join(',');
/** Every clock kind, so a period's verdicts are ranges of the index that leads with the kind (sla_timers_report). */
const KIND_LIST = SLA_TIMER_KINDS.map((k) => `'${k}'`).join(',');

let cache: { at: number; db: Sequelize; value: Promise<WallboardView> } | null = null;

/** The wallboard snapshot, cached a few seconds per process so many screens cost one computation. */
export function wallboardSnapshot(ctx: AppContext, opts: { fresh?: boolean } = {}): Promise<WallboardView> {
  const sequelize = ctx.db.sequelize;
  if (!opts.fresh && cache && cache.db === sequelize && Date.now() - cache.at < SNAPSHOT_TTL_MS) return cache.value;
  const value = computeWallboard(sequelize, new Date());
  cache = { at: Date.now(), db: sequelize, value };
  value.catch(() => {
    if (cache?.value === value) cache = null;
  });
  return value;
}

/** Computes the wallboard at `now` (exported for tests, which pin the clock). */
export async function computeWallboard(sequelize: Sequelize, now: Date, opts: { pastDaysCacheMs?: number } = {}): Promise<WallboardView> {
  const today = bucharestDate(now);
  const todayStart = bucharestInstant(today, 0);
  const monthStart = bucharestInstant(`${today.slice(0, 8)}01`, 0);
  const lastWeek = addDays(today, -7);
  const lastWeekStart = bucharestInstant(lastWeek, 0);
  const lastWeekSameTime = bucharestInstant(lastWeek, bucharestMinuteOfDay(now));
  const lastWeekEnd = bucharestInstant(addDays(lastWeek, 1), 0);
  const q = <T extends object>(sql: string, replacements: Record<string, unknown> = {}) =>
    sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements: timesAsText(sequelize, replacements) });

  const [departments, open, agents, allDeptAgents, offers, compliance, atRisk, breached, volume] = await Promise.all([
    q<{ id: number; nameRo: string }>('SELECT id, nameRo FROM departments WHERE active = :yes ORDER BY id', { yes: true }),
    q<{ departmentId: number | null; unassigned: number; channel: string; slaState: string; n: number; since: unknown; due: unknown }>(
      `SELECT departmentId, CASE WHEN assigneeId IS NULL THEN 1 ELSE 0 END AS unassigned, channel, slaState, COUNT(*) AS n,
              MIN(COALESCE(lastInboundAt, registeredAt)) AS since, MIN(dueAt) AS due
         FROM conversations WHERE status IN (${STATUS_LIST})
        GROUP BY departmentId, CASE WHEN assigneeId IS NULL THEN 1 ELSE 0 END, channel, slaState`,
    ),
    q<{ departmentId: number; presence: string; n: number }>(
      `SELECT ad.departmentId, a.presence, COUNT(*) AS n FROM agents a JOIN agent_departments ad ON ad.agentId = a.id
        WHERE a.active = :yes AND a.allDepartments = :no GROUP BY ad.departmentId, a.presence`,
      { yes: true, no: false },
    ),
    q<{ presence: string; n: number }>('SELECT presence, COUNT(*) AS n FROM agents WHERE active = :yes AND allDepartments = :yes GROUP BY presence', { yes: true }),
    q<{ departmentId: number | null; type: string; n: number }>(
      `SELECT c.departmentId, e.type, COUNT(*) AS n FROM conversation_events e JOIN conversations c ON c.id = e.conversationId
        WHERE e.type IN ('offer.accepted', 'offer.declined') AND e.createdAt >= :todayStart GROUP BY c.departmentId, e.type`,
      { todayStart },
    ),
    // Today's verdicts live; the earlier days of the month change rarely (a reopened case) and are cached a minute.
    Promise.all([
      complianceRows(q, todayStart, now, 1),
      pastDays(sequelize, `${monthStart.toISOString()}|${todayStart.toISOString()}`, opts.pastDaysCacheMs ?? PAST_DAYS_TTL_MS, () => complianceRows(q, monthStart, todayStart, 0)),
    ]).then(([a, b]) => [...a, ...b]),
    boardCases(q, 'warning'),
    boardCases(q, 'breached'),
    q<{ channel: string; bucket: string; n: number }>(
      `SELECT channel, CASE WHEN registeredAt >= :todayStart THEN 'today' WHEN registeredAt < :lastWeekSameTime THEN 'same' ELSE 'rest' END AS bucket, COUNT(*) AS n
         FROM conversations
        WHERE (registeredAt >= :todayStart AND registeredAt <= :now) OR (registeredAt >= :lastWeekStart AND registeredAt < :lastWeekEnd)
        GROUP BY channel, CASE WHEN registeredAt >= :todayStart THEN 'today' WHEN registeredAt < :lastWeekSameTime THEN 'same' ELSE 'rest' END`,
      { todayStart, now, lastWeekStart, lastWeekEnd, lastWeekSameTime },
    ),
  ]);

  const emptyPresence = () => Object.fromEntries(PRESENCES.map((p) => [p, 0])) as Record<Presence, number>;
  const everywhere = emptyPresence();
  for (const a of allDeptAgents) if (a.presence in everywhere) everywhere[a.presence as Presence] += Number(a.n);

  const boards = new Map<number | null, DepartmentBoardView>();
  const board = (departmentId: number | null, name = ''): DepartmentBoardView => {
    let b = boards.get(departmentId);
    if (!b) {
      b = {
        departmentId, name, waiting: 0, longestWaitingSince: null, nearestDueAt: null, callsWaiting: 0, longestCallWaitingSince: null,
        openCases: 0, atRisk: 0, breached: 0, agents: { ...everywhere }, offersAcceptedToday: 0, offersDeclinedToday: 0,
      };
      boards.set(departmentId, b);
    }
    return b;
  };
  board(null, 'general');
  for (const d of departments) board(Number(d.id), d.nameRo);
  for (const r of open) {
    const b = board(r.departmentId === null ? null : Number(r.departmentId));
    const n = Number(r.n);
    b.openCases += n;
    if (r.slaState === 'warning') b.atRisk += n;
    if (r.slaState === 'breached') b.breached += n;
    b.nearestDueAt = minIso(b.nearestDueAt, iso(r.due));
    if (Number(r.unassigned) === 1) {
      b.waiting += n;
      b.longestWaitingSince = minIso(b.longestWaitingSince, iso(r.since));
      if (r.channel === 'voice') {
        b.callsWaiting += n;
        b.longestCallWaitingSince = minIso(b.longestCallWaitingSince, iso(r.since));
      }
    }
  }
  for (const a of agents) {
    const b = board(Number(a.departmentId));
    if (a.presence in b.agents) b.agents[a.presence as Presence] += Number(a.n);
  }
  for (const o of offers) {
    const b = board(o.departmentId === null ? null : Number(o.departmentId));
    if (o.type === 'offer.accepted') b.offersAcceptedToday += Number(o.n);
    else b.offersDeclinedToday += Number(o.n);
  }

  const ratio = (legal: boolean, todayOnly: boolean): ComplianceView => {
    let met = 0;
    let br = 0;
    for (const r of compliance) {
      if ((Number(r.legal) === 1) !== legal || (todayOnly && Number(r.today) !== 1)) continue;
      if (r.outcome === 'met') met += Number(r.n);
      else if (r.outcome === 'breached') br += Number(r.n);
    }
    return { met, breached: br, share: met + br ? met / (met + br) : null };
  };

  const volumes = CHANNEL_KINDS.map((channel) => {
    const of = (bucket: string) => volume.filter((v) => v.channel === channel && v.bucket === bucket).reduce((s, v) => s + Number(v.n), 0);
    return { channel, today: of('today'), lastWeekSameTime: of('same'), lastWeekWholeDay: of('same') + of('rest') };
  });

  return {
    at: now.toISOString(),
    today,
    departments: [...boards.values()].sort((a, b) => (a.departmentId ?? 0) - (b.departmentId ?? 0)),
    compliance: { sla: { today: ratio(false, true), month: ratio(false, false) }, legal: { today: ratio(true, true), month: ratio(true, false) } },
    atRisk,
    breached,
    volume: volumes,
  };
}

type Query = <T extends object>(sql: string, r?: Record<string, unknown>) => Promise<T[]>;
type ComplianceRow = { legal: number; outcome: string; today: number; n: number };

/** How long the month's earlier days are reused (today's figures are always computed). */
const PAST_DAYS_TTL_MS = 60_000;
const pastCache = new Map<string, { at: number; db: Sequelize; rows: Promise<ComplianceRow[]> }>();

function pastDays(db: Sequelize, key: string, ttl: number, load: () => Promise<ComplianceRow[]>): Promise<ComplianceRow[]> {
  const hit = pastCache.get(key);
  if (ttl > 0 && hit && hit.db === db && Date.now() - hit.at < ttl) return hit.rows;
  const rows = load();
  pastCache.clear();
  pastCache.set(key, { at: Date.now(), db, rows });
  rows.catch(() => pastCache.delete(key));
  return rows;
}

/** Decided clocks in [from, to] by legal/service and outcome; `today` marks which window they came from. */
function complianceRows(q: Query, from: Date, to: Date, today: 0 | 1): Promise<ComplianceRow[]> {
  return q<ComplianceRow>(
    `SELECT CASE WHEN kind = 'legal' THEN 1 ELSE 0 END AS legal, outcome, ${today} AS today, COUNT(*) AS n
       FROM sla_timers WHERE kind IN (${KIND_LIST}) AND decidedAt >= :from AND decidedAt ${today ? '<=' : '<'} :to AND outcome IS NOT NULL
      GROUP BY CASE WHEN kind = 'legal' THEN 1 ELSE 0 END, outcome`,
    { from, to },
  );
}

async function boardCases(q: Query, state: 'warning' | 'breached'): Promise<BoardCaseView[]> {
  // The first ones by due date from the index alone (slaState, status, dueAt), then only those rows.
  const first = await q<{ id: number }>(
    `SELECT id FROM conversations WHERE slaState = :state AND status IN (${STATUS_LIST}) ORDER BY dueAt ASC, id ASC LIMIT ${LIST_LIMIT}`,
    { state },
  );
  if (!first.length) return [];
  const rows = await q<Record<string, unknown>>(
    `SELECT id, registrationNumber, departmentId, channel, priority, slaState, dueAt, legalDueDate, assigneeId FROM conversations
      WHERE id IN (${first.map((r) => Number(r.id)).join(',')}) ORDER BY dueAt ASC, id ASC`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    registrationNumber: String(r.registrationNumber),
    departmentId: r.departmentId === null ? null : Number(r.departmentId),
    channel: r.channel as ChannelKind,
    priority: Number(r.priority),
    slaState: String(r.slaState),
    dueAt: iso(r.dueAt),
    legalDueDate: r.legalDueDate === null ? null : String(r.legalDueDate instanceof Date ? r.legalDueDate.toISOString().slice(0, 10) : r.legalDueDate).slice(0, 10),
    assigneeId: r.assigneeId === null ? null : Number(r.assigneeId),
  }));
}

function timesAsText(sequelize: Sequelize, r: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? sqlTime(sequelize, v) : v]));
}

/** Raw query dates come back as Date (MariaDB) or text (SQLite, `YYYY-MM-DD HH:MM:SS.SSS +00:00`). */
export function iso(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  const s = String(v);
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s*(Z|[+-]\d{2}:\d{2})?$/.exec(s);
  if (m) return new Date(`${m[1]}T${m[2]}${m[3] ?? 'Z'}`).toISOString();
  return new Date(s).toISOString();
}

function minIso(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a <= b ? a : b;
}
