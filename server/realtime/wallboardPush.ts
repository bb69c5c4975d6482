import type { AppContext } from '../context';
import type { DomainEventName } from '../events/bus';
import { logger } from '../log';
import { wallboardSnapshot } from '../sla/wallboardSnapshot';
import type { WallboardNamespace, WallboardUpdatedPayload } from './contract';

const log = logger('realtime.wallboard');

/** Domain events after which the board's figures may have moved. */
const BOARD_EVENTS: readonly DomainEventName[] = [
  'contact.ingested', 'conversation.changed', 'offer.changed', 'agent.changed', 'queue.changed', 'call.offered', 'sla.alert',
];

export interface WallboardPushOptions {
  /** Least time between two computations in this process, however many events arrive (default 1 s). */
  minIntervalMs?: number;
  /** Most time between two pushes to this process's sockets, events or not (default 5 s). */
  maxAgeMs?: number;
  /** How long a count of the other processes' wallboard sockets is trusted (default 5 s). */
  audienceTtlMs?: number;
}

export interface WallboardPush {
  /** Computations done so far (each one SQL snapshot), for tests and metrics. */
  readonly computations: number;
  stop(): Promise<void>;
}

/**
 * Pushes the supervisors' board to `/wallboard` sockets. Domain events only mark it dirty; the board is then
 * recomputed at most once per `minIntervalMs` in this process (a burst of hundreds of contacts a second costs one
 * snapshot a second) and sent to the whole namespace, so sockets on other processes learn of changes only this
 * process saw. With no change, each process still sends its own sockets a fresh board every `maxAgeMs`.
 * Nothing is computed while no wallboard socket is connected anywhere.
 */
export function startWallboardPush(ctx: AppContext, wallboard: WallboardNamespace, opts: WallboardPushOptions = {}): WallboardPush {
  const minIntervalMs = opts.minIntervalMs ?? 1_000;
  const maxAgeMs = opts.maxAgeMs ?? 5_000;
  const audienceTtlMs = opts.audienceTtlMs ?? 5_000;
  const clustered = !!ctx.config.REDIS_URL;

  let stopped = false;
  let dirty = false;
  let computations = 0;
  let lastStart = 0;
  let running: Promise<void> | null = null;
  let changeTimer: NodeJS.Timeout | null = null;
  let floorTimer: NodeJS.Timeout | null = null;
  let remote: { at: number; count: Promise<number> } | null = null;

  const localSockets = () => wallboard.sockets.size;

  /** Whether anyone, in any process, would receive a change push. */
  const hasAudience = async (): Promise<boolean> => {
    if (localSockets() > 0) return true;
    if (!clustered) return false;
    if (!remote || Date.now() - remote.at > audienceTtlMs) {
      const count = wallboard.fetchSockets().then((s) => s.length, () => 0);
      remote = { at: Date.now(), count };
    }
    return (await remote.count) > 0;
  };

  const armFloor = () => {
    if (floorTimer) clearTimeout(floorTimer);
    floorTimer = stopped ? null : setTimeout(() => void run('periodic'), maxAgeMs);
    floorTimer?.unref();
  };

  const scheduleChange = () => {
    if (stopped || changeTimer || running) return; // a run under way looks at `dirty` when it ends
    const wait = Math.max(0, lastStart + minIntervalMs - Date.now());
    changeTimer = setTimeout(() => {
      changeTimer = null;
      void run('change');
    }, wait);
    changeTimer.unref();
  };

  async function run(reason: WallboardUpdatedPayload['reason']): Promise<void> {
    if (stopped) return;
    if (running) {
      // A periodic tick during a computation: the computation's push serves as this tick.
      if (reason === 'change') dirty = true;
      return;
    }
    if (reason === 'change' && !dirty) return; // a periodic run took the change already
    if (changeTimer) {
      clearTimeout(changeTimer);
      changeTimer = null;
    }
    const work = (async () => {
      const changed = dirty;
      dirty = false;
      const wanted = reason === 'change' ? await hasAudience() : localSockets() > 0;
      if (!wanted) return;
      lastStart = Date.now();
      computations++;
      const board = await wallboardSnapshot(ctx, { fresh: true });
      if (stopped) return;
      const payload: WallboardUpdatedPayload = { eventId: null, board, reason: changed ? 'change' : 'periodic', maxAgeMs };
      // Changes go to every process's sockets; the periodic floor only to this process's (each process keeps its own).
      if (changed) wallboard.emit('wallboard.updated', payload);
      else wallboard.local.emit('wallboard.updated', payload);
    })();
    running = work;
    try {
      await work;
    } catch (err) {
      dirty = true; // retried at the next interval
      log.error({ err }, 'wallboard push failed');
    } finally {
      running = null;
      armFloor();
      if (dirty) scheduleChange();
    }
  }

  const off = BOARD_EVENTS.map((name) =>
    ctx.events.on(name, () => {
      dirty = true;
      scheduleChange();
    }),
  );
  armFloor();

  return {
    get computations() {
      return computations;
    },
    async stop() {
      stopped = true;
      for (const fn of off) fn();
      if (changeTimer) clearTimeout(changeTimer);
      if (floorTimer) clearTimeout(floorTimer);
      await running?.catch(() => undefined);
    },
  };
}
