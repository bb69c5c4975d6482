import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
import { logger } from '../log';
import { DEFAULT_ATTEMPTS, DEFAULT_BACKOFF_MS, DEFAULT_CONCURRENCY, DEFAULT_FAILED_LIMIT, KEEP_COMPLETED, errorMessage, isJobName, parseJobData, resolveJob } from './jobOptions';
import { QUEUE_NAME, type JobData, type JobName } from './names';
import { UnrecoverableJobError, type EnqueueOptions, type FailedJob, type JobHandler, type JobInfo, type JobQueue } from './types';

const log = logger('jobs.bullmq');

/** Options of the BullMQ driver beyond the Redis URL. */
export interface BullmqQueueOptions {
  /** Key prefix in Redis (BullMQ's default is `bull`); tests use a random one to keep runs apart. */
  prefix?: string;
}

type AnyHandler = (data: unknown, job: JobInfo) => Promise<void>;

/**
 * BullMQ refuses custom ids with one `:` (`send:12`), so ours are stored with `%` and `:` escaped. The escape
 * is reversible, so failed() and retry() speak our ids. Ids BullMQ makes itself (scheduler runs such as
 * `repeat:sla.sweep:1700000000000`) contain no escape and pass through unchanged.
 */
export function toBullmqId(id: string): string {
  return id.replace(/%/g, '%25').replace(/:/g, '%3A');
}

/** The inverse of toBullmqId. */
export function fromBullmqId(id: string): string {
  if (id.includes(':')) return id;
  return id.replace(/%3A/g, ':').replace(/%25/g, '%');
}

/**
 * The job driver on Redis: one queue (QUEUE_NAME) shared by every process, a worker in the processes that call
 * start(). Failed jobs are kept; completed ones are capped, as in the local driver.
 */
export class BullmqJobQueue implements JobQueue {
  readonly driver = 'bullmq' as const;

  private readonly connection: ConnectionOptions;
  /** Spread into each BullMQ option bag; empty keeps BullMQ's default prefix. */
  private readonly prefix: { prefix?: string };
  private readonly queue: Queue;
  private readonly handlers = new Map<JobName, AnyHandler>();
  private worker: Worker | null = null;

  constructor(redisUrl: string, opts: BullmqQueueOptions = {}) {
    this.connection = { url: redisUrl };
    this.prefix = opts.prefix ? { prefix: opts.prefix } : {};
    this.queue = new Queue(QUEUE_NAME, { connection: this.connection, ...this.prefix });
    this.queue.on('error', (err) => log.error({ err: errorMessage(err) }, 'job queue connection error'));
  }

  async enqueue<N extends JobName>(name: N, data: JobData<N>, opts: EnqueueOptions = {}): Promise<{ id: string; created: boolean }> {
    const job = resolveJob(name, data, opts);
    const options: JobsOptions = { ...jobOptions(job.attempts, job.backoffMs), delay: job.delayMs || undefined };
    if (job.jobId === undefined) {
      const added = await this.queue.add(name, job.data, options);
      return { id: added.id ?? '', created: true };
    }
    const bullId = toBullmqId(job.jobId);
    if (await this.queue.getJob(bullId)) return { id: job.jobId, created: false };
    // BullMQ answers a duplicate add with the existing job's id and no flag. When two processes race past the
    // check above, the stored job keeps the winner's timestamp: a different one means this call added nothing.
    const added = await this.queue.add(name, job.data, { ...options, jobId: bullId });
    const stored = await this.queue.getJob(bullId);
    return { id: job.jobId, created: stored === undefined || stored.timestamp === added.timestamp };
  }

  handle<N extends JobName>(name: N, handler: JobHandler<N>): void {
    // Stored without its type parameter; process() parses the payload with the same name's schema first.
    this.handlers.set(name, handler as unknown as AnyHandler);
  }

