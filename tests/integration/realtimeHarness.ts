import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as connect } from 'socket.io-client';
import type { Agent } from '../../db/models';
import { createSession, SESSION_COOKIE } from '../../server/auth/sessions';
import { createApp } from '../../server/app';
import type { AppContext } from '../../server/context';
import type { Ack, AgentClientSocket, AgentServerEvents } from '../../server/realtime/contract';
import { startRealtime, type Realtime } from '../../server/realtime/server';

/** An HTTP server with the app and socket.io on a free port. */
export async function startWeb(ctx: AppContext): Promise<{ url: string; server: Server; realtime: Realtime; close(): Promise<void> }> {
  const server = createServer(createApp(ctx));
  const realtime = await startRealtime(ctx, server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    server,
    realtime,
    async close() {
      await realtime.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The session cookie header of a fresh session for an agent. */
export async function cookieFor(agent: Agent): Promise<string> {
  const { token } = await createSession(agent);
  return `${SESSION_COOKIE}=${token}`;
}

/** A recorded console socket: every server event it received, in order. */
export interface Console {
  socket: AgentClientSocket;
  received: { name: keyof AgentServerEvents; payload: { eventId: number | null } & Record<string, unknown>; at: number }[];
  call<T>(event: string, payload: unknown): Promise<Ack<T>>;
  waitFor(name: keyof AgentServerEvents, pred?: (p: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** Connects a console socket; resolves once connected, rejects with the server's connect_error. */
export async function openConsole(url: string, opts: { cookie?: string; origin?: string; namespace?: string } = {}): Promise<Console> {
  const socket = connect(`${url}${opts.namespace ?? '/agents'}`, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: { ...(opts.cookie ? { cookie: opts.cookie } : {}), origin: opts.origin ?? url },
  }) as AgentClientSocket;
  const received: Console['received'] = [];
  socket.onAny((name: keyof AgentServerEvents, payload: Console['received'][number]['payload']) => received.push({ name, payload, at: Date.now() }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
  return {
    socket,
    received,
    call<T>(event: string, payload: unknown) {
      return (socket as unknown as { timeout(ms: number): { emitWithAck(e: string, p: unknown): Promise<Ack<T>> } }).timeout(5000).emitWithAck(event, payload);
    },
    async waitFor(name, pred = () => true, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = received.find((r) => r.name === name && pred(r.payload));
        if (hit) return hit.payload;
        if (Date.now() > deadline) throw new Error(`no ${name} within ${timeoutMs} ms (got: ${received.map((r) => r.name).join(', ') || 'nothing'})`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
