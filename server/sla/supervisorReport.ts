import { QueryTypes, type Sequelize } from 'sequelize';
import { z } from 'zod';
import { ChannelKindSchema, type ChannelKind } from '../../channels/contract';
import { OPEN_STATUSES } from '../../db/models/Conversation';
import { SLA_TIMER_KINDS } from '../../db/models/SlaTimer';
import { addDays, isIsoDate } from '../calendar/dates';
import { bucharestInstant } from '../calendar/zone';
import { sqlTime } from './sqlTime';
import type { DurationStats, SupervisorReport } from './views';
export type { DurationStats, SupervisorReport } from './views';

const isoDate = z.string().refine(isIsoDate, 'expected a date as YYYY-MM-DD');

/** The filters of a supervisor report: a range of Bucharest days (both included) and optional narrowing. */
export const ReportQuerySchema = z
  .object({
    from: isoDate,
    to: isoDate,
    channel: ChannelKindSchema.optional(),
    categoryId: z.coerce.number().int().positive().optional(),
    departmentId: z.coerce.number().int().positive().optional(),
  })
  .refine((q) => q.from <= q.to, { message: 'from must not be after to', path: ['from'] })
  .refine((q) => addDays(q.from, 366) >= q.to, { message: 'the range may span at most a year', path: ['to'] });
export type ReportQuery = z.infer<typeof ReportQuerySchema>;

/** Histogram granularity: first responses to the minute, resolutions to ten minutes. */
const FIRST_RESPONSE_BUCKET_MS = 60_000;
const RESOLUTION_BUCKET_MS = 600_000;
/** Per-agent resolution medians to the hour (half an hour either way): enough to compare agents. */
const AGENT_BUCKET_MS = 3_600_000;
const BACKLOG_BUCKETS: [label: string, days: number][] = [['0-1d', 1], ['1-3d', 3], ['3-7d', 7], ['7-14d', 14], ['14-30d', 30], ['30d+', Infinity]];
const STATUS_LIST = OPEN_STATUSES.map((s) => `'${s}'`).join(',');
/** Clocks that count towards an agent's figures (the legal deadline is the institution's, not the agent's). */
const AGENT_KINDS = new Set<string>(['resolution', 'first_response', 'next_response']);

/**
 * Computes the report: every figure an SQL aggregate over an index range of the period (clocks by kind and decision
 * time, cases by registration time, replies by time), so it stays fast on a million cases.
 */
