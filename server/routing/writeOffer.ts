import type { Transaction } from 'sequelize';
import type { QueueEntry } from '../../db/models';
import { Offer } from '../../db/models';
import { buildFromRow, isUniqueViolation, rawSql } from '../../db/rawSql';
import { RoutingAbort, writeEvents, type RoutingEventInput } from './events';
import type { RoutingRuntime } from './runtime';
import type { IngestWrite } from '../ingest/ingestHooks';
import { afterCommitQueues } from './syncQueueEntry';

/** The entry an offer reserves, as the transaction holding it knows it. */
export type OfferedEntry = Pick<QueueEntry, 'conversationId' | 'departmentId' | 'channel'>;

/**
 * Writes one offer: the caller's transaction holds the case (locked or just inserted) and the agent's row, and
 * found the agent fit. The offer is inserted with `pendingKey` = the case (unique index: a second pending offer
 * for the case cannot exist), then the entry moves `waiting → offered` by a conditional UPDATE whose affected-row
 * count decides; either failing rolls back with RoutingAbort('gone'). The `offer.created` row is written after
 * `eventsBefore` in one statement, or handed to ingest's `timeline` when the offer is made inside ingest;
 * `offer.changed` and `agent.changed` are published after commit.
 */
export async function writeOffer(
  r: RoutingRuntime,
  t: Transaction,
  entryId: number,
  entry: OfferedEntry,
  agentId: number,
  opts: {
    eventsBefore?: RoutingEventInput[];
    /** Made inside ingest, in the transaction that opens the case: its rows go with the contact's (see DomainEvents['offer.changed']). */
    timeline?: IngestWrite['timeline'];
  } = {},
): Promise<{ offer: Offer }> {
  const sql = rawSql(t);
  const now = new Date();
  const expiresAt = new Date(now.getTime() + r.settings.offerTimeoutMs);
  let offerId: number;
  try {
    offerId = (
      await sql.run(
        "INSERT INTO offers (queueEntryId, conversationId, agentId, channel, state, pendingKey, reason, expiresAt, answeredAt, createdAt, updatedAt) VALUES (?, ?, ?, ?, 'pending', ?, NULL, ?, NULL, ?, ?)",
        [entryId, entry.conversationId, agentId, entry.channel, entry.conversationId, expiresAt, now, now],
      )
    ).insertId;
  } catch (err) {
    // Another pending offer of this case exists (the unique pendingKey): someone else reserved it.
    if (isUniqueViolation(err)) throw new RoutingAbort('gone');
    throw err;
  }
  if (sql.dialect === 'sqlite') {
    const moved = await sql.run("UPDATE queue_entries SET state = 'offered', offerId = ?, updatedAt = ? WHERE id = ? AND state = 'waiting'", [offerId, now, entryId]);
    if (moved.affectedRows !== 1) throw new RoutingAbort('gone');
    await sql.run('UPDATE agents SET lastOfferAt = ?, updatedAt = ? WHERE id = ?', [now, now, agentId]);
  } else {
    // One statement for both rows: when the entry is no longer waiting the join is empty and neither changes.
    const moved = await sql.run(
      "UPDATE queue_entries e JOIN agents a ON a.id = ? SET e.state = 'offered', e.offerId = ?, e.updatedAt = ?, a.lastOfferAt = ?, a.updatedAt = ? WHERE e.id = ? AND e.state = 'waiting'",
      [agentId, offerId, now, now, now, entryId],
    );
    if (moved.affectedRows < 1) throw new RoutingAbort('gone');
  }
  const rows: RoutingEventInput[] = [
    ...(opts.eventsBefore ?? []),
    { conversationId: entry.conversationId, type: 'offer.created', data: { offerId, agentId, expiresAt: expiresAt.toISOString() } },
  ];
  let offerEventId: number | null = null;
  const written = (ids: number[]) => {
    offerEventId = ids[ids.length - 1] ?? null;
  };
  if (opts.timeline) void opts.timeline(rows).then(written);
  else written(await writeEvents(t, rows));
  const offer = buildFromRow(Offer, {
    id: offerId,
    queueEntryId: entryId,
    conversationId: entry.conversationId,
    agentId,
    channel: entry.channel,
    state: 'pending',
    pendingKey: entry.conversationId,
    reason: null,
    expiresAt,
    answeredAt: null,
    createdAt: now,
    updatedAt: now,
  });
  t.afterCommit(() => {
    r.ctx.events.emit('offer.changed', { offerId, conversationId: entry.conversationId, agentId, eventId: offerEventId, ...(opts.timeline ? { withCase: true } : {}) });
    r.ctx.events.emit('agent.changed', { agentId });
  });
  afterCommitQueues(r, t, [entry.departmentId]);
  return { offer };
}
