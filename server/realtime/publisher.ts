import type { ConversationEvent } from '../../db/models';
import { placeholders, withRawSql } from '../../db/rawSql';
import type { AppContext } from '../context';
import { logger } from '../log';
import { callOfferNotices } from '../twilio/callViews';
import type { AgentsNamespace, ConversationSummaryView, OfferRevokeReason, QueueId, WallboardNamespace } from './contract';
import { rooms } from './rooms';
import { eventFromRow, loadConversationSummaries, loadMessageViews, loadOfferViews, loadPresenceViews, loadQueueStats, timelineEventColumns } from './views';

const log = logger('realtime.publisher');

/** Timeline rows as publishing reads them. */
type TimelineRows = Pick<ConversationEvent, 'id' | 'conversationId' | 'type' | 'data'>[];

/**
 * Lists that change in bursts (queue views' cases, presence, queue counts) are sent to every socket allowed to
 * see them, so each send costs a frame per socket. A change waits `quietMs` for others to join it; under a steady
 * stream, sends are at least `spacingMs` apart (two a second, at a hundred contacts a second, instead of ten).
 */
const CASES_COALESCE = { quietMs: 250, spacingMs: 500 };
const PRESENCE_COALESCE = { quietMs: 100, spacingMs: 500 };
const QUEUES_COALESCE = { quietMs: 200, spacingMs: 500 };

