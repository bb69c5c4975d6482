import type { Config } from '../config';

export type StrategyName = 'longest_idle' | 'least_occupied';

/** The knobs of the routing engine; from the configuration, overridable by tests and the benchmark. */
export interface RoutingSettings {
  /** How long an agent has to accept or decline an offer. */
  offerTimeoutMs: number;
  /** After a decline or a timeout the case is not offered to that agent again for this long. */
  exclusionMs: number;
  /** All of an agent's sockets must be gone this long before their pending offers are revoked. */
  disconnectGraceMs: number;
  /** How often the DB-driven sweeper runs in each process. */
  sweepIntervalMs: number;
  /** How often a process refreshes its sockets' heartbeat rows; rows older than 3× this are a dead process's. */
  heartbeatMs: number;
  strategy: StrategyName;
}

/** The settings a deployment runs with. */
export function routingSettings(config: Config, overrides: Partial<RoutingSettings> = {}): RoutingSettings {
  return {
    offerTimeoutMs: config.ROUTING_OFFER_TIMEOUT_SECONDS * 1000,
    exclusionMs: 10 * 60 * 1000,
    disconnectGraceMs: 5_000,
    sweepIntervalMs: 1_000,
    heartbeatMs: 5_000,
    strategy: config.ROUTING_STRATEGY,
    ...overrides,
  };
}
