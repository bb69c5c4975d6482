import { Op } from 'sequelize';
import { AgentSession } from '../../db/models';
import type { AppContext } from '../context';
import { acknowledgeConversation, registerAcknowledgements } from '../acknowledge/acknowledgeConversation';
import { notifyCitizen } from '../notify/notifyCitizen';
import { requeueStuckOutbound, sendOutbound } from '../outbound/sendOutbound';
import { sweepSla } from '../sla/sweepSla';
import { ocrLetter } from '../letters/ocrLetter';

/**
 * Registers every job handler and recurring schedule. Features add their handlers here, so a worker process
 * knows every job any web process may enqueue.
 */
export function registerJobHandlers(ctx: AppContext): void {
  ctx.jobs.handle('outbound.send', (data, job) => sendOutbound(ctx, data.messageId, job));
  ctx.jobs.handle('conversation.acknowledge', async (data) => void (await acknowledgeConversation(ctx, data.conversationId, data.messageId)));
  registerAcknowledgements(ctx);
  ctx.jobs.handle('citizen.notify', (data) => notifyCitizen(ctx, data.eventId));
  ctx.jobs.handle('maintenance.cleanup', async () => {
    await AgentSession.destroy({ where: { expiresAt: { [Op.lt]: new Date() } } });
    await requeueStuckOutbound(ctx);
  });
  ctx.jobs.handle('letter.ocr', (data) => ocrLetter(ctx, data.letterId));
  ctx.jobs.handle('test.echo', async () => {});
  void ctx.jobs.repeat('maintenance.cleanup', 5 * 60_000, {});
  ctx.jobs.handle('sla.sweep', async () => {
    await sweepSla(ctx);
  });
  void ctx.jobs.repeat('sla.sweep', 30_000, {});
}
