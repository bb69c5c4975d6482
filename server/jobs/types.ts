import type { JobData, JobName } from './names';

export interface EnqueueOptions {
  /** Deterministic id: enqueueing the same id twice does the work once (e.g. `send:${messageId}`). */
  jobId?: string;
  delayMs?: number;
  /** Total tries including the first (default 5). */
  attempts?: number;
  /** First retry delay; doubles on each retry (default 1000 ms). */
  backoffMs?: number;
}

export interface JobInfo {
  id: string;
  name: JobName;
  /** 1 on the first try. */
  attempt: number;
  maxAttempts: number;
}

export interface FailedJob {
  id: string;
  name: JobName;
  data: unknown;
  error: string;
  attempts: number;
  failedAt: Date;
}

export type JobHandler<N extends JobName> = (data: JobData<N>, job: JobInfo) => Promise<void>;

/**
 * The one job interface with two drivers: BullMQ when REDIS_URL is set, in process otherwise. Both retry
 * with exponential backoff, honour delays and deterministic ids, run recurring jobs, and keep failed jobs.
 */
export interface JobQueue {
  readonly driver: 'bullmq' | 'local';
  enqueue<N extends JobName>(name: N, data: JobData<N>, opts?: EnqueueOptions): Promise<{ id: string; created: boolean }>;
  /** Registers the handler of a job name (before start). */
  handle<N extends JobName>(name: N, handler: JobHandler<N>): void;
  /** Runs `name` every `everyMs` (one schedule across all processes). */
  repeat<N extends JobName>(name: N, everyMs: number, data: JobData<N>): Promise<void>;
  /** Starts processing jobs in this process (the worker role). */
  start(opts?: { concurrency?: number }): Promise<void>;
  failed(limit?: number): Promise<FailedJob[]>;
  /** Puts a failed job back in the queue. */
  retry(id: string): Promise<void>;
  /** Counts by state, for /healthz and the console. */
  counts(): Promise<Record<'waiting' | 'delayed' | 'active' | 'failed' | 'completed', number>>;
  /** Stops taking jobs, waits for running ones, closes connections. */
  close(): Promise<void>;
}

/** Thrown by a handler when retrying cannot help: the job fails at once and is kept as failed. */
export class UnrecoverableJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnrecoverableJobError';
  }
}
