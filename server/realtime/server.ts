import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { z } from 'zod';
import { AgentDepartment, Conversation, Department } from '../../db/models';
import { agentFromCookieHeader } from '../auth/sessions';
import type { ConversationScope } from '../auth/visibility';
import type { AppContext } from '../context';
import { forbidden, notFound } from '../errors';
import { logger } from '../log';
import type { BackgroundService } from '../services';
import { routingEngine } from '../routing/engine';
import { PRESENCES } from '../../db/models/Agent';
import { acked } from './ack';
import type { AgentsNamespace, RealtimeServer, SocketData, ViewerView, WallboardNamespace } from './contract';
import { startPublisher } from './publisher';
import { rooms } from './rooms';
import { syncSince } from './syncSince';
import { startSlaAlerts } from './slaAlerts';
import { startWallboardPush, type WallboardPush, type WallboardPushOptions } from './wallboardPush';
import { wallboardSnapshot } from '../sla/wallboardSnapshot';
import { loadConversationSummaries, loadPresenceViews, loadQueueStats } from './views';
import { OPEN_STATUSES } from '../../db/models/Conversation';
import { isOwnOrigin } from '../http/sameOrigin';

const log = logger('realtime');

const QueueIdSchema = z.union([z.literal('general'), z.number().int().positive()]);
const schemas = {
  presence: z.object({ presence: z.enum(PRESENCES) }),
  offer: z.object({ offerId: z.number().int().positive() }),
  decline: z.object({ offerId: z.number().int().positive(), reason: z.string().trim().max(200).optional() }),
  pull: z.object({ queueId: QueueIdSchema.optional() }),
  conversation: z.object({ conversationId: z.number().int().positive() }),
  typing: z.object({ conversationId: z.number().int().positive(), typing: z.boolean() }),
  sync: z.object({ lastEventId: z.number().int().min(0) }),
  empty: z.object({}).passthrough(),
};

/** The origins a browser socket may come from: PUBLIC_URL's, and the request's own host (same-origin deployments). */
export function originAllowed(req: IncomingMessage, publicUrl: string): boolean {
  const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  return isOwnOrigin(req.headers.origin, req.headers.host, proto, publicUrl);
}

export interface Realtime {
  io: RealtimeServer;
  agents: AgentsNamespace;
  wallboard: WallboardNamespace;
  /** The board pushed to `/wallboard` sockets (throttled recomputation after domain events, periodic floor). */
  boardPush: WallboardPush;
  stop(): Promise<void>;
}

/**
 * Starts socket.io: attached to the HTTP server in web processes (handshake by session cookie with an Origin
 * check), detached in workers (it only broadcasts through the Redis adapter). Only this layer emits, from
 * committed domain events, after re-reading the rows (publisher.ts).
 */
