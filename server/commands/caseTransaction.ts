import type { Transaction } from 'sequelize';
import { Conversation, ConversationEvent } from '../../db/models';
import { canSee } from '../auth/visibility';
import type { AppContext } from '../context';
import { notFound } from '../errors';
import type { Actor } from './actor';

/** A timeline row a command writes; the actor is the agent running it. */
export interface EventDraft {
  type: string;
  data?: Record<string, unknown>;
  /** Shown on the citizen's tracking page. */
  public?: boolean;
  /** Defaults to the command's conversation. */
  conversationId?: number;
}

/** What a command body returns: its result and the timeline rows to write with it. */
export interface CaseChange<T> {
  result: T;
  events: EventDraft[];
}

/**
 * Runs one mutation of a case: one transaction, the case row read with a lock (SQLite serialises writers with
 * IMMEDIATE transactions), visibility checked, the body's ConversationEvent rows written in the same
 * transaction, and `conversation.changed` published per touched case after commit. A case the actor may not
 * see answers like one that does not exist.
 */
export async function changeCase<T>(
  ctx: AppContext,
  actor: Actor,
  conversationId: number,
  body: (conversation: Conversation, transaction: Transaction) => Promise<CaseChange<T>>,
): Promise<T> {
  return ctx.db.transaction(async (transaction) => {
    const conversation = await lockConversation(actor, conversationId, transaction);
    const { result, events } = await body(conversation, transaction);
    await writeEvents(ctx, actor, conversationId, events, transaction);
    return result;
  });
}

/** Reads a case with a row lock, failing with not_found when it is missing or not visible to the actor. */
export async function lockConversation(actor: Actor, conversationId: number, transaction: Transaction): Promise<Conversation> {
  const conversation = await Conversation.findByPk(conversationId, { transaction, lock: transaction.LOCK.UPDATE });
  if (!conversation || !canSee(actor.scope, conversation)) throw notFound('The case');
  return conversation;
}

/** Writes timeline rows and publishes `conversation.changed` for each touched case after commit. */
export async function writeEvents(ctx: AppContext, actor: Actor, defaultConversationId: number, drafts: EventDraft[], transaction: Transaction): Promise<ConversationEvent[]> {
  if (!drafts.length) return [];
  const rows: ConversationEvent[] = [];
  // One insert per row: every dialect then reports each id (bulk inserts on MySQL only report the first).
  for (const d of drafts) {
    rows.push(
      await ConversationEvent.create(
        {
          conversationId: d.conversationId ?? defaultConversationId,
          type: d.type,
          actorType: 'agent',
          actorId: actor.agent.id,
          data: d.data ?? {},
          public: d.public ?? false,
        },
        { transaction },
      ),
    );
  }
  const byCase = new Map<number, number[]>();
  for (const r of rows) byCase.set(r.conversationId, [...(byCase.get(r.conversationId) ?? []), r.id]);
  transaction.afterCommit(() => {
    for (const [conversationId, eventIds] of byCase) ctx.events.emit('conversation.changed', { conversationId, eventIds });
  });
  return rows;
}
