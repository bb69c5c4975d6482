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
  stop(): Promise<void>;
}

/**
 * Starts a watcher for every mailbox of IMAP_URL and of the mailboxes table, re-reading the table every
 * `refreshMs` so mailboxes an administrator adds or deactivates start or stop without a restart.
 */
export async function startEmailIntake(ctx: AppContext, opts: WatcherOptions & { refreshMs?: number; mailboxes?: MailboxSpec[]; budget?: ParseBudget; maxAttempts?: number } = {}): Promise<RunningIntake> {
  const pool = new ParsePool(undefined, opts.budget);
  const intake = new EmailIntake(ctx, pool, { ownDomains: ownMessageIdDomains(ctx.config), maxAttempts: opts.maxAttempts });
  const watchers = new Map<string, MailboxWatcher>();
  const sync = async () => {
    const specs = opts.mailboxes ?? (await loadMailboxes(ctx.config));
    for (const spec of specs) {
      if (watchers.has(spec.key)) continue;
      const w = new MailboxWatcher(ctx, spec, intake, opts);
      watchers.set(spec.key, w);
      registerHealthCheck(`email:${spec.name}`, () => w.health());
      w.start();
    }
    for (const [key, w] of watchers) {
      if (specs.some((s) => s.key === key)) continue;
      watchers.delete(key);
      await w.stop();
    }
  };
  await sync();
  const timer = setInterval(() => void sync().catch((err: unknown) => log.error({ err }, 'could not reload mailboxes')), opts.refreshMs ?? 60_000);
  timer.unref();
  return {
    intake,
    watchers,
    async stop() {
      clearInterval(timer);
      await Promise.all([...watchers.values()].map((w) => w.stop()));
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