/** Runs `flush` once per burst of `schedule()` calls, as CASES_COALESCE and its peers describe. */
export function coalescer(timing: { quietMs: number; spacingMs: number }, flush: () => void): { schedule(): void; flushNow(): void; cancel(): void } {
  let timer: NodeJS.Timeout | null = null;
  let lastRun = -Infinity;
  const run = () => {
    timer = null;
    lastRun = Date.now();
    flush();
  };
  return {
    schedule() {
      timer ??= setTimeout(run, Math.max(timing.quietMs, lastRun + timing.spacingMs - Date.now()));
    },
    /** Runs at once if a run is due (stopping: nothing gathered is left behind). */
    flushNow() {
      if (!timer) return;
      clearTimeout(timer);
      run();
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

const REVOKE_REASONS: readonly OfferRevokeReason[] = ['disconnected', 'presence', 'reassigned', 'pulled', 'closed', 'declined'];

/** The rooms that may see a case. */
function caseRooms(c: ConversationSummaryView): string[] {
  return [...ownRooms(c), rooms.queue(c.queueId), rooms.everything];
}

/** Who has a case open, and its assignee: told of every change at once (the rest of its queue in cases.updated). */
function ownRooms(c: ConversationSummaryView): string[] {
  return c.assigneeId === null ? [rooms.conversation(c.id)] : [rooms.conversation(c.id), rooms.agent(c.assigneeId)];
}

/**
 * Turns committed domain events into socket events: re-reads the rows (never trusts the payload for state) and
 * emits views to the rooms allowed to see them. Presence and queue counts are coalesced (they change in bursts).
 */
export function startPublisher(ctx: AppContext, agents: AgentsNamespace, wallboard: WallboardNamespace): { stop(): Promise<void> } {
  const off: (() => void)[] = [];
  const inflight = new Set<Promise<unknown>>();
  const guard = (what: string, p: Promise<unknown>) => {
    const tracked = p.catch((err: unknown) => log.error({ err, what }, 'realtime publish failed')).finally(() => inflight.delete(tracked));
    inflight.add(tracked);
  };

  // An offer written with its case is published by the case's publish (one re-read for both).
  off.push(ctx.events.on('offer.changed', (p) => (p.withCase ? undefined : guard('offer', publishOffer(p.offerId, p.eventId)))));
  off.push(ctx.events.on('contact.ingested', (p) => guard('case', publishCase(p.conversationId, p.eventIds, p.messageId, { offers: true, timeline: p.timeline, created: p.conversationCreated }))));
  off.push(ctx.events.on('conversation.changed', (p) => guard('case', publishCase(p.conversationId, p.eventIds))));

  async function publishOffer(offerId: number, eventId: number | null): Promise<void> {
    const [offer] = await withRawSql(ctx.db, (sql) =>
      sql.all<{ agentId: number; conversationId: number; state: string; reason: string | null }>('SELECT agentId, conversationId, state, reason FROM offers WHERE id = ?', [offerId]),
    );
    if (!offer) return;
    const to = agents.to(rooms.agent(offer.agentId));
    if (offer.state === 'pending') {
      const [view] = await loadOfferViews({ ids: [offerId] });
      if (view && eventId !== null) to.emit('offer.created', { eventId, offer: view });
    } else if (offer.state === 'expired') {
      if (eventId !== null) to.emit('offer.expired', { eventId, offerId, conversationId: offer.conversationId });
    } else if (offer.state === 'declined' || offer.state === 'revoked') {
      const reason = offer.state === 'declined' ? 'declined' : ((REVOKE_REASONS as readonly string[]).includes(offer.reason ?? '') ? (offer.reason as OfferRevokeReason) : 'closed');
      to.emit('offer.revoked', { eventId, offerId, conversationId: offer.conversationId, reason });
    }
  }

  async function publishCase(conversationId: number, eventIds: number[], messageId?: number, opts: { offers?: boolean; timeline?: TimelineRows; created?: boolean } = {}): Promise<void> {
    // Timeline rows never change once written: those the event carries are used as they are.
    const events = opts.timeline ?? (await loadEvents(eventIds));
    const lastId = events.length ? events[events.length - 1]!.id : null;
    const messageIds = new Set<number>(events.map((e) => e.data?.messageId).filter((m): m is number => typeof m === 'number'));
    if (messageId) messageIds.add(messageId);
    // Offers made in the transaction that opened the case ring first: the agent's card is the time-critical push.
    // Each card carries the case and its preview (one statement); a new case still unassigned needs nothing else
    // (see `unseen` below), so the push ends there.
    const offered = opts.offers ? new Map(events.filter((e) => e.type === 'offer.created' && typeof e.data.offerId === 'number').map((e) => [e.data.offerId as number, e.id])) : new Map<number, number>();
    if (offered.size) {
      const offers = await loadOfferViews({ ids: [...offered.keys()], pendingOnly: true });
      for (const view of offers) agents.to(rooms.agent(view.agentId)).emit('offer.created', { eventId: offered.get(view.id)!, offer: view });
      const card = offers.find((o) => o.conversationId === conversationId)?.conversation;
      if (opts.created && card && card.assigneeId === null && !events.some((e) => e.type === 'conversation.assigned' || e.type === 'note.added')) {
        queueCaseUpdate(card, lastId);
        await publishCallNotices(events);
        return;
      }
    }
    // The case and its messages are read side by side (two pooled connections): one round trip less before the push.
    const [summaries, messages] = await Promise.all([loadConversationSummaries([conversationId]), messageIds.size ? loadMessageViews([...messageIds]) : []]);
    const c = summaries.get(conversationId);
    if (!c) return;
    for (const e of events.filter((x) => x.type === 'conversation.assigned')) {
      const agentId = Number(e.data.agentId);
      // The new owner's sockets (any process) follow the case from now on.
      agents.in(rooms.agent(agentId)).socketsJoin(rooms.conversation(c.id));
      const payload = {
        eventId: e.id,
        conversation: c,
        assigneeId: agentId,
        previousAssigneeId: typeof e.data.previousAgentId === 'number' ? e.data.previousAgentId : null,
        via: (['offer', 'pull', 'reassign'].includes(String(e.data.via)) ? e.data.via : 'reassign') as 'offer' | 'pull' | 'reassign',
      };
      agents.to([...caseRooms(c), rooms.agent(agentId)]).emit('conversation.assigned', payload);
      wallboard.emit('conversation.assigned', payload);
    }
    // A case opened by this contact and not assigned has one own room, `conversation:ID`, which nobody could join
    // before the case was committed: whoever is in it read the case after, message included. Its queue hears of it
    // in cases.updated, its offered agent above; only notes, which go wider, are sent.
    const unseen = opts.created === true && c.assigneeId === null;
    const byMessage = new Map(events.filter((e) => typeof e.data?.messageId === 'number').map((e) => [e.data.messageId as number, e.id]));
    for (const m of messages) {
      // A message's text goes to whoever has the case open and its assignee; everyone else who may see the case
      // learns of it from conversation.updated. Notes go wider: a colleague mentioned in one is told wherever they are.
      if (unseen && m.direction !== 'note') continue;
      const to = agents.to(m.direction === 'note' ? caseRooms(c) : ownRooms(c));
      to.emit('message.created', { eventId: byMessage.get(m.id) ?? lastId, message: m, conversation: c });
    }
    if (!unseen) agents.to(ownRooms(c)).emit('conversation.updated', { eventId: lastId, conversation: c, eventTypes: events.map((e) => e.type) });
    queueCaseUpdate(c, lastId);
    await publishCallNotices(events);
  }

  /** Live calls ring at one agent's console: their offers and revocations go to that agent only. */
  async function publishCallNotices(events: TimelineRows): Promise<void> {
    for (const n of await callOfferNotices(events)) {
      const to = agents.to(rooms.agent(n.agentId));
      if (n.kind === 'offered') to.emit('call.offered', { eventId: n.eventId, call: n.view });
      else to.emit('call.offer_ended', { eventId: n.eventId, callId: n.callId, conversationId: n.conversationId, reason: n.reason });
    }
  }

  /** Timeline rows by id, in id order. */
  async function loadEvents(ids: number[]): Promise<TimelineRows> {
    if (!ids.length) return [];
    const rows = await withRawSql(ctx.db, (sql) =>
      sql.all<Record<string, unknown>>(`SELECT ${timelineEventColumns('e')} FROM conversation_events e WHERE e.id IN (${placeholders(ids.length)}) ORDER BY e.id`, ids),
    );
    return rows.map(eventFromRow);
  }

  // Coalesced: the queues' list views get the cases changed in a burst as one event.
  const changedCases = new Map<number, { conversation: ConversationSummaryView; eventId: number | null }>();
  const cases = coalescer(CASES_COALESCE, flushCases);
  function queueCaseUpdate(c: ConversationSummaryView, eventId: number | null): void {
    const earlier = changedCases.get(c.id);
    changedCases.set(c.id, { conversation: c, eventId: Math.max(earlier?.eventId ?? 0, eventId ?? 0) || null });
    cases.schedule();
  }
  function flushCases(): void {
    const batch = [...changedCases.values()];
    changedCases.clear();
    const latest = (list: typeof batch) => Math.max(0, ...list.map((b) => b.eventId ?? 0)) || null;
    // Who sees everything gets one event; an agent restricted to departments gets their queues' share.
    agents.to(rooms.everything).emit('cases.updated', { eventId: latest(batch), conversations: batch.map((b) => b.conversation) });
    const byQueue = new Map<QueueId, typeof batch>();
    for (const b of batch) byQueue.set(b.conversation.queueId, [...(byQueue.get(b.conversation.queueId) ?? []), b]);
    for (const [queueId, list] of byQueue) {
      agents.to(rooms.queue(queueId)).except(rooms.everything).emit('cases.updated', { eventId: latest(list), conversations: list.map((b) => b.conversation) });
    }
  }

  // Coalesced: presence per agent, queue counts per burst.
  const dirtyAgents = new Set<number>();
  const presence = coalescer(PRESENCE_COALESCE, () => {
    const ids = [...dirtyAgents];
    dirtyAgents.clear();
    guard('presence', (async () => {
      const views = await loadPresenceViews(ids);
      if (!views.length) return;
      // One event per burst for those who see everyone; an agent outside that room hears of themselves only.
      agents.to(rooms.everything).emit('presence.changed', { eventId: null, agents: views });
      for (const view of views) agents.to(rooms.agent(view.agentId)).except(rooms.everything).emit('presence.changed', { eventId: null, agents: [view] });
      wallboard.emit('presence.changed', { eventId: null, agents: views });
    })());
  });
  off.push(
    ctx.events.on('agent.changed', ({ agentId }) => {
      dirtyAgents.add(agentId);
      presence.schedule();
    }),
  );
  const dirtyQueues = new Set<number | null>();
  const queueCounts = coalescer(QUEUES_COALESCE, () => {
    const ids = [...dirtyQueues];
    dirtyQueues.clear();
    guard('queues', (async () => {
      const queues = await loadQueueStats(ctx.db, ids);
      for (const q of queues) agents.to([rooms.queue(q.queueId), rooms.everything]).emit('queue.updated', { eventId: null, queues: [q] });
      wallboard.emit('queue.updated', { eventId: null, queues });
    })());
  });
  off.push(
    ctx.events.on('queue.changed', ({ departmentIds }) => {
      for (const d of departmentIds) dirtyQueues.add(d);
      queueCounts.schedule();
    }),
  );

  return {
    /** Unsubscribes and waits for publishes under way (the adapter's Redis connection closes after). */
    async stop() {
      for (const fn of off) fn();
      presence.cancel();
      queueCounts.cancel();
      await Promise.all([...inflight]);
      // Publishes that were under way may have gathered cases: send them now rather than after stopping.
      cases.flushNow();
    },
  };
}
