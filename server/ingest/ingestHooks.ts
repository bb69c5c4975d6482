import type { Transaction } from 'sequelize';
import type { Conversation, Message } from '../../db/models';
import type { RawSql } from '../../db/rawSql';
import type { AppContext } from '../context';

/** What a hook sees of a contact ingest has just written, inside ingest's transaction. */
export interface IngestWrite {
  sql: RawSql;
  transaction: Transaction;
  conversation: Conversation;
  message: Message;
  /** The contact opened this case (false: threaded into an existing one). */
  created: boolean;
  now: Date;
}

/**
 * Writes more rows for an ingested contact in the same transaction (routing's queue entry for a new case, the
 * phone module's call row); a throw rolls the contact back. Answers the ids of timeline rows it wrote: they
 * travel with `contact.ingested`, so listeners see the contact once, with all its events.
 */
export type IngestWriteHook = (e: IngestWrite) => Promise<number[] | void>;

const hooks = new WeakMap<AppContext, Set<IngestWriteHook>>();

/**
 * Registers a hook run inside ingest's transaction for every contact it writes (not for duplicates): rows that
 * must exist as soon as the message does are written in the same commit instead of a second transaction after
 * it. Registering the same function twice keeps one. Returns the unsubscribe function.
 */
export function onIngestWrite(ctx: AppContext, hook: IngestWriteHook): () => void {
  let set = hooks.get(ctx);
  if (!set) hooks.set(ctx, (set = new Set()));
  set.add(hook);
  return () => set.delete(hook);
}

/** Runs the hooks of `ctx` in registration order; answers the timeline rows they wrote. */
export async function runIngestWrites(ctx: AppContext, e: IngestWrite): Promise<number[]> {
  const eventIds: number[] = [];
  for (const hook of hooks.get(ctx) ?? []) eventIds.push(...((await hook(e)) ?? []));
  return eventIds;
}
