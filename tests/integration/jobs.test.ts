import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { QueryTypes } from 'sequelize';
import { openDatabase, type Database } from '../../db/connection';
import { createJobQueue } from '../../server/jobs/createJobQueue';
import { BullmqJobQueue, toBullmqId } from '../../server/jobs/bullmqQueue';
import { LocalJobQueue, type LocalQueueOptions } from '../../server/jobs/localQueue';
import { QUEUE_NAME, type JobData } from '../../server/jobs/names';
import { UnrecoverableJobError, type JobHandler, type JobQueue } from '../../server/jobs/types';
import { createTestContext, type TestContext } from '../helpers/context';
import { services, type TestDialect } from '../helpers/services';

jest.setTimeout(60_000);

/** Polls `check` until it returns something truthy, or fails naming what it waited for. */
async function waitFor<T>(what: string, check: () => Promise<T | false> | T | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | false | undefined;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Run {
  value: string;
  attempt: number;
  jobId: string;
  at: number;
}

/** A `test.echo` handler that records each run and fails as its payload (or the test) asks. */
function recorder() {
  const runs: Run[] = [];
  const finished: string[] = [];
  /** Values that fail while present here, like a provider outage. */
  const blocked = new Set<string>();
  /** Values whose run waits for the promise here before finishing. */
  const gates = new Map<string, Promise<void>>();
  const handler: JobHandler<'test.echo'> = async (data, job) => {
    runs.push({ value: data.value, attempt: job.attempt, jobId: job.id, at: Date.now() });
    const gate = gates.get(data.value);
    if (gate) await gate;
    if (data.permanent) throw new UnrecoverableJobError(`permanent failure of ${data.value}`);
    if (blocked.has(data.value)) throw new Error(`${data.value} is blocked`);
    if (job.attempt <= (data.failTimes ?? 0)) throw new Error(`planned failure ${job.attempt} of ${data.value}`);
    finished.push(data.value);
  };
  return { runs, finished, blocked, gates, handler, of: (value: string) => runs.filter((r) => r.value === value) };
}

/** The failed jobs, or false while there are none (for waitFor). */
async function someFailed(queue: JobQueue) {
  const list = await queue.failed();
  return list.length > 0 && list;
}

function gaps(runs: Run[]): number[] {
  return runs.slice(1).map((run, i) => run.at - runs[i].at);
}

/**
 * Waits for `runs` runs of a schedule and checks there was only ever one: a second schedule would keep a second
 * next run waiting beside the first (BullMQ adds the next run as the current one starts, so active is left out),
 * and would put about half of the runs right after another one.
 */
async function expectOneSchedule(queue: JobQueue, runsOf: () => Run[], everyMs: number, runs: number): Promise<void> {
  let mostPending = 0;
  await waitFor(`${runs} runs`, async () => {
    const counts = await queue.counts();
    mostPending = Math.max(mostPending, counts.waiting + counts.delayed);
    return runsOf().length >= runs;
  });
  expect(mostPending).toBe(1);
  // The first run is late by the worker's start-up, so the rhythm is measured from the second one.
  const later = gaps(runsOf()).slice(1).sort((a, b) => a - b);
  expect(later[Math.floor(later.length / 2)]).toBeGreaterThanOrEqual(everyMs * 0.7);
}

/** What each driver's storage offers the shared suite. */
interface Harness {
  /** A new queue on the same storage, as another process (or this one after a restart) would open it. */
  open(opts?: LocalQueueOptions): JobQueue;
  /** Stores a job without enqueue's validation, as an older release or a bad producer could. */
  injectRaw(name: string, data: unknown, jobId: string): Promise<void>;
  /** Closes the queues this test opened and empties the storage. */
  reset(): Promise<void>;
  teardown(): Promise<void>;
}

/** The local driver on a fresh database; each queue gets its own connection, like a separate process. */
async function localHarness(dialect: TestDialect): Promise<Harness & { tc: TestContext; db: Database }> {
  const tc = await createTestContext(dialect);
  const db = tc.ctx.db;
  let opened: Array<{ queue: JobQueue; db: Database }> = [];
  return {
    tc,
    db,
    open: (opts = {}) => {
      const conn = openDatabase(tc.databaseUrl);
      const queue = new LocalJobQueue(conn, { pollMs: 25, ...opts });
      opened.push({ queue, db: conn });
      return queue;
    },
    injectRaw: async (name, data, jobId) => {
      const now = Date.now();
      await db.sequelize.query(
        `INSERT INTO jobs (id, name, data, state, runAt, attemptsMade, maxAttempts, backoffMs, createdAt, updatedAt)
         VALUES (:jobId, :name, :data, 'waiting', :now, 0, 3, 10, :now, :now)`,
        { replacements: { jobId, name, data: JSON.stringify(data), now }, type: QueryTypes.INSERT },
      );
    },
    reset: async () => {
      for (const { queue, db: conn } of opened) {
        await queue.close();
        await conn.close();
      }
      opened = [];
      await db.sequelize.query('DELETE FROM jobs', { type: QueryTypes.BULKDELETE });
    },
    teardown: () => tc.cleanup(),
  };
}

/** The BullMQ driver on the test Redis, with a new key prefix per test. */
async function bullmqHarness(): Promise<Harness> {
  const url = services.redisUrl();
  const run = randomBytes(4).toString('hex');
  let n = 0;
  let prefix = `test-${run}-${n}`;
  let opened: JobQueue[] = [];
  const redis = new Redis(url);
  const dropPrefix = async (p: string) => {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${p}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  };
  return {
    open: () => {
      const queue = new BullmqJobQueue(url, { prefix });
      opened.push(queue);
      return queue;
    },
    injectRaw: async (name, data, jobId) => {
      const raw = new Queue(QUEUE_NAME, { connection: { url }, prefix });
      await raw.add(name, data, { jobId: toBullmqId(jobId), attempts: 3, backoff: { type: 'exponential', delay: 10 }, removeOnFail: false });
      await raw.close();
    },
    reset: async () => {
      for (const queue of opened) await queue.close();
      opened = [];
      await dropPrefix(prefix);
      prefix = `test-${run}-${++n}`;
    },
    teardown: async () => {
      await redis.quit();
    },
  };
}

const DRIVERS: Array<[label: string, make: () => Promise<Harness>]> = [
  ['local driver on sqlite', () => localHarness('sqlite')],
  ['local driver on mariadb', () => localHarness('mariadb')],
  ['bullmq driver on redis', () => bullmqHarness()],
];

describe.each(DRIVERS)('job queue: %s', (_label, make) => {
  let h: Harness;
  beforeAll(async () => {
    h = await make();
  });
  afterEach(async () => {
    await h.reset();
  });
  afterAll(async () => {
    await h?.teardown();
  });

  /** A started queue with the recorder as the `test.echo` handler. */
  async function worker(queue = h.open()) {
    const r = recorder();
    queue.handle('test.echo', r.handler);
    await queue.start({ concurrency: 2 });
    return { queue, r };
  }

  it('runs a job once and counts it completed', async () => {
    const { queue, r } = await worker();
    const { id, created } = await queue.enqueue('test.echo', { value: 'once' });
    expect(created).toBe(true);
    await waitFor('the job to complete', async () => (await queue.counts()).completed === 1);
    expect(r.runs).toEqual([expect.objectContaining({ value: 'once', attempt: 1, jobId: id })]);
    expect(await queue.counts()).toEqual({ waiting: 0, delayed: 0, active: 0, failed: 0, completed: 1 });
  });

  it('does the work once when the same job id is enqueued again, before, during or after the run', async () => {
    const queue = h.open();
    const first = await queue.enqueue('test.echo', { value: 'dup' }, { jobId: 'echo:dup' });
    const second = await queue.enqueue('test.echo', { value: 'dup-other' }, { jobId: 'echo:dup' });
    expect(first).toEqual({ id: 'echo:dup', created: true });
    expect(second).toEqual({ id: 'echo:dup', created: false });
    // Concurrent enqueues from several callers still leave one job.
    await Promise.all(Array.from({ length: 5 }, () => queue.enqueue('test.echo', { value: 'dup-race' }, { jobId: 'echo:dup' })));
    const { r } = await worker(queue);
    await waitFor('the job to complete', async () => (await queue.counts()).completed === 1);
    expect(await queue.enqueue('test.echo', { value: 'dup-late' }, { jobId: 'echo:dup' })).toEqual({ id: 'echo:dup', created: false });
    expect(await queue.counts()).toEqual({ waiting: 0, delayed: 0, active: 0, failed: 0, completed: 1 });
    expect(r.runs).toEqual([expect.objectContaining({ value: 'dup', jobId: 'echo:dup' })]);
  });

  it('holds a delayed job until its time', async () => {
    const { queue, r } = await worker();
    const t0 = Date.now();
    await queue.enqueue('test.echo', { value: 'later' }, { delayMs: 700 });
    expect((await queue.counts()).delayed).toBe(1);
    const [run] = await waitFor('the delayed job to run', () => r.of('later').length === 1 && r.of('later'));
    expect(run.at - t0).toBeGreaterThanOrEqual(690);
    await waitFor('the job to complete', async () => (await queue.counts()).completed === 1);
  });

  it('retries with exponential backoff until the job succeeds', async () => {
    const { queue, r } = await worker();
    await queue.enqueue('test.echo', { value: 'flaky', failTimes: 2 }, { jobId: 'echo:flaky', attempts: 5, backoffMs: 150 });
    await waitFor('the job to complete', async () => (await queue.counts()).completed === 1);
    const runs = r.of('flaky');
    expect(runs.map((run) => run.attempt)).toEqual([1, 2, 3]);
    const [wait1, wait2] = gaps(runs);
    expect(wait1).toBeGreaterThanOrEqual(140);
    expect(wait2).toBeGreaterThanOrEqual(290);
    expect(r.finished).toEqual(['flaky']);
    expect(await queue.failed()).toEqual([]);
  });

  it('keeps a job that failed its last attempt, with the error, for inspection', async () => {
    const { queue, r } = await worker();
    const before = Date.now();
    await queue.enqueue('test.echo', { value: 'doomed', failTimes: 99 }, { jobId: 'echo:doomed', attempts: 3, backoffMs: 20 });
    const [failed] = await waitFor('the job to fail', () => someFailed(queue));
    expect(failed).toEqual({
      id: 'echo:doomed',
      name: 'test.echo',
      data: { value: 'doomed', failTimes: 99 },
      error: 'planned failure 3 of doomed',
      attempts: 3,
      failedAt: expect.any(Date),
    });
    expect(failed.failedAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(r.of('doomed').map((run) => run.attempt)).toEqual([1, 2, 3]);
    expect(await queue.counts()).toEqual({ waiting: 0, delayed: 0, active: 0, failed: 1, completed: 0 });
  });

  it('fails an UnrecoverableJobError at once, without retries', async () => {
    const { queue, r } = await worker();
    await queue.enqueue('test.echo', { value: 'fatal', permanent: true }, { jobId: 'echo:fatal', attempts: 5, backoffMs: 20 });
    const [failed] = await waitFor('the job to fail', () => someFailed(queue));
    expect(failed).toMatchObject({ id: 'echo:fatal', error: 'permanent failure of fatal', attempts: 1 });
    expect(r.of('fatal')).toHaveLength(1);
    expect(await queue.counts()).toMatchObject({ waiting: 0, delayed: 0, active: 0, failed: 1 });
  });

  it('retry(id) runs a failed job again with fresh attempts', async () => {
    const { queue, r } = await worker();
    r.blocked.add('outage');
    await queue.enqueue('test.echo', { value: 'outage' }, { jobId: 'echo:outage', attempts: 2, backoffMs: 20 });
    await waitFor('the job to fail', async () => (await queue.counts()).failed === 1);
    expect(r.of('outage').map((run) => run.attempt)).toEqual([1, 2]);

    await expect(queue.retry('echo:unknown')).rejects.toThrow(/not a failed job/);
    r.blocked.delete('outage');
    await queue.retry('echo:outage');
    await waitFor('the retried job to complete', async () => (await queue.counts()).completed === 1);
    expect(r.of('outage').map((run) => run.attempt)).toEqual([1, 2, 1]);
    expect(await queue.failed()).toEqual([]);
    await expect(queue.retry('echo:outage')).rejects.toThrow(/not a failed job/);
  });

  it('refuses an invalid payload or job id at enqueue and stores nothing', async () => {
    const queue = h.open();
    const bad = { value: 42 } as unknown as JobData<'test.echo'>;
    await expect(queue.enqueue('test.echo', bad)).rejects.toThrow(/Invalid data for job test\.echo: value/);
    await expect(queue.enqueue('test.echo', { value: 'x' }, { jobId: 'echo:x' })).resolves.toEqual({ id: 'echo:x', created: true });
    await expect(queue.enqueue('test.echo', { value: 'x' }, { jobId: '12' })).rejects.toThrow(/plain number/);
    await expect(queue.enqueue('test.echo', { value: 'x' }, { attempts: 0 })).rejects.toThrow(/attempts/);
    await expect(queue.repeat('test.echo', 1000, bad)).rejects.toThrow(/Invalid data/);
    expect(await queue.counts()).toEqual({ waiting: 1, delayed: 0, active: 0, failed: 0, completed: 0 });
  });

  it('fails a stored job whose payload does not match its schema, once, and keeps it', async () => {
    await h.injectRaw('test.echo', { value: 7 }, 'echo:raw');
    const { queue, r } = await worker();
    const [failed] = await waitFor('the job to fail', () => someFailed(queue));
    expect(failed).toMatchObject({ id: 'echo:raw', name: 'test.echo', data: { value: 7 }, attempts: 1 });
    expect(failed.error).toMatch(/Invalid data for job test\.echo: value/);
    expect(r.runs).toEqual([]);
  });

  it('repeats a job on one schedule, even when repeat() is called twice', async () => {
    const queue = h.open();
    await queue.repeat('test.echo', 250, { value: 'tick' });
    await queue.repeat('test.echo', 250, { value: 'tick' });
    const { r } = await worker(queue);
    await expectOneSchedule(queue, () => r.of('tick'), 250, 4);
  });

  it('keeps a failed scheduled run as a failed job while the schedule goes on', async () => {
    const { queue, r } = await worker();
    await queue.repeat('test.echo', 200, { value: 'bad-tick', permanent: true });
    const failed = await waitFor('two failed runs', async () => {
      const list = await queue.failed();
      return list.length >= 2 && list;
    });
    for (const job of failed) expect(job).toMatchObject({ id: expect.stringMatching(/^repeat:test\.echo:\d+$/), error: 'permanent failure of bad-tick' });
    expect(new Set(failed.map((job) => job.id)).size).toBe(failed.length);
    expect(r.of('bad-tick').length).toBeGreaterThanOrEqual(2);
  });

  it('close() waits for a running job to finish and record its outcome', async () => {
    const { queue, r } = await worker();
    let release!: () => void;
    r.gates.set('slow', new Promise<void>((resolve) => (release = resolve)));
    await queue.enqueue('test.echo', { value: 'slow' }, { jobId: 'echo:slow' });
    await waitFor('the job to start', () => r.of('slow').length === 1);

    let closed = false;
    const closing = queue.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(closed).toBe(false);
    release();
    await closing;
    expect(r.finished).toEqual(['slow']);
    expect(await h.open().counts()).toEqual({ waiting: 0, delayed: 0, active: 0, failed: 0, completed: 1 });
  });

  it('keeps queued and delayed jobs across a restart', async () => {
    const before = h.open();
    await before.enqueue('test.echo', { value: 'kept-1' }, { jobId: 'echo:kept-1' });
    await before.enqueue('test.echo', { value: 'kept-2' }, { jobId: 'echo:kept-2', delayMs: 300 });
    await before.close();

    const { queue, r } = await worker(h.open());
    await waitFor('both jobs to complete', async () => (await queue.counts()).completed === 2);
    expect(r.finished.sort()).toEqual(['kept-1', 'kept-2']);
  });

  it('keeps one schedule when a restarted process calls repeat() again', async () => {
    const before = h.open();
    await before.repeat('test.echo', 250, { value: 'tock' });
    await before.close();

    const queue = h.open();
    await queue.repeat('test.echo', 250, { value: 'tock' });
    const { r } = await worker(queue);
    await expectOneSchedule(queue, () => r.of('tock'), 250, 4);
  });
});

describe.each(['sqlite', 'mariadb'] as const)('local job queue recovery on %s', (dialect) => {
  let h: Awaited<ReturnType<typeof localHarness>>;
  let scratch: string;
  let children: ChildProcess[] = [];
  beforeAll(async () => {
    h = await localHarness(dialect);
    scratch = mkdtempSync(path.join(os.tmpdir(), 'ghiseu-jobs-'));
  });
  afterEach(async () => {
    // A test that failed half way must not leave its worker process running.
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    children = [];
    await h.reset();
  });
  afterAll(async () => {
    await h?.teardown();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Starts a worker in another process whose handler never returns, and waits until it has taken the job. */
  async function crashingWorker(leaseMs: number) {
    const root = path.resolve(__dirname, '../..');
    const script = path.join(scratch, `worker-${randomBytes(3).toString('hex')}.ts`);
    writeFileSync(
      script,
      `import { openDatabase } from ${JSON.stringify(path.join(root, 'db/connection'))};
import { LocalJobQueue } from ${JSON.stringify(path.join(root, 'server/jobs/localQueue'))};
import { configureLogger } from ${JSON.stringify(path.join(root, 'server/log'))};
configureLogger('silent');
const queue = new LocalJobQueue(openDatabase(process.env.JOB_DB_URL!), { pollMs: 20, leaseMs: ${leaseMs} });
queue.handle('test.echo', async (data) => {
  process.stdout.write('started ' + data.value + '\\n');
  await new Promise(() => {});
});
void queue.start();
`,
    );
    // node itself (not the tsx wrapper, which would leave its own node child running) so SIGKILL ends the worker.
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: root,
      env: { ...process.env, JOB_DB_URL: h.tc.databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await waitFor(`the other process to start the job (output: ${output})`, () => output.includes('started'), 30_000);
    return {
      kill: async () => {
        child.kill('SIGKILL');
        await exited;
      },
    };
  }

  async function row(id: string) {
    const [found] = await h.db.sequelize.query<{ state: string; lockedUntil: number | string; attemptsMade: number }>(
      'SELECT state, lockedUntil, attemptsMade FROM jobs WHERE id = :id',
      { replacements: { id }, type: QueryTypes.SELECT },
    );
    return found;
  }

  it('takes over a job left active by a crashed process once its lease lapses, and not before', async () => {
    const producer = h.open();
    await producer.enqueue('test.echo', { value: 'orphan' }, { jobId: 'echo:orphan', attempts: 3 });
    const other = await crashingWorker(1_500);
    await other.kill();

    const left = await row('echo:orphan');
    expect(left).toMatchObject({ state: 'active', attemptsMade: 1 });
    const leaseEnds = Number(left.lockedUntil);

    const r = recorder();
    const queue = h.open({ leaseMs: 500 });
    queue.handle('test.echo', r.handler);
    expect((await queue.counts()).active).toBe(1);
    await queue.start();
    await waitFor('the orphaned job to complete', async () => (await row('echo:orphan')).state === 'completed');
    const [run] = r.of('orphan');
    expect(run.attempt).toBe(2);
    expect(run.at).toBeGreaterThanOrEqual(leaseEnds);
    expect(r.finished).toEqual(['orphan']);
    expect(await queue.counts()).toEqual({ waiting: 0, delayed: 0, active: 0, failed: 0, completed: 1 });
  });

  it('fails, without running it, a job whose last attempt died with its process', async () => {
    await h.open().enqueue('test.echo', { value: 'last-try' }, { jobId: 'echo:last-try', attempts: 1 });
    const other = await crashingWorker(300);
    await other.kill();

    const r = recorder();
    const queue = h.open();
    queue.handle('test.echo', r.handler);
    await queue.start();
    const [failed] = await waitFor('the job to fail', () => someFailed(queue));
    expect(failed).toMatchObject({ id: 'echo:last-try', attempts: 1, error: expect.stringMatching(/stopped on its last attempt/) });
    expect(r.runs).toEqual([]);
  });
});

describe('createJobQueue', () => {
  let tc: TestContext;
  beforeAll(async () => {
    tc = await createTestContext('sqlite');
  });
  afterAll(async () => {
    await tc?.cleanup();
  });

  it('uses the local driver without REDIS_URL and BullMQ with it', async () => {
    expect(tc.ctx.jobs.driver).toBe('local');
    const local = createJobQueue({ ...tc.config, REDIS_URL: undefined }, tc.ctx.db);
    expect(local.driver).toBe('local');
    await local.close();
    const bullmq = createJobQueue({ ...tc.config, REDIS_URL: services.redisUrl() }, tc.ctx.db);
    expect(bullmq.driver).toBe('bullmq');
    await expect(bullmq.counts()).resolves.toEqual(expect.objectContaining({ failed: expect.any(Number) }));
    await bullmq.close();
  });
});
