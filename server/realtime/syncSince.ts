import { placeholders, withRawSql } from '../../db/rawSql';
import type { ConversationScope } from '../auth/visibility';
import type { AppContext } from '../context';
import type { SyncResult } from './contract';
import { eventFromRow, loadConversationSummaries, loadMessageViews, loadOfferViews, loadPresenceViews, presentEvent, timelineEventColumns, type TimelineEventRow } from './views';

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
  // The rows that decide what changed, on one pooled connection; the views are loaded after, side by side.
  const read = await withRawSql(ctx.db, async (sql): Promise<SyncResult | { events: TimelineEventRow[]; latest: number; extraMessageIds: number[] }> => {
    const [top] = await sql.all<{ latest: number | string | null }>('SELECT MAX(id) AS latest FROM conversation_events');
    const latest = Number(top?.latest ?? 0);
    if (lastEventId > latest) return { kind: 'sync.required', latestEventId: latest, reason: 'unknown_event' };
    if (latest - lastEventId > SYNC_MAX_EVENTS * 5) return { kind: 'sync.required', latestEventId: latest, reason: 'too_far_behind' };

    const visible = scope.all
      ? ''
      : ` AND (c.departmentId IS NULL OR c.assigneeId = ${Number(scope.agentId)}${scope.departmentIds.length ? ` OR c.departmentId IN (${scope.departmentIds.map(Number).join(',')})` : ''})`;
    const rows = await sql.all<Record<string, unknown>>(
      `SELECT ${timelineEventColumns('e')} FROM conversation_events e JOIN conversations c ON c.id = e.conversationId
        WHERE e.id <= ? AND (e.id > ? OR (e.id > ? AND e.createdAt >= ?))${visible}
        ORDER BY e.id LIMIT ${SYNC_MAX_EVENTS + 1}`,
      [latest, lastEventId, lastEventId - LATE_COMMIT_IDS, new Date(Date.now() - LATE_COMMIT_WINDOW_MS)],
    );
    if (rows.length > SYNC_MAX_EVENTS) return { kind: 'sync.required', latestEventId: latest, reason: 'too_far_behind' };
    const events = rows.map(eventFromRow);
    const conversationIds = [...new Set(events.map((e) => e.conversationId))];
    // Messages may also arrive without a timeline row naming them: take those newer than the oldest event's time too.
    const oldest = events[0]?.createdAt;
    const extra = oldest && conversationIds.length
      ? await sql.all<{ id: number }>(`SELECT id FROM messages WHERE conversationId IN (${placeholders(conversationIds.length)}) AND createdAt >= ?`, [...conversationIds, oldest])
      : [];
    return { events, latest, extraMessageIds: extra.map((m) => Number(m.id)) };
  });
  if ('kind' in read) return read;

  const { events, latest } = read;
  const conversationIds = [...new Set(events.map((e) => e.conversationId))];
  const messageIds = events.map((e) => e.data?.messageId).filter((m): m is number => typeof m === 'number');
  const [conversations, messages, offers, presence] = await Promise.all([
    loadConversationSummaries(conversationIds),
    loadMessageViews([...messageIds, ...read.extraMessageIds]),
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
