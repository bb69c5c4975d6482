import { Op } from 'sequelize';
import { Offer } from '../../db/models';
import { logger } from '../log';
import { endOffer } from './answerOffer';
import { heartbeat, revokeOffersOfDisconnected, sweepDeadSockets } from './connections';
import { routeEntry, routeWaiting } from './offerConversation';
import type { RoutingRuntime } from './runtime';
import { runSweepTasks } from './sweepTasks';
import { findUnqueued, syncQueueEntry } from './syncQueueEntry';

const log = logger('routing.sweeper');

export interface SweepReport {
  expired: number;
  revoked: number;
  requeued: number;
  offered: number;
  /** What the registered tasks (live calls) moved, by task name. */
  tasks?: Record<string, number>;
}

/**
 * One pass of the DB-driven sweeper: expire offers past their deadline and offer those cases on; revoke offers of
 * agents gone for longer than the grace period; put back in a queue any open unassigned case that has no waiting
 * entry (a crash between a commit and the enqueue); offer waiting cases to free agents. Everything it needs is in
 * the database, so it is right after a restart or with Redis wiped, and several processes may sweep at once.
 */
export async function sweepOnce(r: RoutingRuntime, opts: { reconcile?: boolean } = {}): Promise<SweepReport> {
  const report: SweepReport = { expired: 0, revoked: 0, requeued: 0, offered: 0 };
  const due = await Offer.findAll({ where: { state: 'pending', expiresAt: { [Op.lte]: new Date() } }, order: [['expiresAt', 'ASC']], limit: 200 });
  for (const o of due) {
    if (await endOffer(r, o, 'expired', 'timeout')) {
      report.expired++;
      await routeEntry(r, o.queueEntryId);
    }
  }
  report.revoked = await revokeOffersOfDisconnected(r);
  if (opts.reconcile !== false) {
    for (const conversationId of await findUnqueued(r, 100)) {
      const sync = await syncQueueEntry(r, conversationId);
      if (sync.route) report.requeued++;
    }
  }
  report.offered = await routeWaiting(r, { limit: 100 });
  report.tasks = await runSweepTasks(r, (name, err) => log.error({ err, task: name }, 'a routing sweep task failed; retrying on the next pass'));
  return report;
}

/** Runs the sweeper every `sweepIntervalMs` (never two passes at once in one process) and the socket heartbeat. */
export function startSweeper(r: RoutingRuntime, processId: string): { stop(): Promise<void> } {
  let running: Promise<unknown> | null = null;
  let stopped = false;
  let passes = 0;
  let lastBeat = 0;
  const tick = () => {
    if (running || stopped) return;
    passes++;
    running = (async () => {
      if (Date.now() - lastBeat >= r.settings.heartbeatMs) {
        lastBeat = Date.now();
        await heartbeat(r, processId);
        await sweepDeadSockets(r);
      }
      // Reconciling lost cases scans conversations: every fifth pass is plenty.
      await sweepOnce(r, { reconcile: passes % 5 === 1 });
    })()
      .catch((err: unknown) => log.error({ err }, 'routing sweep failed; retrying on the next tick'))
      .finally(() => (running = null));
  };
  const timer = setInterval(tick, r.settings.sweepIntervalMs);
  timer.unref();
  tick();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
