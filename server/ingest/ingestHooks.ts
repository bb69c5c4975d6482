import type { Transaction } from 'sequelize';
import type { Conversation, Message } from '../../db/models';
import type { ActorType } from '../../db/models/ConversationEvent';
import type { RawSql } from '../../db/rawSql';
import type { AppContext } from '../context';

/** A timeline row a hook adds to the contact's own. */
export interface TimelineRow {
  conversationId: number;
  type: string;
  actorType?: ActorType;
  actorId?: number | null;
  data: Record<string, unknown>;
  public?: boolean;
}

/** What a hook sees of a contact ingest has just written, inside ingest's transaction. */
export interface IngestWrite {
  sql: RawSql;
  transaction: Transaction;
  /** A new case has no registration number yet: ingest takes it after the hooks, just before commit. */
  conversation: Conversation;
  message: Message;
  /** The contact opened this case (false: threaded into an existing one). */
  created: boolean;
  now: Date;
  /**
   * Adds timeline rows after the contact's own. Ingest writes them all in one statement once every hook has
   * returned, and resolves this with their ids then, before commit: chain on it (or read it in an afterCommit
   * callback), never await it inside the hook.
   */
  timeline(rows: TimelineRow[]): Promise<number[]>;
}

/**
 * Writes more rows for an ingested contact in the same transaction (routing's queue entry and offer for a new
 * case, the phone module's call row); a throw rolls the contact back. Their timeline rows go through
 * `timeline` and travel with `contact.ingested`, so listeners see the contact once, with all its events.
 */
export type IngestWriteHook = (e: IngestWrite) => Promise<void>;

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

/** The timeline rows the hooks of one contact asked for, and how to hand them their ids once written. */
export interface HookTimeline {
  rows: TimelineRow[];
  /** Gives each hook's `timeline` promise its ids (`ids` in the order of `rows`). */
  written(ids: number[]): void;
}

/** Runs the hooks of `ctx` in registration order; answers the timeline rows they asked for. */
export async function runIngestWrites(ctx: AppContext, e: Omit<IngestWrite, 'timeline'>): Promise<HookTimeline> {
  const rows: TimelineRow[] = [];
  const waiting: { from: number; count: number; resolve(ids: number[]): void }[] = [];
  const timeline = (more: TimelineRow[]) =>
    new Promise<number[]>((resolve) => {
      waiting.push({ from: rows.length, count: more.length, resolve });
      rows.push(...more);
    });
  for (const hook of hooks.get(ctx) ?? []) await hook({ ...e, timeline });
  return {
    rows,
    written(ids) {
      for (const w of waiting) w.resolve(ids.slice(w.from, w.from + w.count));
    },
  };
}
