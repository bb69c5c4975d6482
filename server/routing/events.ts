import type { Transaction } from 'sequelize';
import { insertReturningIds, rawSql } from '../../db/rawSql';
import type { ActorType } from '../../db/models/ConversationEvent';
import type { AppContext } from '../context';

/** One timeline row to write. */
export interface RoutingEventInput {
  conversationId: number;
  type: 'offer.created' | 'offer.accepted' | 'offer.declined' | 'offer.expired' | 'offer.revoked' | 'conversation.assigned' | 'conversation.unassigned' | 'conversation.queued';
  actorType?: ActorType;
  actorId?: number | null;
  data: Record<string, unknown>;
}

/** Writes timeline rows in the transaction; returns their ids in order. */
export async function writeEvents(t: Transaction, events: RoutingEventInput[]): Promise<number[]> {
  const now = new Date();
  return insertReturningIds(
    rawSql(t),
    'conversation_events',
    ['conversationId', 'type', 'actorType', 'actorId', 'data', 'public', 'createdAt'],
    events.map((e) => [e.conversationId, e.type, e.actorType ?? 'system', e.actorId ?? null, JSON.stringify(e.data), false, now]),
  );
}

/** Publishes `conversation.changed` after commit (realtime re-reads and pushes). */
export function afterCommitChanged(ctx: AppContext, t: Transaction, conversationId: number, eventIds: number[]): void {
  if (eventIds.length) t.afterCommit(() => ctx.events.emit('conversation.changed', { conversationId, eventIds, source: 'routing' }));
}

/** Thrown inside a routing transaction to roll it back with a known outcome. */
export class RoutingAbort extends Error {
  constructor(public readonly outcome: string) {
    super(outcome);
    this.name = 'RoutingAbort';
  }
}