  /** One job scheduler per name: a second call, from any process, updates it instead of adding another. */
  async repeat<N extends JobName>(name: N, everyMs: number, data: JobData<N>): Promise<void> {
    if (!Number.isInteger(everyMs) || everyMs < 1) throw new Error(`repeat(${name}): everyMs must be a whole number ≥ 1 (got ${everyMs}).`);
    const job = resolveJob(name, data);
    await this.queue.upsertJobScheduler(name, { every: everyMs }, { name, data: job.data, opts: jobOptions(DEFAULT_ATTEMPTS, DEFAULT_BACKOFF_MS) });
  }

  async start(opts: { concurrency?: number } = {}): Promise<void> {
    if (this.worker) return;
    const worker = new Worker(QUEUE_NAME, (job: Job) => this.process(job), {
      connection: this.connection,
      ...this.prefix,
      concurrency: Math.max(1, opts.concurrency ?? DEFAULT_CONCURRENCY),
    });
    worker.on('error', (err) => log.error({ err: errorMessage(err) }, 'job worker error'));
    worker.on('failed', (job, err) => {
      if (!job) return;
      const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
      const fields = { jobId: job.id ? fromBullmqId(job.id) : undefined, job: job.name, attempt: job.attemptsMade, err: errorMessage(err) };
      if (final) log.error(fields, 'job failed');
      else log.debug(fields, 'job attempt failed; will retry');
    });
    this.worker = worker;
    await worker.waitUntilReady();
  }

  async failed(limit = DEFAULT_FAILED_LIMIT): Promise<FailedJob[]> {
    const jobs = await this.queue.getFailed(0, Math.max(1, Math.floor(limit)) - 1);
    return jobs
      .filter((job): job is Job & { id: string } => job !== undefined && job !== null && typeof job.id === 'string')
      .map((job) => ({
        id: fromBullmqId(job.id),
        name: job.name as JobName,
        data: job.data as unknown,
        error: job.failedReason ?? '',
        attempts: job.attemptsMade,
        failedAt: new Date(job.finishedOn ?? job.processedOn ?? job.timestamp),
      }));
  }

  /** Gives a failed job a fresh set of attempts. */
  async retry(id: string): Promise<void> {
    const job = (await this.queue.getJob(toBullmqId(id))) ?? (id.includes(':') ? await this.queue.getJob(id) : undefined);
    if (!job || (await job.getState()) !== 'failed') throw new Error(`Job ${id} is not a failed job: only failed jobs can be retried.`);
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
  }

  async counts(): Promise<Record<'waiting' | 'delayed' | 'active' | 'failed' | 'completed', number>> {
    const c = await this.queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'failed', 'completed');
    return {
      waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
      delayed: c.delayed ?? 0,
      active: c.active ?? 0,
      failed: c.failed ?? 0,
      completed: c.completed ?? 0,
    };
  }

  /** Closes the worker first (it waits for running jobs), then the queue's connection. */
  async close(): Promise<void> {
    if (this.worker) await this.worker.close();
    this.worker = null;
    await this.queue.close();
  }

  private async process(job: Job): Promise<void> {
    const name = job.name;
    if (!isJobName(name)) throw new UnrecoverableError(`Unknown job name "${name}".`);
    const parsed = parseJobData(name, job.data);
    if (!parsed.ok) throw new UnrecoverableError(parsed.error);
    const handler = this.handlers.get(name);
    // Not unrecoverable: another worker (or this one after a deploy) may have the handler.
    if (!handler) throw new Error(`No handler for job ${name} in this process.`);
    const info: JobInfo = { id: fromBullmqId(job.id ?? ''), name, attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1 };
    try {
      await handler(parsed.data, info);
    } catch (err) {
      if (err instanceof UnrecoverableJobError) throw new UnrecoverableError(err.message);
      throw err;
    }
  }
}

/** Retry and retention options every job gets: failed jobs kept for inspection, completed ones capped. */
function jobOptions(attempts: number, backoffMs: number): JobsOptions {
  return {
    attempts,
    backoff: { type: 'exponential', delay: backoffMs },
    removeOnFail: false,
    removeOnComplete: { count: KEEP_COMPLETED },
  };
}
