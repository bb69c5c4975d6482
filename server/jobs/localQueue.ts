import { randomUUID } from 'node:crypto';
import { QueryTypes, UniqueConstraintError, type Transaction } from 'sequelize';
import type { Database } from '../../db/connection';
import { logger } from '../log';
import {
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  DEFAULT_CONCURRENCY,
  DEFAULT_FAILED_LIMIT,
  KEEP_COMPLETED,
  backoffDelay,
  errorMessage,
  isJobName,
  parseJobData,
  resolveJob,
} from './jobOptions';
import type { JobData, JobName } from './names';
import { UnrecoverableJobError, type EnqueueOptions, type FailedJob, type JobHandler, type JobInfo, type JobQueue } from './types';

const log = logger('jobs.local');

/** Tuning for the embedded driver; the defaults suit production, tests shorten them. */
export interface LocalQueueOptions {
  /** How often the worker looks for due jobs. An enqueue in this process wakes it at once. */
  pollMs?: number;
  /** How long a running job stays locked to this process; renewed while it runs, taken over once it lapses. */
  leaseMs?: number;
}

/** One row of the `jobs` table as a raw query returns it (BIGINT may come back as a string). */
interface JobRow {
  id: string;
  name: string;
  data: string;
  state: 'waiting' | 'active' | 'completed' | 'failed';
  runAt: number | string;
  attemptsMade: number;
  maxAttempts: number;
  backoffMs: number;
  everyMs: number | null;
  lockedBy: string | null;
  lockedUntil: number | string | null;
  error: string | null;
  finishedAt: number | string | null;
}

type Replacements = Record<string, string | number | null>;
type AnyHandler = (data: unknown, job: JobInfo) => Promise<void>;

/** Why a run ended without success, and whether trying again could help. */
interface RunFailure {
  message: string;
  permanent: boolean;
}

const DUE = `((state = 'waiting' AND runAt <= :now) OR (state = 'active' AND lockedUntil <= :now))`;
const PRUNE_EVERY_MS = 60_000;

/**
 * The embedded job driver: the same contract as BullMQ, kept in the `jobs` table so a restart loses nothing.
 * Workers claim a job with a conditional UPDATE and hold it under a lease they renew while it runs; a job whose
 * lease lapsed (its process died) is claimed again, and that lost run counts as one of its attempts.
 */
export class LocalJobQueue implements JobQueue {
  readonly driver = 'local' as const;

  private readonly handlers = new Map<JobName, AnyHandler>();
  private readonly running = new Set<Promise<void>>();
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private concurrency = DEFAULT_CONCURRENCY;
  private started = false;
  private closing = false;
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  private tickAgain = false;
  private lastPruneAt = 0;

  constructor(
    private readonly db: Database,
    opts: LocalQueueOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 250;
    this.leaseMs = opts.leaseMs ?? 30_000;
  }

  /** Stores the job unless one with the same id exists. Call it after the caller's transaction commits. */
  async enqueue<N extends JobName>(name: N, data: JobData<N>, opts: EnqueueOptions = {}): Promise<{ id: string; created: boolean }> {
    const job = resolveJob(name, data, opts);
    const id = job.jobId ?? randomUUID();
    const now = Date.now();
    const created = await this.insert({
      id,
      name,
      data: JSON.stringify(job.data),
      runAt: now + job.delayMs,
      maxAttempts: job.attempts,
      backoffMs: job.backoffMs,
      everyMs: null,
      now,
    });
    if (created) this.wake();
    return { id, created };
  }

  handle<N extends JobName>(name: N, handler: JobHandler<N>): void {
    // Stored without its type parameter; run() parses the payload with the same name's schema before calling it.
    this.handlers.set(name, handler as unknown as AnyHandler);
  }

  /** One schedule row per name (`repeat:<name>`): a second call or a restart updates it rather than adding one. */
  async repeat<N extends JobName>(name: N, everyMs: number, data: JobData<N>): Promise<void> {
    if (!Number.isInteger(everyMs) || everyMs < 1) throw new Error(`repeat(${name}): everyMs must be a whole number ≥ 1 (got ${everyMs}).`);
    const job = resolveJob(name, data);
    const id = `repeat:${name}`;
    const now = Date.now();
    const payload = JSON.stringify(job.data);
    const created = await this.insert({ id, name, data: payload, runAt: now, maxAttempts: DEFAULT_ATTEMPTS, backoffMs: DEFAULT_BACKOFF_MS, everyMs, now });
    if (created) {
      this.wake();
      return;
    }
    // A shorter interval takes effect at once; a schedule left failed or completed by hand is revived.
    await this.write(
      `UPDATE jobs SET data = :data, everyMs = :everyMs, updatedAt = :now,
         runAt = CASE WHEN state = 'waiting' AND runAt > :soonest THEN :soonest ELSE runAt END,
         state = CASE WHEN state IN ('completed', 'failed') THEN 'waiting' ELSE state END
       WHERE id = :id`,
      { id, data: payload, everyMs, now, soonest: now + everyMs },
    );
  }

