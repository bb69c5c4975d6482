import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { AppContext } from '../context';
import { onIngestWrite } from '../ingest/ingestHooks';
import { logger } from '../log';
import type { BackgroundService } from '../services';
import type { QueueId } from '../realtime/contract';
import type { Presence } from '../../db/models/Agent';
import { acceptOffer, declineOffer } from './answerOffer';
import { socketConnected, socketDisconnected } from './connections';
import { routeEntry, type QueuedEntry } from './offerConversation';
import { queueOnIngest, type IngestQueueing } from './queueOnIngest';
import { pullConversation } from './pullConversation';
import { reassignConversation } from './reassignConversation';
import { routingRuntime, type RoutingRuntime } from './runtime';
import { routingSettings, type RoutingSettings } from './settings';
import { setPresence } from './setPresence';
import { startSweeper, sweepOnce } from './sweeper';
import { syncQueueEntry } from './syncQueueEntry';

const log = logger('routing');

/**
 * The routing engine of one process: the commands (accept, decline, pull, reassign, presence, sockets), the
 * subscription to `contact.ingested` / `conversation.changed` that queues and offers cases, and the sweeper.
 * All decisions are in the database; this object only holds settings and timers.
 */
export class RoutingEngine {
  readonly runtime: RoutingRuntime;
  /** Identifies this process's socket rows (heartbeat). */
  readonly processId = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private stopFns: (() => Promise<void> | void)[] = [];

  constructor(readonly ctx: AppContext, readonly settings: RoutingSettings) {
    this.runtime = routingRuntime(ctx, settings);
  }

  /** Subscribes to the domain events and starts the sweeper. */
  start(opts: { sweeper?: boolean } = {}): { stop(): Promise<void> } {
    const { events } = this.ctx;
    // Cases ingest queued in its own transaction go straight to the offer (or are done: offered in that same
    // transaction); anything else is reconciled first.
    const queuedByIngest: IngestQueueing = new Map();
    this.stopFns.push(onIngestWrite(this.ctx, queueOnIngest(this.runtime, queuedByIngest)));
    this.stopFns.push(
      events.on('contact.ingested', async (p) => {
        const queued = queuedByIngest.get(p.conversationId);
        if (!queued) return this.caseChanged(p.conversationId);
        queuedByIngest.delete(p.conversationId);
        if (queued !== 'offered') await routeEntry(this.runtime, queued.entryId, queued.entry);
      }),
    );
    this.stopFns.push(
      events.on('conversation.changed', (p) => {
        if (p.source !== 'routing') return this.caseChanged(p.conversationId);
      }),
    );
    if (opts.sweeper !== false) {
      const sweeper = startSweeper(this.runtime, this.processId);
      this.stopFns.push(() => sweeper.stop());
    }
    return { stop: () => this.stop() };
  }

  async stop(): Promise<void> {
    for (const fn of this.stopFns.splice(0).reverse()) await fn();
  }

  /** A case was created or changed elsewhere: bring its queue entry in line and offer it if it waits. */
  async caseChanged(conversationId: number): Promise<void> {
    const sync = await syncQueueEntry(this.runtime, conversationId);
    if (sync.route && sync.entryId) await routeEntry(this.runtime, sync.entryId);
  }

  accept(agentId: number, offerId: number) {
    return acceptOffer(this.runtime, { agentId, offerId });
  }
  decline(agentId: number, offerId: number, reason?: string) {
    return declineOffer(this.runtime, { agentId, offerId, reason });
  }
  pull(agentId: number, queueId?: QueueId) {
    return pullConversation(this.runtime, { agentId, queueId });
  }
  reassign(byAgentId: number, conversationId: number, toAgentId: number | null) {
    return reassignConversation(this.runtime, { byAgentId, conversationId, toAgentId });
  }
  setPresence(agentId: number, presence: Presence) {
    return setPresence(this.runtime, { agentId, presence });
  }
  socketConnected(socketId: string, agentId: number, namespace: string) {
    return socketConnected(this.runtime, { socketId, agentId, namespace, processId: this.processId });
  }
  socketDisconnected(socketId: string, agentId: number) {
    return socketDisconnected(this.runtime, { socketId, agentId });
  }
  /** One sweeper pass now (tests; the timer runs them every second). */
  sweep() {
    return sweepOnce(this.runtime);
  }
}

const engines = new WeakMap<AppContext, RoutingEngine>();

/** The routing engine of a context (created with the deployment's settings on first use). */
export function routingEngine(ctx: AppContext): RoutingEngine {
  let engine = engines.get(ctx);
  if (!engine) {
    engine = new RoutingEngine(ctx, routingSettings(ctx.config));
    engines.set(ctx, engine);
  }
  return engine;
}

/** Replaces a context's engine with one using other settings (tests, the benchmark). Call before starting it. */
export function configureRouting(ctx: AppContext, overrides: Partial<RoutingSettings>): RoutingEngine {
  const engine = new RoutingEngine(ctx, routingSettings(ctx.config, overrides));
  engines.set(ctx, engine);
  return engine;
}

/** Routing in web and worker processes: event subscriptions and the sweeper. */
export const routingService: BackgroundService = {
  name: 'routing',
  roles: ['web', 'worker'],
  async start(ctx) {
    const running = routingEngine(ctx).start();
    log.info('routing engine started');
    return running;
  },
};
