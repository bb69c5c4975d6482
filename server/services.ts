import type { Server } from 'node:http';
import type { AppContext } from './context';
import { slaService } from './sla/slaService';
import { twilioService } from './twilio/service';
import { citizenNotifyService } from './notify/notifyCitizen';
import { routingService } from './routing/engine';
import { realtimeService } from './realtime/server';
import { emailIntakeService } from './email/emailIntakeService';
import { lettersService } from './letters/inboxWatcher';
import { acknowledgementSweepService } from './acknowledge/sweepAcknowledgements';

export type ProcessRole = 'web' | 'worker' | 'all';

/** A long-running part of a process (an IMAP watcher, a folder watcher, the realtime server). */
export interface BackgroundService {
  name: string;
  /** Which process roles run it ('all' runs everything). */
  roles: ('web' | 'worker')[];
  /** Starts it; `server` is the HTTP server in web processes. Returns how to stop it. */
  start(ctx: AppContext, server?: Server): Promise<{ stop(): Promise<void> }>;
}

/** Every background service, in start order. Each feature adds one line here. */
// Routing subscribes first: on SQLite every subscriber's write queues for the one writer, and the offer is
// what an agent is waiting for; SLA recomputation and notifications can follow it.
export const SERVICES: BackgroundService[] = [routingService, realtimeService, slaService, twilioService, citizenNotifyService, emailIntakeService, lettersService, acknowledgementSweepService];

/** Starts the services of a role; returns a function stopping them in reverse order. */
export async function startServices(ctx: AppContext, role: ProcessRole, server?: Server, services: BackgroundService[] = SERVICES): Promise<() => Promise<void>> {
  const running: { name: string; stop(): Promise<void> }[] = [];
  for (const s of services) {
    if (role !== 'all' && !s.roles.includes(role)) continue;
    running.push({ name: s.name, ...(await s.start(ctx, s.roles.includes('web') ? server : undefined)) });
  }
  return async () => {
    for (const r of running.reverse()) await r.stop().catch(() => undefined);
  };
}