export async function supervisorReport(sequelize: Sequelize, query: ReportQuery, now = new Date()): Promise<SupervisorReport> {
  const start = bucharestInstant(query.from, 0);
  const end = bucharestInstant(addDays(query.to, 1), 0);
  const div = sequelize.getDialect() === 'sqlite' ? '/' : 'DIV';
  const q = <T extends object>(sql: string, replacements: Record<string, unknown> = {}) =>
    sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements: Object.fromEntries(Object.entries(replacements).map(([k, v]) => [k, v instanceof Date ? sqlTime(sequelize, v) : v])) });

  const caseFilter: string[] = [];
  const timerFilter: string[] = [];
  const params: Record<string, unknown> = { start, end };
  for (const key of ['channel', 'categoryId', 'departmentId'] as const) {
    if (query[key] === undefined) continue;
    caseFilter.push(`c.${key} = :${key}`);
    // Clocks carry copies of their case's columns (migration 202611246004): no join to the cases.
    timerFilter.push(`t.${key} = :${key}`);
    params[key] = query[key];
  }
  const filtered = caseFilter.length > 0;
  const andCase = caseFilter.map((f) => ` AND ${f}`).join('');
  const andTimer = timerFilter.map((f) => ` AND ${f}`).join('');
  // Every clock query is a range of the covering index sla_timers_report (kind, decidedAt, …): one kind, or each kind.
  const decided = (kinds: readonly string[]) =>
    `FROM sla_timers t WHERE t.kind IN (${kinds.map((k) => `'${k}'`).join(', ')}) AND t.decidedAt >= :start AND t.decidedAt < :end${andTimer}`;
  // Narrowed replies start from the period's messages (bounded by the period) and look their case up by key, rather
  // than from every case of a department across all years; the join order is forced where the optimiser guesses wrong.
  const messagesThenCases = sequelize.getDialect() === 'sqlite' ? 'messages m CROSS JOIN conversations c' : 'messages m STRAIGHT_JOIN conversations c';

  const [volume, categories, departments, agentNames, firstHist, resolutionHist, clocks, agentHist, replies, backlog, satisfaction] = await Promise.all([
    q<{ channel: string; categoryId: number | null; departmentId: number | null; n: number }>(
      `SELECT c.channel, c.categoryId, c.departmentId, COUNT(*) AS n FROM conversations c
        WHERE c.registeredAt >= :start AND c.registeredAt < :end${andCase} GROUP BY c.channel, c.categoryId, c.departmentId`,
      params,
    ),
    q<{ id: number; nameRo: string }>('SELECT id, nameRo FROM categories'),
    q<{ id: number; nameRo: string }>('SELECT id, nameRo FROM departments'),
    q<{ id: number; name: string }>('SELECT id, name FROM agents'),
    q<{ b: number; n: number }>(
      `SELECT t.elapsedMs ${div} ${FIRST_RESPONSE_BUCKET_MS} AS b, COUNT(*) AS n ${decided(['first_response'])} AND t.elapsedMs IS NOT NULL GROUP BY t.elapsedMs ${div} ${FIRST_RESPONSE_BUCKET_MS}`,
      params,
    ),
    q<{ b: number; n: number }>(
      `SELECT t.elapsedMs ${div} ${RESOLUTION_BUCKET_MS} AS b, COUNT(*) AS n ${decided(['resolution'])} AND t.elapsedMs IS NOT NULL GROUP BY t.elapsedMs ${div} ${RESOLUTION_BUCKET_MS}`,
      params,
    ),
    // Compliance and the per-agent counts from one pass over the period's clocks of every kind.
    q<{ agentId: number | null; kind: string; outcome: string | null; n: number }>(
      `SELECT t.assigneeId AS agentId, t.kind, t.outcome, COUNT(*) AS n ${decided(SLA_TIMER_KINDS)} GROUP BY t.assigneeId, t.kind, t.outcome`,
      params,
    ),
    q<{ agentId: number; b: number; n: number }>(
      `SELECT t.assigneeId AS agentId, t.elapsedMs ${div} ${AGENT_BUCKET_MS} AS b, COUNT(*) AS n ${decided(['resolution'])}
          AND t.assigneeId IS NOT NULL AND t.elapsedMs IS NOT NULL GROUP BY t.assigneeId, t.elapsedMs ${div} ${AGENT_BUCKET_MS}`,
      params,
    ),
    q<{ agentId: number; n: number }>(
      filtered
        ? `SELECT m.agentId, COUNT(*) AS n FROM ${messagesThenCases} ON c.id = m.conversationId
            WHERE m.receivedAt >= :start AND m.receivedAt < :end AND m.agentId IS NOT NULL AND m.direction = 'outbound'${andCase} GROUP BY m.agentId`
        : `SELECT m.agentId, COUNT(*) AS n FROM messages m WHERE m.receivedAt >= :start AND m.receivedAt < :end AND m.agentId IS NOT NULL AND m.direction = 'outbound' GROUP BY m.agentId`,
      params,
    ),
    backlogQuery(q, now, andCase, params),
    satisfactionQuery(sequelize, q, andCase, params),
  ]);

  const names = (rows: { id: number; nameRo: string }[]) => new Map(rows.map((r) => [Number(r.id), r.nameRo]));
  const categoryNames = names(categories);
  const departmentNames = names(departments);
  const sumBy = <K>(key: (r: (typeof volume)[number]) => K) => {
    const m = new Map<K, number>();
    for (const r of volume) m.set(key(r), (m.get(key(r)) ?? 0) + Number(r.n));
    return [...m.entries()].sort((a, b) => b[1] - a[1]);
  };
  const num = (v: number | null) => (v === null ? null : Number(v));

  const ratio = (legal: boolean) => {
    let met = 0;
    let breached = 0;
    for (const r of clocks) {
      if ((r.kind === 'legal') !== legal) continue;
      if (r.outcome === 'met') met += Number(r.n);
      else if (r.outcome === 'breached') breached += Number(r.n);
    }
    return { met, breached, share: met + breached ? met / (met + breached) : null };
  };

  // Agents as the cases' assignees (as before the copies, an assignee with no agent row is left out).
  const nameOf = new Map(agentNames.map((a) => [Number(a.id), a.name]));
  const agents = new Map<number, SupervisorReport['agents'][number]>();
  const agent = (id: number) => {
    let a = agents.get(id);
    if (!a) agents.set(id, (a = { agentId: id, name: nameOf.get(id)!, resolved: 0, slaMet: 0, slaBreached: 0, repliesSent: 0, medianResolutionSeconds: null }));
    return a;
  };
  for (const r of clocks) {
    if (r.agentId === null || !nameOf.has(Number(r.agentId)) || !AGENT_KINDS.has(r.kind)) continue;
    const a = agent(Number(r.agentId));
    if (r.kind === 'resolution') a.resolved += Number(r.n);
    if (r.outcome === 'met') a.slaMet += Number(r.n);
    if (r.outcome === 'breached') a.slaBreached += Number(r.n);
  }
  const histByAgent = new Map<number, { b: number; n: number }[]>();
  for (const h of agentHist) {
    const id = Number(h.agentId);
    histByAgent.set(id, [...(histByAgent.get(id) ?? []), { b: Number(h.b), n: Number(h.n) }]);
  }
  for (const [id, a] of agents) a.medianResolutionSeconds = percentiles(histByAgent.get(id) ?? [], AGENT_BUCKET_MS).medianSeconds;
  for (const r of replies) {
    const a = agents.get(Number(r.agentId));
    if (a) a.repliesSent = Number(r.n);
  }

  return {
    query,
    volume: {
      total: volume.reduce((s, r) => s + Number(r.n), 0),
      byChannel: sumBy((r) => r.channel as ChannelKind).map(([channel, count]) => ({ channel, count })),
      byCategory: sumBy((r) => num(r.categoryId)).map(([categoryId, count]) => ({ categoryId, name: categoryId === null ? null : categoryNames.get(categoryId) ?? null, count })),
      byDepartment: sumBy((r) => num(r.departmentId)).map(([departmentId, count]) => ({ departmentId, name: departmentId === null ? null : departmentNames.get(departmentId) ?? null, count })),
    },
    firstResponse: percentiles(firstHist, FIRST_RESPONSE_BUCKET_MS),
    resolution: percentiles(resolutionHist, RESOLUTION_BUCKET_MS),
    compliance: { sla: ratio(false), legal: ratio(true) },
    satisfaction,
    agents: [...agents.values()].sort((a, b) => b.resolved - a.resolved || a.agentId - b.agentId),
    backlog,
  };
}

