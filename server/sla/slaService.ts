import type { AppContext } from '../context';
import { logger } from '../log';
import type { BackgroundService } from '../services';
import { recomputeSla } from './recomputeSla';

const log = logger('sla');

/**
 * Keeps due dates current: every committed change to a case (a new contact, a status change, a reply…) re-reads
 * the case and recomputes its clocks. The recompute's own `conversation.changed` (for warnings it raised) runs it
 * once more and finds nothing new, so the loop ends.
 */
export function subscribeSla(ctx: AppContext): () => void {
  const run = async (conversationId: number): Promise<void> => {
    try {
      await recomputeSla(ctx, conversationId);
    } catch (err) {
      log.error({ err, conversationId }, 'SLA recompute failed; the sweeper will retry');
    }
  };
  const offs = [
    ctx.events.on('contact.ingested', (p) => run(p.conversationId)),
    ctx.events.on('conversation.changed', (p) => run(p.conversationId)),
  ];
  return () => offs.forEach((off) => off());
}

/** The SLA subscriber as a background service of web and worker processes. */
export const slaService: BackgroundService = {
  name: 'sla',
  roles: ['web', 'worker'],
  async start(ctx) {
    const off = subscribeSla(ctx);
    return { stop: async () => off() };
  },
};
