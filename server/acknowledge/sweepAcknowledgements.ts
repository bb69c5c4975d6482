import { Op } from 'sequelize';
import type { ChannelKind } from '../../channels/contract';
import { Conversation, ConversationEvent, Message } from '../../db/models';
import type { AppContext } from '../context';
import { logger } from '../log';
import type { BackgroundService } from '../services';
import { enqueueAcknowledgement } from './acknowledgeConversation';

const log = logger('acknowledge');

/** How far back the sweep looks: an acknowledgement a day late still gives the citizen their number. */
export const ACK_SWEEP_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Cases younger than this are left to the normal path (enqueued right after the ingest commit). */
export const ACK_SWEEP_GRACE_MS = 2 * 60 * 1000;
/** How often a worker sweeps. */
export const ACK_SWEEP_EVERY_MS = 5 * 60 * 1000;

const PAGE = 500;
/** Cases that no longer want an answer: marked spam, or merged into another case. */
const NOT_ANSWERED: Conversation['status'][] = ['spam', 'joined'];

export interface AckSweepOptions {
  now?: Date;
  windowMs?: number;
  graceMs?: number;
}

/**
 * Finds cases that should have been acknowledged but were not — the process died between the ingest commit and
 * the enqueue — and enqueues their acknowledgement. A case qualifies when it was opened within the window (and
 * before the grace period), on a channel that can answer, by a person (its first message is not automatic),
 * has someone to answer (a citizen, or the portal), and has neither an acknowledgement message nor an
 * `acknowledgement.skipped` event. The job id `ack:${conversationId}` makes a sweep and a late normal enqueue,
 * or two workers sweeping at once, one job. Returns the ids of the cases it enqueued.
 */
export async function sweepAcknowledgements(ctx: AppContext, opts: AckSweepOptions = {}): Promise<number[]> {
  const now = (opts.now ?? new Date()).getTime();
  const from = new Date(now - (opts.windowMs ?? ACK_SWEEP_WINDOW_MS));
  const to = new Date(now - (opts.graceMs ?? ACK_SWEEP_GRACE_MS));
  const channels = (Object.keys(ctx.adapters) as ChannelKind[]).filter((c) => ctx.adapters[c]?.canReply);
  const enqueued: number[] = [];
  let after: { registeredAt: Date; id: number } | null = null;
  for (;;) {
    // Keyset pages along the (registeredAt, id) index, so a busy day is read in bounded steps.
    const page: Conversation[] = await Conversation.findAll({
      where: {
        registeredAt: { [Op.gte]: from, [Op.lte]: to },
        channel: { [Op.in]: channels },
        status: { [Op.notIn]: NOT_ANSWERED },
        [Op.or]: [{ citizenId: { [Op.ne]: null } }, { channel: 'portal' }],
        ...(after ? { [Op.and]: [{ [Op.or]: [{ registeredAt: { [Op.gt]: after.registeredAt } }, { registeredAt: after.registeredAt, id: { [Op.gt]: after.id } }] }] } : {}),
      },
      attributes: ['id', 'registeredAt'],
      order: [['registeredAt', 'ASC'], ['id', 'ASC']],
      limit: PAGE,
    });
    if (!page.length) break;
    const last = page[page.length - 1]!;
    after = { registeredAt: last.registeredAt, id: last.id };
    for (const c of await lostAcknowledgements(page.map((c) => c.id))) {
      await enqueueAcknowledgement(ctx, c.conversationId, c.messageId);
      enqueued.push(c.conversationId);
    }
    if (page.length < PAGE) break;
  }
  if (enqueued.length) log.warn({ conversationIds: enqueued.slice(0, 50), count: enqueued.length }, 'acknowledgements that were never enqueued: enqueued now');
  return enqueued;
}

/** Of these cases, those opened by a person with no acknowledgement sent and no reason recorded for none. */
async function lostAcknowledgements(ids: number[]): Promise<{ conversationId: number; messageId: number }[]> {
  const done = new Set<number>();
  const outbound = await Message.findAll({ where: { conversationId: { [Op.in]: ids }, direction: 'outbound', automatic: true }, attributes: ['conversationId', 'metadata'] });
  for (const m of outbound) if ((m.metadata as { kind?: string }).kind === 'acknowledgement') done.add(m.conversationId);
  const skipped = await ConversationEvent.findAll({ where: { conversationId: { [Op.in]: ids }, type: 'acknowledgement.skipped' }, attributes: ['conversationId'] });
  for (const e of skipped) done.add(e.conversationId);
  const open = ids.filter((id) => !done.has(id));
  if (!open.length) return [];
  // The message that opened each case: its first inbound one.
  const first = new Map<number, Message>();
  const inbound = await Message.findAll({ where: { conversationId: { [Op.in]: open }, direction: 'inbound' }, attributes: ['id', 'conversationId', 'automatic'], order: [['id', 'ASC']] });
  for (const m of inbound) if (!first.has(m.conversationId)) first.set(m.conversationId, m);
  return open.flatMap((id) => {
    const m = first.get(id);
    return m && !m.automatic ? [{ conversationId: id, messageId: m.id }] : [];
  });
}

/** The sweep as a background service of worker processes: once at start (after a crash), then every 5 minutes. */
export const acknowledgementSweepService: BackgroundService = {
  name: 'acknowledgement-sweep',
  roles: ['worker'],
  async start(ctx) {
    let running: Promise<unknown> | null = null;
    const pass = () => {
      running ??= sweepAcknowledgements(ctx)
        .catch((err: unknown) => log.error({ err }, 'acknowledgement sweep failed; retrying on the next pass'))
        .finally(() => (running = null));
    };
    pass();
    const timer = setInterval(pass, ACK_SWEEP_EVERY_MS);
    timer.unref();
    return {
      async stop() {
        clearInterval(timer);
        await running;
      },
    };
  },
};