export async function startRealtime(ctx: AppContext, http?: HttpServer, opts: { wallboard?: WallboardPushOptions } = {}): Promise<Realtime> {
  const io: RealtimeServer = new Server({
    path: '/socket.io',
    serveClient: false,
    allowRequest: (req, cb) => cb(originAllowed(req, ctx.config.PUBLIC_URL) ? null : 'origin not allowed', originAllowed(req, ctx.config.PUBLIC_URL)),
    pingInterval: 10_000,
    pingTimeout: 8_000,
  });
  let redis: Redis[] = [];
  if (ctx.config.REDIS_URL) {
    // Auto-pipelining: the events of one publish (an offer, its case, its message) leave in one write, not one each.
    const pub = new Redis(ctx.config.REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: false, enableAutoPipelining: true });
    const sub = pub.duplicate({ enableAutoPipelining: false });
    redis = [pub, sub];
    io.adapter(createAdapter(pub, sub, { key: 'ghiseu:socket.io' }));
  }
  if (http) io.attach(http);

  const agents = io.of('/agents') as AgentsNamespace;
  const wallboard = io.of('/wallboard') as unknown as WallboardNamespace;
  const engine = routingEngine(ctx);

  const authenticate = async (socket: { handshake: { headers: IncomingMessage['headers'] }; data: Partial<SocketData> }, roles?: string[]) => {
    const found = await agentFromCookieHeader(socket.handshake.headers.cookie);
    if (!found) throw Object.assign(new Error('unauthenticated'), { data: { code: 'unauthenticated', message: 'Sign in to the console first.' } });
    if (roles && !roles.includes(found.agent.role)) throw Object.assign(new Error('forbidden'), { data: { code: 'forbidden', message: 'Only supervisors and administrators see the wallboard.' } });
    const departmentIds = (await AgentDepartment.findAll({ where: { agentId: found.agent.id } })).map((d) => d.departmentId);
    Object.assign(socket.data, {
      agentId: found.agent.id,
      name: found.agent.name,
      role: found.agent.role,
      departmentIds,
      allDepartments: found.agent.allDepartments,
      viewing: {},
    } satisfies SocketData);
  };
  agents.use((socket, next) => void authenticate(socket).then(() => next(), (err: Error) => next(err)));
  wallboard.use((socket, next) => void authenticate(socket, ['supervisor', 'admin']).then(() => next(), (err: Error) => next(err)));

  const scopeOf = (d: SocketData): ConversationScope =>
    d.role !== 'agent' || d.allDepartments ? { all: true } : { all: false, agentId: d.agentId, departmentIds: d.departmentIds };

  const viewersOf = async (conversationId: number): Promise<ViewerView[]> => {
    const sockets = await agents.in(rooms.viewing(conversationId)).fetchSockets();
    const byAgent = new Map<number, ViewerView>();
    for (const s of sockets) {
      const v = s.data.viewing?.[conversationId];
      if (!v) continue;
      const prev = byAgent.get(s.data.agentId);
      byAgent.set(s.data.agentId, { agentId: s.data.agentId, name: s.data.name, typing: (prev?.typing ?? false) || v.typing, since: prev && prev.since < v.since ? prev.since : v.since });
    }
    return [...byAgent.values()];
  };
  const announceViewers = async (conversationId: number) => {
    const viewers = await viewersOf(conversationId);
    agents.to(rooms.conversation(conversationId)).to(rooms.viewing(conversationId)).emit('viewers.changed', { eventId: null, conversationId, viewers });
    return viewers;
  };

  agents.on('connection', (socket) => {
    const d = socket.data;
    const scope = scopeOf(d);
    void (async () => {
      const join: string[] = [rooms.agent(d.agentId)];
      if (scope.all) {
        join.push(rooms.everything, rooms.queue('general'));
        for (const dep of await Department.findAll({ attributes: ['id'] })) join.push(rooms.queue(dep.id));
      } else {
        join.push(rooms.queue('general'), ...d.departmentIds.map((id) => rooms.queue(id)));
      }
      // SLA alerts: admins and supervisors of every department hear all of them, other supervisors their departments'.
      if (d.role === 'admin' || (d.role === 'supervisor' && d.allDepartments)) join.push(rooms.allSupervisors);
      else if (d.role === 'supervisor') join.push(...d.departmentIds.map((id) => rooms.supervisors(id)));
      const mine = await Conversation.findAll({ where: { assigneeId: d.agentId, status: [...OPEN_STATUSES] }, attributes: ['id'], limit: 1000 });
      join.push(...mine.map((c) => rooms.conversation(c.id)));
      await socket.join(join);
      await engine.socketConnected(socket.id, d.agentId, '/agents');
    })().catch((err: unknown) => log.error({ err }, 'socket setup failed'));

    socket.on('disconnect', () => {
      const viewed = Object.keys(d.viewing ?? {}).map(Number);
      void engine.socketDisconnected(socket.id, d.agentId).catch((err: unknown) => log.error({ err }, 'socket teardown failed'));
      for (const id of viewed) void announceViewers(id).catch(() => undefined);
    });

    socket.on('presence.set', acked(schemas.presence, async ({ presence }) => {
      await engine.setPresence(d.agentId, presence);
      return (await loadPresenceViews([d.agentId]))[0]!;
    }));
    socket.on('offer.accept', acked(schemas.offer, async ({ offerId }) => {
      const r = await engine.accept(d.agentId, offerId);
      return { conversation: (await loadConversationSummaries([r.conversationId])).get(r.conversationId)!, eventId: r.eventId };
    }));
    socket.on('offer.decline', acked(schemas.decline, async ({ offerId, reason }) => {
      await engine.decline(d.agentId, offerId, reason);
      return { offerId };
    }));
    socket.on('queue.pull', acked(schemas.pull, async ({ queueId }) => {
      const r = await engine.pull(d.agentId, queueId);
      return { conversation: (await loadConversationSummaries([r.conversationId])).get(r.conversationId)!, eventId: r.eventId };
    }));
    socket.on('conversation.view', acked(schemas.conversation, async ({ conversationId }) => {
      const c = await Conversation.findByPk(conversationId, { attributes: ['id', 'departmentId', 'assigneeId'] });
      if (!c) throw notFound('The case');
      if (!scope.all && !(c.departmentId === null || c.assigneeId === d.agentId || d.departmentIds.includes(c.departmentId))) throw forbidden('This case belongs to a department you do not serve.');
      d.viewing = { ...d.viewing, [conversationId]: { since: new Date().toISOString(), typing: false } };
      await socket.join([rooms.conversation(conversationId), rooms.viewing(conversationId)]);
      return { viewers: await announceViewers(conversationId) };
    }));
    socket.on('conversation.leave', acked(schemas.conversation, async ({ conversationId }) => {
      const { [conversationId]: _left, ...rest } = d.viewing ?? {};
      d.viewing = rest;
      await socket.leave(rooms.viewing(conversationId));
      const assigned = await Conversation.count({ where: { id: conversationId, assigneeId: d.agentId } });
      if (!assigned) await socket.leave(rooms.conversation(conversationId));
      await announceViewers(conversationId);
      return null;
    }));
    socket.on('conversation.typing', acked(schemas.typing, async ({ conversationId, typing }) => {
      const v = d.viewing?.[conversationId];
      if (!v) throw forbidden('Open the case (conversation.view) before typing in it.');
      if (v.typing !== typing) {
        d.viewing = { ...d.viewing, [conversationId]: { ...v, typing } };
        await announceViewers(conversationId);
      }
      return null;
    }));
    socket.on('sync.since', acked(schemas.sync, async ({ lastEventId }) => {
      const result = await syncSince(ctx, d.agentId, scope, lastEventId);
      if (result.kind === 'sync.required') socket.emit('sync.required', { eventId: null, reason: result.reason, latestEventId: result.latestEventId });
      return result;
    }));
  });

  wallboard.on('connection', (socket) => {
    socket.on('wallboard.snapshot', acked(schemas.empty, async () => ({
      queues: await loadQueueStats(ctx.db),
      agents: await loadPresenceViews(),
      at: new Date().toISOString(),
    })));
    socket.on('wallboard.board', acked(schemas.empty, () => wallboardSnapshot(ctx)));
  });

  const publisher = startPublisher(ctx, agents, wallboard);
  const boardPush = startWallboardPush(ctx, wallboard, opts.wallboard);
  const stopSlaAlerts = startSlaAlerts(ctx, agents, wallboard);
  log.info({ attached: !!http, redis: !!ctx.config.REDIS_URL }, 'realtime started');

  return {
    io,
    agents,
    wallboard,
    boardPush,
    async stop() {
      stopSlaAlerts();
      await boardPush.stop();
      await publisher.stop();
      await new Promise<void>((resolve) => {
        io.disconnectSockets(true);
        // io.close() would also close the shared HTTP server; engine.io alone is enough.
        io.engine?.close();
        resolve();
      });
      // The disconnect's publish is pipelined on the next tick: a PING queued behind it answers once it has left.
      await Promise.all(redis.map((r) => r.ping().catch(() => undefined)));
      await Promise.all(redis.map((r) => r.quit().catch(() => undefined)));
    },
  };
}

/** socket.io in web processes (attached to the HTTP server) and workers (broadcast only, through Redis). */
export const realtimeService: BackgroundService = {
  name: 'realtime',
  roles: ['web', 'worker'],
  async start(ctx, server) {
    if (!server && !ctx.config.REDIS_URL) return { stop: async () => undefined }; // a lone worker has nobody to tell
    return startRealtime(ctx, server);
  },
};