  async start(opts: { concurrency?: number } = {}): Promise<void> {
    if (this.started) return;
    this.concurrency = Math.max(1, opts.concurrency ?? DEFAULT_CONCURRENCY);
    this.started = true;
    this.wake();
  }

  async failed(limit = DEFAULT_FAILED_LIMIT): Promise<FailedJob[]> {
    const rows = await this.select<JobRow>(`SELECT * FROM jobs WHERE state = 'failed' ORDER BY finishedAt DESC, id LIMIT :limit`, {
      limit: Math.max(1, Math.floor(limit)),
    });
    return rows.map((row) => ({
      id: row.id,
      name: row.name as JobName,
      data: parseJson(row.data),
      error: row.error ?? '',
      attempts: row.attemptsMade,
      failedAt: new Date(Number(row.finishedAt)),
    }));
  }

  /** Gives a failed job a fresh set of attempts, as BullMQ's retry with resetAttemptsMade. */
  async retry(id: string): Promise<void> {
    const changed = await this.write(
      `UPDATE jobs SET state = 'waiting', runAt = :now, attemptsMade = 0, finishedAt = NULL, updatedAt = :now WHERE id = :id AND state = 'failed'`,
      { id, now: Date.now() },
    );
    if (changed !== 1) throw new Error(`Job ${id} is not a failed job: only failed jobs can be retried.`);
    this.wake();
  }

  async counts(): Promise<Record<'waiting' | 'delayed' | 'active' | 'failed' | 'completed', number>> {
    const rows = await this.select<{ state: JobRow['state']; due: number | string; n: number | string }>(
      `SELECT state, CASE WHEN runAt <= :now THEN 1 ELSE 0 END AS due, COUNT(*) AS n FROM jobs GROUP BY state, CASE WHEN runAt <= :now THEN 1 ELSE 0 END`,
      { now: Date.now() },
    );
    const counts = { waiting: 0, delayed: 0, active: 0, failed: 0, completed: 0 };
    for (const row of rows) {
      const n = Number(row.n);
      if (row.state === 'waiting') counts[Number(row.due) === 1 ? 'waiting' : 'delayed'] += n;
      else if (row.state in counts) counts[row.state] += n;
    }
    return counts;
  }

