import type { RequestHandler } from 'express';
import type { AppContext } from '../context';

/** A named check that /healthz runs; channels register theirs (mailboxes, Twilio, letters inbox). */
export type HealthCheck = () => Promise<Record<string, unknown> & { ok: boolean }>;

const checks = new Map<string, HealthCheck>();

/** Adds a section to /healthz. */
export function registerHealthCheck(name: string, check: HealthCheck): void {
  checks.set(name, check);
}

async function timed<T>(fn: () => Promise<T>, ms = 2000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([fn(), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** GET /healthz: 200 with the state of the database, the job system and each channel; 503 when the database is down. */
export function healthz(ctx: AppContext): RequestHandler {
  return async (_req, res) => {
    const started = Date.now();
    const database = await timed(async () => {
      await ctx.db.sequelize.query('SELECT 1');
      return { ok: true, dialect: ctx.db.dialect };
    }).catch((err: Error) => ({ ok: false, dialect: ctx.db.dialect, error: err.message }));
    const jobs = await timed(async () => ({ ok: true, driver: ctx.jobs.driver, ...(await ctx.jobs.counts()) })).catch((err: Error) => ({
      ok: false,
      driver: ctx.jobs.driver,
      error: err.message,
    }));
    const channels: Record<string, unknown> = {};
    for (const [name, check] of checks) {
      channels[name] = await timed(check).catch((err: Error) => ({ ok: false, error: err.message }));
    }
    const ok = database.ok;
    res.status(ok ? 200 : 503).json({ ok, database, jobs, channels, tookMs: Date.now() - started });
  };
}
