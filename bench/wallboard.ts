/**
 * bench/wallboard — the supervisors' wallboard snapshot and the monthly report on the database made by
 * bench/generate-cases.ts (1,000,000 cases and 5,000,000 messages by default). Aims: snapshot p95 ≤ 100 ms,
 * monthly report ≤ 2 s. The snapshot is computed fresh each time (the 3-second cache would hide the cost).
 *
 *   TEST_MARIADB_URL=… npx tsx bench/generate-cases.ts    (once; a few minutes)
 *   TEST_MARIADB_URL=… npx tsx bench/wallboard.ts
 *   BENCH_SNAPSHOTS=100 BENCH_REPORTS=5 …   (BENCH_DATABASE / BENCH_CASES on both for a smaller copy while developing)
 *
 * Measured 2026-11-24 on 1 M cases / 5 M messages / 2.2 M clocks, two cores with a load average of 12.6 (other
 * work running): snapshot p50 146 ms, p95 283 ms; month recounted p95 320 ms; monthly report p50 1.22 s,
 * p95 1.41 s; one department p50 1.53 s, p95 1.62 s. Before the clocks carried their case's columns (migration
 * 202611246004): snapshot p95 622 ms and report p95 9.9 s, also under heavy load.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueryTypes } from 'sequelize';
import { closeContext, createContext } from '../server/boot';
import { addDays, bucharestDate } from '../server/calendar/dates';
import { loadConfig } from '../server/config';
import { configureLogger } from '../server/log';
import { computeWallboard } from '../server/sla/wallboardSnapshot';
import { supervisorReport } from '../server/sla/supervisorReport';
import { benchDatabaseUrl } from './generate-cases';
import { msSince, printTable, quantile } from './stats';

configureLogger('silent');
const SNAPSHOTS = Number(process.env.BENCH_SNAPSHOTS ?? 40);
const COLD = Number(process.env.BENCH_COLD ?? 5);
const REPORTS = Number(process.env.BENCH_REPORTS ?? 5);

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ghiseu-bench-'));
  const ctx = await createContext(loadConfig({ DATA_DIR: dataDir, DATABASE_URL: benchDatabaseUrl(), LOG_LEVEL: 'silent' }), { migrate: true });
  const sequelize = ctx.db.sequelize;
  const [sizes] = await sequelize.query<{ cases: number; messages: number; timers: number }>(
    'SELECT (SELECT COUNT(*) FROM conversations) AS cases, (SELECT COUNT(*) FROM messages) AS messages, (SELECT COUNT(*) FROM sla_timers) AS timers',
    { type: QueryTypes.SELECT },
  );
  console.log('data:', sizes, 'load average:', os.loadavg().map((l) => l.toFixed(1)).join(' '), 'cores:', os.cpus().length);

  // Warm the buffer pool and the connection pool once, as a running server would be.
  await computeWallboard(sequelize, new Date());
  const snapshot: number[] = [];
  let last = await computeWallboard(sequelize, new Date());
  for (let i = 0; i < SNAPSHOTS; i++) {
    const t0 = process.hrtime.bigint();
    last = await computeWallboard(sequelize, new Date());
    snapshot.push(msSince(t0));
  }
  // The same with the month's earlier days recounted too (what one snapshot a minute pays).
  const cold: number[] = [];
  for (let i = 0; i < COLD; i++) {
    const t0 = process.hrtime.bigint();
    await computeWallboard(sequelize, new Date(), { pastDaysCacheMs: 0 });
    cold.push(msSince(t0));
  }

  // The last full calendar month, unfiltered, then narrowed to one department (joins the cases).
  const today = bucharestDate(new Date());
  const firstOfMonth = `${today.slice(0, 8)}01`;
  const to = addDays(firstOfMonth, -1);
  const from = `${to.slice(0, 8)}01`;
  const month: number[] = [];
  const filtered: number[] = [];
  let report = await supervisorReport(sequelize, { from, to });
  for (let i = 0; i < REPORTS; i++) {
    let t0 = process.hrtime.bigint();
    report = await supervisorReport(sequelize, { from, to });
    month.push(msSince(t0));
    t0 = process.hrtime.bigint();
    await supervisorReport(sequelize, { from, to, departmentId: 3 });
    filtered.push(msSince(t0));
  }

  const row = (measure: string, runs: number, values: number[], aim: string) => ({
    measure, runs, 'p50 ms': quantile(values, 0.5), 'p95 ms': quantile(values, 0.95), 'max ms': Math.max(...values), aim,
  });
  printTable([
    row('wallboard snapshot', SNAPSHOTS, snapshot, 'p95 ≤ 100 ms'),
    row('snapshot, month recounted', COLD, cold, '(once a minute)'),
    row(`report ${from}…${to}`, REPORTS, month, '≤ 2000 ms'),
    row('report, one department', REPORTS, filtered, '≤ 2000 ms'),
  ]);
  console.log(
    `snapshot: ${last.departments.length} boards, ${last.departments.reduce((s, d) => s + d.openCases, 0)} open cases, ` +
      `${last.atRisk.length} at risk / ${last.breached.length} breached listed; report: ${report.volume.total} cases in the month, ` +
      `first response median ${report.firstResponse.medianSeconds} s p90 ${report.firstResponse.p90Seconds} s`,
  );
  console.log('load average at the end:', os.loadavg().map((l) => l.toFixed(1)).join(' '));
  await closeContext(ctx);
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