  /** Stops claiming, then waits for the jobs this process is running (they finish and record their outcome). */
  async close(): Promise<void> {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.running.size > 0 || this.ticking) {
      await Promise.allSettled([...this.running]);
      if (this.ticking) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Looks for work now rather than at the next poll. */
  private wake(): void {
    if (!this.started || this.closing) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), 0);
  }

  /** Claims due jobs up to the concurrency limit, then sleeps until the next poll or wake-up. */
  private async tick(): Promise<void> {
    this.timer = null;
    if (this.closing) return;
    this.ticking = true;
    try {
      do {
        this.tickAgain = false;
        while (!this.closing && this.running.size < this.concurrency) {
          const row = await this.claim();
          if (!row) break;
          this.track(this.run(row));
        }
      } while (this.tickAgain && !this.closing);
      await this.pruneCompleted();
    } catch (err) {
      // The database may be briefly unreachable; the next poll tries again.
      log.error({ err: errorMessage(err) }, 'job poll failed');
    } finally {
      this.ticking = false;
    }
    if (!this.closing) this.timer = setTimeout(() => void this.tick(), this.pollMs);
  }

  private track(run: Promise<void>): void {
    this.running.add(run);
    void run.finally(() => {
      this.running.delete(run);
      this.wake();
    });
  }

  /** Takes one due job under a fresh lease. The conditional UPDATE makes two workers never take the same one. */
  private async claim(): Promise<JobRow | null> {
    for (;;) {
      const now = Date.now();
      const candidates = await this.select<{ id: string }>(`SELECT id FROM jobs WHERE ${DUE} ORDER BY runAt, id LIMIT 5`, { now });
      if (candidates.length === 0) return null;
      for (const { id } of candidates) {
        const token = randomUUID();
        const changed = await this.write(
          `UPDATE jobs SET state = 'active', lockedBy = :token, lockedUntil = :until, attemptsMade = attemptsMade + 1, updatedAt = :now
           WHERE id = :id AND ${DUE}`,
          { id, token, until: now + this.leaseMs, now },
        );
        if (changed !== 1) continue;
        const [row] = await this.select<JobRow>(`SELECT * FROM jobs WHERE id = :id AND lockedBy = :token`, { id, token });
        if (!row) continue;
        // A run lost with its process counts as an attempt; when that was the last one the job fails here.
        if (row.attemptsMade > row.maxAttempts) {
          const lost = { ...row, attemptsMade: row.maxAttempts };
          await this.recordFailure(lost, { message: 'The process running this job stopped on its last attempt.', permanent: true });
          continue;
        }
        return row;
      }
    }
  }

  private async run(row: JobRow): Promise<void> {
    const token = row.lockedBy ?? '';
    const renew = setInterval(() => void this.renewLease(row.id, token), Math.max(50, Math.floor(this.leaseMs / 3)));
    try {
      const failure = await this.execute(row);
      if (failure) await this.recordFailure(row, failure);
      else await this.recordSuccess(row);
    } catch (err) {
      // Recording the outcome failed (database gone): the lease lapses and the job runs again, at least once.
      log.error({ jobId: row.id, job: row.name, err: errorMessage(err) }, 'could not record the outcome of a job');
    } finally {
      clearInterval(renew);
    }
  }

  /** Validates the stored payload and calls the handler; returns why it failed, or null on success. */
  private async execute(row: JobRow): Promise<RunFailure | null> {
    if (!isJobName(row.name)) return { message: `Unknown job name "${row.name}".`, permanent: true };
    let raw: unknown;
    try {
      raw = JSON.parse(row.data);
    } catch {
      return { message: `Stored data of job ${row.name} is not JSON.`, permanent: true };
    }
    const parsed = parseJobData(row.name, raw);
    if (!parsed.ok) return { message: parsed.error, permanent: true };
    const handler = this.handlers.get(row.name);
    // Not permanent: another process (or this one after a deploy) may have the handler.
    if (!handler) return { message: `No handler for job ${row.name} in this process.`, permanent: false };
    try {
      await handler(parsed.data, { id: row.id, name: row.name, attempt: row.attemptsMade, maxAttempts: row.maxAttempts });
      return null;
    } catch (err) {
      return { message: errorMessage(err), permanent: err instanceof UnrecoverableJobError };
    }
  }

  private async recordSuccess(row: JobRow): Promise<void> {
    const now = Date.now();
    const token = row.lockedBy;
    if (row.everyMs !== null) {
      await this.write(
        `UPDATE jobs SET state = 'waiting', runAt = :runAt, attemptsMade = 0, error = NULL, lockedBy = NULL, lockedUntil = NULL, updatedAt = :now
         WHERE id = :id AND lockedBy = :token`,
        { id: row.id, token, runAt: nextSlot(Number(row.runAt), row.everyMs, now), now },
      );
      return;
    }
    const changed = await this.write(
      `UPDATE jobs SET state = 'completed', finishedAt = :now, error = NULL, lockedBy = NULL, lockedUntil = NULL, updatedAt = :now
       WHERE id = :id AND lockedBy = :token`,
      { id: row.id, token, now },
    );
    if (changed !== 1) log.warn({ jobId: row.id, job: row.name }, 'job finished after its lease was taken over; it may run twice');
  }

  /** Schedules the next try with backoff, or keeps the job as failed (a schedule keeps running; its failed run is kept apart). */
  private async recordFailure(row: JobRow, failure: RunFailure): Promise<void> {
    const now = Date.now();
    const token = row.lockedBy;
    const base = { id: row.id, token, error: failure.message, attemptsMade: row.attemptsMade, now };
    if (!failure.permanent && row.attemptsMade < row.maxAttempts) {
      const delay = backoffDelay(row.backoffMs, row.attemptsMade + 1);
      log.debug({ jobId: row.id, job: row.name, attempt: row.attemptsMade, retryInMs: delay, err: failure.message }, 'job attempt failed; will retry');
      await this.write(
        `UPDATE jobs SET state = 'waiting', runAt = :runAt, error = :error, lockedBy = NULL, lockedUntil = NULL, updatedAt = :now
         WHERE id = :id AND lockedBy = :token`,
        { ...base, runAt: now + delay },
      );
      return;
    }
    log.error({ jobId: row.id, job: row.name, attempts: row.attemptsMade, err: failure.message }, 'job failed');
    if (row.everyMs === null) {
      await this.write(
        `UPDATE jobs SET state = 'failed', attemptsMade = :attemptsMade, error = :error, finishedAt = :now, lockedBy = NULL, lockedUntil = NULL, updatedAt = :now
         WHERE id = :id AND lockedBy = :token`,
        base,
      );
      return;
    }
    const everyMs = row.everyMs;
    await this.db.transaction(async (transaction) => {
      const changed = await this.write(
        `UPDATE jobs SET state = 'waiting', runAt = :runAt, attemptsMade = 0, error = :error, lockedBy = NULL, lockedUntil = NULL, updatedAt = :now
         WHERE id = :id AND lockedBy = :token`,
        { ...base, runAt: nextSlot(Number(row.runAt), everyMs, now) },
        transaction,
      );
      if (changed !== 1) return;
      // The failed run becomes a one-off failed job (as BullMQ keeps each scheduled run), retryable by its id.
      await this.db.sequelize.query(
        `INSERT INTO jobs (id, name, data, state, runAt, attemptsMade, maxAttempts, backoffMs, everyMs, error, finishedAt, createdAt, updatedAt)
         VALUES (:runId, :name, :data, 'failed', :now, :attemptsMade, :maxAttempts, :backoffMs, NULL, :error, :now, :now, :now)`,
        {
          replacements: { ...base, runId: `${row.id}:${now}`, name: row.name, data: row.data, maxAttempts: row.maxAttempts, backoffMs: row.backoffMs },
          type: QueryTypes.INSERT,
          transaction,
        },
      );
    });
  }

  private async renewLease(id: string, token: string): Promise<void> {
    try {
      const now = Date.now();
      await this.write(`UPDATE jobs SET lockedUntil = :until, updatedAt = :now WHERE id = :id AND lockedBy = :token AND state = 'active'`, {
        id,
        token,
        until: now + this.leaseMs,
        now,
      });
    } catch (err) {
      log.warn({ jobId: id, err: errorMessage(err) }, 'could not renew a job lease');
    }
  }

  /** Keeps the newest KEEP_COMPLETED completed jobs, as BullMQ's removeOnComplete count does. */
  private async pruneCompleted(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPruneAt < PRUNE_EVERY_MS) return;
    this.lastPruneAt = now;
    const [edge] = await this.select<{ finishedAt: number | string }>(
      `SELECT finishedAt FROM jobs WHERE state = 'completed' ORDER BY finishedAt DESC LIMIT 1 OFFSET :keep`,
      { keep: KEEP_COMPLETED },
    );
    if (!edge) return;
    await this.write(`DELETE FROM jobs WHERE state = 'completed' AND finishedAt <= :edge`, { edge: Number(edge.finishedAt) });
  }

  /** Inserts a job row; false when a job with that id already exists (the deterministic-id dedupe). */
  private async insert(job: { id: string; name: JobName; data: string; runAt: number; maxAttempts: number; backoffMs: number; everyMs: number | null; now: number }): Promise<boolean> {
    try {
      await this.db.sequelize.query(
        `INSERT INTO jobs (id, name, data, state, runAt, attemptsMade, maxAttempts, backoffMs, everyMs, createdAt, updatedAt)
         VALUES (:id, :name, :data, 'waiting', :runAt, 0, :maxAttempts, :backoffMs, :everyMs, :now, :now)`,
        { replacements: job, type: QueryTypes.INSERT },
      );
      return true;
    } catch (err) {
      if (err instanceof UniqueConstraintError) return false;
      throw err;
    }
  }

  private async select<T extends object>(sql: string, replacements: Replacements): Promise<T[]> {
    return this.db.sequelize.query<T>(sql, { replacements, type: QueryTypes.SELECT });
  }

  /** Runs an UPDATE or DELETE and returns the number of rows it changed. */
  private async write(sql: string, replacements: Replacements, transaction?: Transaction): Promise<number> {
    const type = /^\s*DELETE/i.test(sql) ? QueryTypes.BULKDELETE : QueryTypes.BULKUPDATE;
    const changed: unknown = await this.db.sequelize.query(sql, { replacements, type, transaction });
    return Number(changed);
  }
}

/** The first slot of a schedule after `now`, keeping its rhythm; missed slots are skipped, not run in a burst. */
function nextSlot(lastRunAt: number, everyMs: number, now: number): number {
  if (lastRunAt + everyMs > now) return lastRunAt + everyMs;
  return lastRunAt + (Math.floor((now - lastRunAt) / everyMs) + 1) * everyMs;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
