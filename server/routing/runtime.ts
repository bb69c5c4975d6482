import type { AppContext } from '../context';
import type { RoutingSettings } from './settings';
import { strategyFor, type RoutingStrategy } from './strategy';

/** What every routing command receives: the application context plus the routing settings and strategy. */
export interface RoutingRuntime {
  ctx: AppContext;
  settings: RoutingSettings;
  strategy: RoutingStrategy;
}

/** Builds a runtime for a context (tests pass a context whose `db` is another pool, to act as another process). */
export function routingRuntime(ctx: AppContext, settings: RoutingSettings): RoutingRuntime {
  return { ctx, settings, strategy: strategyFor(settings.strategy) };
}