/**
 * Median and 90th percentile from a histogram of (bucket, count): the value is the middle of the bucket holding the
 * nearest-rank element, so it is exact to half a bucket (30 s for first responses, 5 min for resolutions).
 */
export function percentiles(hist: { b: number; n: number }[], bucketMs: number): DurationStats {
  const sorted = hist.map((h) => ({ b: Number(h.b), n: Number(h.n) })).sort((x, y) => x.b - y.b);
  const count = sorted.reduce((s, h) => s + h.n, 0);
  if (!count) return { count: 0, medianSeconds: null, p90Seconds: null };
  const at = (p: number) => {
    const rank = Math.max(1, Math.ceil(p * count));
    let seen = 0;
    for (const h of sorted) {
      seen += h.n;
      if (seen >= rank) return Math.round(((h.b + 0.5) * bucketMs) / 1000);
    }
    return null;
  };
  return { count, medianSeconds: at(0.5), p90Seconds: at(0.9) };
}

async function backlogQuery(
  q: <T extends object>(sql: string, r?: Record<string, unknown>) => Promise<T[]>,
  now: Date,
  andCase: string,
  params: Record<string, unknown>,
): Promise<{ bucket: string; count: number }[]> {
  // Cut-offs are computed here and passed in, so the SQL has no dialect-specific date arithmetic.
  const cut = Object.fromEntries(BACKLOG_BUCKETS.filter(([, d]) => Number.isFinite(d)).map(([, d], i) => [`cut${i}`, new Date(now.getTime() - d * 86_400_000)]));
  const cases = BACKLOG_BUCKETS.map(([label, d], i) => (Number.isFinite(d) ? `WHEN c.registeredAt >= :cut${i} THEN '${label}'` : `ELSE '${label}'`)).join(' ');
  const rows = await q<{ bucket: string; n: number }>(
    `SELECT CASE ${cases} END AS bucket, COUNT(*) AS n FROM conversations c WHERE c.status IN (${STATUS_LIST})${andCase} GROUP BY CASE ${cases} END`,
    { ...params, ...cut },
  );
  return BACKLOG_BUCKETS.map(([label]) => ({ bucket: label, count: rows.filter((r) => r.bucket === label).reduce((s, r) => s + Number(r.n), 0) }));
}

