import { Op } from 'sequelize';
import { Conversation } from '../../db/models';
import { OPEN_STATUSES } from '../../db/models/Conversation';
import type { AppContext } from '../context';
import { logger } from '../log';
import { recomputeSla } from './recomputeSla';

const log = logger('sla');
const PAGE = 500;
let running: Promise<number> | null = null;
let again = false;

/**
 * Recomputes every open case's clocks (after an SLA policy or the calendar changed), a page at a time, in the
 * background. One run per process at a time; a change made during a run starts one more run after it.
 */
export function recomputeOpenCases(ctx: AppContext): Promise<number> {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    let total = 0;
    do {
      again = false;
      let after = 0;
      for (;;) {
        const page = await Conversation.findAll({
          where: { status: { [Op.in]: [...OPEN_STATUSES] }, id: { [Op.gt]: after } },
          attributes: ['id'],
          order: [['id', 'ASC']],
          limit: PAGE,
        });
        for (const c of page) {
          await recomputeSla(ctx, c.id).catch((err: unknown) => log.error({ err, conversationId: c.id }, 'SLA recompute failed'));
        }
        total += page.length;
        if (page.length < PAGE) break;
        after = page[page.length - 1]!.id;
      }
    } while (again);
    return total;
  })()
    .catch((err: unknown) => {
      log.error({ err }, 'recomputing open cases stopped; the sweeper and the next events keep them current');
      return 0;
    })
    .finally(() => {
      running = null;
    });
  return running;
}
