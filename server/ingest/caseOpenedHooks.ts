import type { Transaction } from 'sequelize';
import type { Conversation } from '../../db/models';
import type { RawSql } from '../../db/rawSql';
import type { AppContext } from '../context';

/** What a hook sees of a case ingest has just opened, inside ingest's transaction. */
export interface CaseOpened {
  sql: RawSql;
  transaction: Transaction;
  conversation: Conversation;
  now: Date;
}

/**
 * Writes more rows for a new case in the same transaction (routing's queue entry); a throw rolls the contact
 * back. Answers the ids of timeline rows it wrote: they travel with `contact.ingested`, so listeners see the
 * case once, with all its first events.
 */
export type CaseOpenedHook = (e: CaseOpened) => Promise<number[] | void>;

const hooks = new WeakMap<AppContext, Set<CaseOpenedHook>>();

/**
 * Registers a hook run inside ingest's transaction for every case it opens: work that must exist as soon as the
 * case exists (a queue entry) is written in the same commit instead of a second transaction after it. Returns
 * the unsubscribe function.
 */
export function onCaseOpened(ctx: AppContext, hook: CaseOpenedHook): () => void {
  let set = hooks.get(ctx);
  if (!set) hooks.set(ctx, (set = new Set()));
  set.add(hook);
  return () => set.delete(hook);
}

/** Runs the hooks of `ctx` in registration order; answers the timeline rows they wrote. */
export async function runCaseOpened(ctx: AppContext, e: CaseOpened): Promise<number[]> {
  const eventIds: number[] = [];
  for (const hook of hooks.get(ctx) ?? []) eventIds.push(...((await hook(e)) ?? []));
  return eventIds;
}
