import { Op, QueryTypes } from 'sequelize';
import { ConversationEvent, Message } from '../../db/models';
import type { ConversationScope } from '../auth/visibility';
import type { AppContext } from '../context';
import type { SyncResult } from './contract';
import { loadConversationSummaries, loadMessageViews, loadOfferViews, loadPresenceViews, presentEvent } from './views';

/** A client further behind than this many events refetches instead (sync.required). */
export const SYNC_MAX_EVENTS = 1000;
/**
 * Ids are allocated before commit, so a transaction holding id 104 may commit after one holding 105: rows created
 * in the last few seconds just below the client's last id are sent again (clients apply events by id, idempotently).
 */
const LATE_COMMIT_WINDOW_MS = 10_000;
const LATE_COMMIT_IDS = 200;

/** Everything an agent may see that changed after `lastEventId` (see SyncResult in the contract). */
export async function syncSince(ctx: AppContext, agentId: number, scope: ConversationScope, lastEventId: number): Promise<SyncResult> {
  const [top] = await ctx.db.sequelize.query<{ latest: number | string | null }>('SELECT MAX(id) AS latest FROM conversation_events', { type: QueryTypes.SELECT });
  const latest = Number(top?.latest ?? 0);
  if (lastEventId > latest) return { kind: 'sync.required', latestEventId: latest, reason: 'unknown_event' };
  if (latest - lastEventId > SYNC_MAX_EVENTS * 5) return { kind: 'sync.required', latestEventId: latest, reason: 'too_far_behind' };

  const visible = scope.all
    ? ''
    : ` AND (c.departmentId IS NULL OR c.assigneeId = ${Number(scope.agentId)}${scope.departmentIds.length ? ` OR c.departmentId IN (${scope.departmentIds.map(Number).join(',')})` : ''})`;
  const rows = await ctx.db.sequelize.query<{ id: number }>(
    `SELECT e.id FROM conversation_events e JOIN conversations c ON c.id = e.conversationId
      WHERE e.id <= :latest AND (e.id > :last OR (e.id > :lateFloor AND e.createdAt >= :recent))${visible}
      ORDER BY e.id LIMIT ${SYNC_MAX_EVENTS + 1}`,
    {
      replacements: { latest, last: lastEventId, lateFloor: lastEventId - LATE_COMMIT_IDS, recent: new Date(Date.now() - LATE_COMMIT_WINDOW_MS) },
      type: QueryTypes.SELECT,
    },
  );
  if (rows.length > SYNC_MAX_EVENTS) return { kind: 'sync.required', latestEventId: latest, reason: 'too_far_behind' };
  const events = await ConversationEvent.findAll({ where: { id: { [Op.in]: rows.map((r) => Number(r.id)) } }, order: [['id', 'ASC']] });
  const conversationIds = [...new Set(events.map((e) => e.conversationId))];
  const messageIds = events.map((e) => e.data?.messageId).filter((m): m is number => typeof m === 'number');
  // Messages may also arrive without a timeline row naming them: take those newer than the oldest event's time too.
  const oldest = events[0]?.createdAt;
  const extra = oldest && conversationIds.length
    ? await Message.findAll({ where: { conversationId: { [Op.in]: conversationIds }, createdAt: { [Op.gte]: oldest } }, attributes: ['id'] })
    : [];
  const [conversations, messages, offers, presence] = await Promise.all([
    loadConversationSummaries(conversationIds),
    loadMessageViews([...messageIds, ...extra.map((m) => m.id)]),
    loadOfferViews({ agentId, pendingOnly: true }),
    loadPresenceViews([agentId]),
  ]);
  return {
    kind: 'events',
    latestEventId: latest,
    events: events.map(presentEvent),
    conversations: [...conversations.values()],
    messages,
    offers,
    presence: presence[0]!,
  };
}
