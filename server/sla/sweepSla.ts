import { Op } from 'sequelize';
import { SlaTimer } from '../../db/models';
import type { AppContext } from '../context';
import { logger } from '../log';
import { recomputeSla } from './recomputeSla';

const log = logger('sla');

/** Cases looked at per sweep; a larger backlog is worked through by the next sweeps. */
const BATCH = 500;

/**
 * The SLA sweeper (job `sla.sweep`): finds running clocks whose warning or due moment has passed without the
 * event being raised — through the indexed `warnAt`/`dueAt` columns — and recomputes those cases. This is what
 * makes warnings and breaches correct after a restart or a wiped Redis: the database is the source of truth.
 */
export async function sweepSla(ctx: AppContext, now = new Date()): Promise<{ conversations: number; events: number }> {
  const [warn, due] = await Promise.all([
    SlaTimer.findAll({ where: { warnedAt: null, warnAt: { [Op.lte]: now }, stoppedAt: null }, attributes: ['conversationId'], limit: BATCH }),
    SlaTimer.findAll({ where: { breachedAt: null, dueAt: { [Op.lte]: now }, stoppedAt: null }, attributes: ['conversationId'], limit: BATCH }),
  ]);
  const ids = [...new Set([...warn, ...due].map((t) => t.conversationId))].sort((a, b) => a - b);
  let events = 0;
  for (const id of ids) {
    try {
      events += (await recomputeSla(ctx, id, { now }))?.eventIds.length ?? 0;
    } catch (err) {
      // One broken case must not stop the sweep of the others; the next sweep retries it.
      log.error({ err, conversationId: id }, 'SLA recompute failed');
    }
  }
  if (events) log.info({ conversations: ids.length, events }, 'SLA sweep raised events');
  return { conversations: ids.length, events };
}
