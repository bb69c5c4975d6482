/** Small statistics helpers shared by the benchmarks. */

/** The q-quantile (0..1) of the values, by nearest rank. */
export function quantile(values: number[], q: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** Milliseconds since `start` (from process.hrtime.bigint()). */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Runs `task(i)` for i in 0..count-1 with at most `concurrency` in flight; returns each task's latency in ms. */
export async function runConcurrent(count: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = new Array(count);
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        const t0 = process.hrtime.bigint();
        await task(i);
        latencies[i] = msSince(t0);
      }
    }),
  );
  return { latencies, seconds: msSince(started) / 1000 };
}

/** Prints rows as an aligned text table. */
export function printTable(rows: Record<string, string | number>[]): void {
  if (!rows.length) return;
  const keys = Object.keys(rows[0]!);
  const cell = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => cell(r[k]!).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  console.log(line(keys));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(keys.map((k) => cell(r[k]!))));
}
