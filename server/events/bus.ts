import { EventEmitter } from 'node:events';
import type { ChannelKind } from '../../channels/contract';
import { logger } from '../log';

const log = logger('events');

/** Domain events, published after the transaction that caused them committed. */
export interface DomainEvents {
  /** A contact went through ingest and created a new message (duplicates publish nothing). */
  'contact.ingested': {
    conversationId: number;
    messageId: number;
    channel: ChannelKind;
    /** A new case was opened (not threaded into an existing one). */
    conversationCreated: boolean;
    automatic: boolean;
    eventIds: number[];
    /** The timeline rows `eventIds` name, as written (rows are never changed after): listeners need not read them back. */
    timeline: { id: number; conversationId: number; type: string; data: Record<string, unknown> }[];
  };
  /** Timeline rows were written for a case (status, assignment, message sent…); realtime re-reads and pushes. */
  'conversation.changed': { conversationId: number; eventIds: number[]; /** Set by routing on its own rows, so it can skip re-checking them. */ source?: 'routing' };
  /** An offer was made, answered, expired or revoked (routing); realtime re-reads it and tells the agent. */
  'offer.changed': {
    offerId: number;
    conversationId: number;
    agentId: number;
    eventId: number | null;
    /** Written in the transaction that opened its case: that case's contact.ingested carries the offer.created row, and realtime publishes both from one re-read. */
    withCase?: boolean;
  };
  /** An agent's presence, connection or load changed (routing); realtime re-reads and pushes presence. */
  'agent.changed': { agentId: number };
  /** The waiting/offered counts of these queues may have changed (null: the general queue). */
  'queue.changed': { departmentIds: (number | null)[] };
  /** A waiting phone call was offered to an agent (the console rings; accept within `expiresAt`). */
  'call.offered': { callId: number; conversationId: number; agentId: number; expiresAt: string };
  /** An SLA clock of a case reached its warning share or its due moment (the timeline row is written). */
  'sla.alert': { conversationId: number; level: 'warning' | 'breached'; kind: 'first_response' | 'next_response' | 'resolution' | 'legal'; departmentId: number | null };
  /** An internal note mentioned agents (the timeline row `note.added` is written); their consoles notify them. */
  'note.mentioned': { conversationId: number; messageId: number; eventId: number; agentIds: number[]; byAgentId: number };
}

export type DomainEventName = keyof DomainEvents;
type Handler<K extends DomainEventName> = (payload: DomainEvents[K]) => void | Promise<void>;

/**
 * The in-process domain event bus. Subscribers (routing, acknowledgements, realtime) run after commit; one
 * failing subscriber is logged and does not stop the others or the publisher.
 */
export class DomainEventBus {
  private readonly emitter = new EventEmitter({ captureRejections: false });
  private readonly pending = new Set<Promise<unknown>>();

  constructor() {
    this.emitter.setMaxListeners(50);
  }

  /** Subscribes to one event; returns a function that unsubscribes. */
  on<K extends DomainEventName>(name: K, handler: Handler<K>): () => void {
    const wrapped = (payload: DomainEvents[K]) => {
      const p = Promise.resolve()
        .then(() => handler(payload))
        .catch((err: unknown) => log.error({ err, event: name }, 'domain event subscriber failed'))
        .finally(() => this.pending.delete(p));
      this.pending.add(p);
    };
    this.emitter.on(name, wrapped);
    return () => this.emitter.off(name, wrapped);
  }

  /** Publishes an event to every subscriber (call it from an afterCommit hook). */
  emit<K extends DomainEventName>(name: K, payload: DomainEvents[K]): void {
    this.emitter.emit(name, payload);
  }

  /** Resolves when every subscriber started so far has finished (tests and shutdown). */
  async drain(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }
}
