import { JOB_SCHEMAS, type JobData, type JobName } from './names';
import type { EnqueueOptions } from './types';

/** Tries per job, the first included, when the caller does not say. */
export const DEFAULT_ATTEMPTS = 5;
/** First retry delay; each later retry waits twice as long as the one before. */
export const DEFAULT_BACKOFF_MS = 1000;
/** Jobs one worker runs at a time when start() is not told otherwise. */
export const DEFAULT_CONCURRENCY = 4;
/**
 * Completed jobs kept per queue. A deterministic id stays deduplicated while its completed job is kept; the
 * jobs themselves re-read state before acting, so a later re-enqueue after pruning does no harm.
 */
export const KEEP_COMPLETED = 1000;
/** Failed jobs listed by failed() when no limit is given. */
export const DEFAULT_FAILED_LIMIT = 50;

const MAX_JOB_ID_LENGTH = 180;

/** Thrown at enqueue when the payload or the options cannot make a valid job. Nothing is stored. */
export class InvalidJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidJobError';
  }
}

/** Checks a job name against the frozen list (names arrive as strings from storage, never trusted). */
export function isJobName(name: string): name is JobName {
  return Object.prototype.hasOwnProperty.call(JOB_SCHEMAS, name);
}

/** Parses a payload with its job's schema; a failure names the job and the bad fields. */
export function parseJobData<N extends JobName>(name: N, data: unknown): { ok: true; data: JobData<N> } | { ok: false; error: string } {
  const result = JOB_SCHEMAS[name].safeParse(data);
  if (result.success) return { ok: true, data: result.data as JobData<N> };
  const fields = result.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
  return { ok: false, error: `Invalid data for job ${name}: ${fields}` };
}

/**
 * The same id rules on both drivers, so a job that enqueues on one enqueues on the other: BullMQ refuses
 * ids that are plain integers (they clash with its own counter) and ids starting with `0:`.
 */
export function checkJobId(id: string): void {
  if (id.length === 0 || id.length > MAX_JOB_ID_LENGTH) throw new InvalidJobError(`Job id must have 1 to ${MAX_JOB_ID_LENGTH} characters (got ${id.length}).`);
  if (/^\d+$/.test(id) || id.startsWith('0:')) throw new InvalidJobError(`Job id "${id}" must not be a plain number: use a kind prefix, e.g. "send:${id}".`);
}

export interface ResolvedJob<N extends JobName> {
  data: JobData<N>;
  jobId?: string;
  delayMs: number;
  attempts: number;
  backoffMs: number;
}

/** Validates data and options for enqueue and fills in the defaults. Throws InvalidJobError. */
export function resolveJob<N extends JobName>(name: N, data: unknown, opts: EnqueueOptions = {}): ResolvedJob<N> {
  if (!isJobName(name)) throw new InvalidJobError(`Unknown job name "${String(name)}".`);
  const parsed = parseJobData(name, data);
  if (!parsed.ok) throw new InvalidJobError(parsed.error);
  if (opts.jobId !== undefined) checkJobId(opts.jobId);
  const attempts = opts.attempts ?? DEFAULT_ATTEMPTS;
  const backoffMs = opts.backoffMs ?? DEFAULT_BACKOFF_MS;
  const delayMs = opts.delayMs ?? 0;
  if (!Number.isInteger(attempts) || attempts < 1) throw new InvalidJobError(`attempts must be a whole number ≥ 1 (got ${attempts}).`);
  if (!Number.isFinite(backoffMs) || backoffMs < 0) throw new InvalidJobError(`backoffMs must be ≥ 0 (got ${backoffMs}).`);
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new InvalidJobError(`delayMs must be ≥ 0 (got ${delayMs}).`);
  return { data: parsed.data, jobId: opts.jobId, delayMs: Math.round(delayMs), attempts, backoffMs: Math.round(backoffMs) };
}

/** The wait before try `nextAttempt` (2, 3, …): backoffMs, then doubling, as BullMQ's exponential backoff. */
export function backoffDelay(backoffMs: number, nextAttempt: number): number {
  return backoffMs * 2 ** Math.max(0, nextAttempt - 2);
}

/** A readable message from anything thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
