import type { AppContext } from '../context';
import { AgentSession } from '../../db/models';
import { Op } from 'sequelize';

/**
 * Registers every job handler and recurring schedule. Features add their handlers here, so a worker process
 * knows every job any web process may enqueue.
 */
export function registerJobHandlers(ctx: AppContext): void {
  ctx.jobs.handle('maintenance.cleanup', async () => {
    await AgentSession.destroy({ where: { expiresAt: { [Op.lt]: new Date() } } });
  });
  ctx.jobs.handle('test.echo', async () => {});
  void ctx.jobs.repeat('maintenance.cleanup', 60 * 60_000, {});
}