/** Table and columns where the portal stores the citizens' ratings, if this installation has them. */
const RATING_TABLES: { table: string; score: string }[] = [
  { table: 'satisfaction_ratings', score: 'score' },
  { table: 'ratings', score: 'score' },
  { table: 'survey_responses', score: 'score' },
];

async function satisfactionQuery(
  sequelize: Sequelize,
  q: <T extends object>(sql: string, r?: Record<string, unknown>) => Promise<T[]>,
  andCase: string,
  params: Record<string, unknown>,
): Promise<SupervisorReport['satisfaction']> {
  const tables = new Set(((await sequelize.getQueryInterface().showAllTables()) as unknown[]).map((t) => (typeof t === 'string' ? t : String((t as { tableName?: string }).tableName))));
  for (const t of RATING_TABLES) {
    if (!tables.has(t.table)) continue;
    const columns = await sequelize.getQueryInterface().describeTable(t.table);
    if (!(t.score in columns) || !('conversationId' in columns) || !('createdAt' in columns)) continue;
    const [row] = await q<{ n: number; avg: number | null }>(
      `SELECT COUNT(*) AS n, AVG(r.${t.score}) AS avg FROM ${t.table} r JOIN conversations c ON c.id = r.conversationId
        WHERE r.createdAt >= :start AND r.createdAt < :end${andCase}`,
      params,
    );
    return { available: true, count: Number(row?.n ?? 0), average: row?.avg === null || row?.avg === undefined ? null : Number(row.avg) };
  }
  return { available: false, count: 0, average: null };
}

/** The report as CSV (long format: section, dimension, key, metric, value), for spreadsheets. */
export function reportCsv(r: SupervisorReport): string {
  const rows: (string | number | null)[][] = [['section', 'dimension', 'key', 'metric', 'value']];
  rows.push(['volume', 'total', '', 'cases', r.volume.total]);
  for (const v of r.volume.byChannel) rows.push(['volume', 'channel', v.channel, 'cases', v.count]);
  for (const v of r.volume.byCategory) rows.push(['volume', 'category', v.name ?? '(none)', 'cases', v.count]);
  for (const v of r.volume.byDepartment) rows.push(['volume', 'department', v.name ?? '(none)', 'cases', v.count]);
  for (const [name, s] of [['first_response', r.firstResponse], ['resolution', r.resolution]] as const) {
    rows.push(['time', name, '', 'count', s.count], ['time', name, '', 'median_seconds', s.medianSeconds], ['time', name, '', 'p90_seconds', s.p90Seconds]);
  }
  for (const [name, c] of [['sla', r.compliance.sla], ['legal', r.compliance.legal]] as const) {
    rows.push(['compliance', name, '', 'met', c.met], ['compliance', name, '', 'breached', c.breached], ['compliance', name, '', 'share', c.share]);
  }
  rows.push(['satisfaction', 'ratings', r.satisfaction.available ? '' : 'not stored', 'count', r.satisfaction.count], ['satisfaction', 'ratings', '', 'average', r.satisfaction.average]);
  for (const a of r.agents) {
    for (const [metric, value] of [['resolved', a.resolved], ['sla_met', a.slaMet], ['sla_breached', a.slaBreached], ['replies_sent', a.repliesSent], ['median_resolution_seconds', a.medianResolutionSeconds]] as const) {
      rows.push(['agent', 'agent', a.name, metric, value]);
    }
  }
  for (const b of r.backlog) rows.push(['backlog', 'age', b.bucket, 'open_cases', b.count]);
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  // Cells starting with = + - @ are prefixed so a spreadsheet does not run them as formulas.
  const safe = /^[=+\-@\t\r]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
