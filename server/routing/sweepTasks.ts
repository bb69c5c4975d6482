import type { RoutingRuntime } from './runtime';

/** One more piece of work the routing sweeper runs on each pass; returns how many items it moved. */
export type SweepTask = (r: RoutingRuntime) => Promise<number>;

const tasks = new Map<string, SweepTask>();

/**
 * Adds work to every pass of the routing sweeper, by name (registering a name again replaces it). Work routed
 * outside the queue tables registers here — live calls (server/twilio/callRouting.ts): their offers expire and
 * move on, and their waiting callers reach agents who just became free, even after a restart.
 */
export function registerSweepTask(name: string, task: SweepTask): void {
  tasks.set(name, task);
}

/** Runs the registered tasks one after another; a failing task is reported and does not stop the others. */
export async function runSweepTasks(r: RoutingRuntime, onError: (name: string, err: unknown) => void): Promise<Record<string, number>> {
  const done: Record<string, number> = {};
  for (const [name, task] of tasks) {
    try {
      done[name] = await task(r);
    } catch (err) {
      onError(name, err);
    }
  }
  return done;
}
