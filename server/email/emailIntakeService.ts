import type { AppContext } from '../context';
import { registerHealthCheck } from '../http/healthz';
import { logger } from '../log';
import type { BackgroundService } from '../services';
import { EmailIntake } from './intake';
import { loadMailboxes, ownMessageIdDomains, type MailboxSpec } from './mailboxes';
import { MailboxWatcher, type WatcherOptions } from './mailboxWatcher';
import { ParsePool, type ParseBudget } from './parsePool';

const log = logger('email');

/** A running intake: its watchers (one per mailbox), shared parse pool and counters. */
export interface RunningIntake {
  intake: EmailIntake;
  watchers: Map<string, MailboxWatcher>;
  /** Stops every watcher and the parse pool; `release: false` keeps the leases, as a process that dies would. */
  stop(opts?: { release?: boolean }): Promise<void>;
}

/**
 * Starts a watcher for every mailbox of IMAP_URL and of the mailboxes table, re-reading the table every
 * `refreshMs` so mailboxes an administrator adds or deactivates start or stop without a restart.
 */
export async function startEmailIntake(ctx: AppContext, opts: WatcherOptions & { refreshMs?: number; mailboxes?: MailboxSpec[]; budget?: ParseBudget; maxAttempts?: number } = {}): Promise<RunningIntake> {
  const pool = new ParsePool(undefined, opts.budget);
  const intake = new EmailIntake(ctx, pool, { ownDomains: ownMessageIdDomains(ctx.config), maxAttempts: opts.maxAttempts });
  const watchers = new Map<string, MailboxWatcher>();
  let stopped = false;
  let syncing: Promise<void> | null = null;
  const sync = async () => {
    const specs = opts.mailboxes ?? (await loadMailboxes(ctx.config));
    if (stopped) return;
    for (const [key, w] of watchers) {
      const spec = specs.find((s) => s.key === key);
      // Gone, deactivated, or changed (a new password, another processed folder): the old watcher stops.
      if (spec && sameSpec(spec, w.spec)) continue;
      watchers.delete(key);
      await w.stop();
    }
    for (const spec of specs) {
      if (stopped || watchers.has(spec.key)) continue;
      const w = new MailboxWatcher(ctx, spec, intake, opts);
      watchers.set(spec.key, w);
      registerHealthCheck(`email:${spec.name}`, () => w.health());
      w.start();
    }
  };
  const resync = () => {
    syncing ??= sync()
      .catch((err: unknown) => log.error({ err }, 'could not reload mailboxes'))
      .finally(() => (syncing = null));
  };
  await sync();
  const timer = setInterval(resync, opts.refreshMs ?? 60_000);
  timer.unref();
  return {
    intake,
    watchers,
    async stop(stopOpts: { release?: boolean } = {}) {
      stopped = true;
      clearInterval(timer);
      await syncing;
      await Promise.all([...watchers.values()].map((w) => w.stop(stopOpts)));
      await pool.close();
    },
  };
}

/** The email intake as a background service of the worker role. */
export const emailIntakeService: BackgroundService = {
  name: 'email-intake',
  roles: ['worker'],
  async start(ctx) {
    const running = await startEmailIntake(ctx);
    return { stop: () => running.stop() };
  },
};

function sameSpec(a: MailboxSpec, b: MailboxSpec): boolean {
  return a.host === b.host && a.port === b.port && a.secure === b.secure && a.tlsInsecure === b.tlsInsecure && a.user === b.user && a.pass === b.pass && a.folder === b.folder && a.processedFolder === b.processedFolder;
}
