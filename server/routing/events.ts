import type { Transaction } from 'sequelize';
import { ConversationEvent } from '../../db/models';
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
  const ids: number[] = [];
  for (const e of events) {
    const row = await ConversationEvent.create(
      { conversationId: e.conversationId, type: e.type, actorType: e.actorType ?? 'system', actorId: e.actorId ?? null, data: e.data, public: false },
      { transaction: t },
    );
    ids.push(row.id);
  }
  return ids;
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
