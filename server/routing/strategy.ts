import type { StrategyName } from './settings';

/** An available agent with room for the case, as a strategy ranks them. */
export interface Candidate {
  agentId: number;
  /** When they were last offered a case (null: never) — the longest idle goes first. */
  lastOfferAt: Date | null;
  /** Active cases and pending offers across all channels, and the sum of their capacities. */
  load: number;
  capacity: number;
}

/** Who among the eligible agents gets the next case first. One interface, several strategies (Rocket.Chat's routing methods). */
export interface RoutingStrategy {
  readonly name: StrategyName;
  /** Returns the candidates best first (a new array). */
  rank(candidates: readonly Candidate[]): Candidate[];
}

const idleOrder = (a: Candidate, b: Candidate) =>
  (a.lastOfferAt?.getTime() ?? 0) - (b.lastOfferAt?.getTime() ?? 0) || a.agentId - b.agentId;

/** Longest idle first: the agent whose last offer is the oldest (never offered first). */
export const longestIdle: RoutingStrategy = {
  name: 'longest_idle',
  rank: (candidates) => [...candidates].sort(idleOrder),
};

/** Least occupied first (share of capacity in use), then longest idle. */
export const leastOccupied: RoutingStrategy = {
  name: 'least_occupied',
  rank: (candidates) =>
    [...candidates].sort((a, b) => a.load / Math.max(1, a.capacity) - b.load / Math.max(1, b.capacity) || idleOrder(a, b)),
};

/** The strategy a name stands for. */
export function strategyFor(name: StrategyName): RoutingStrategy {
  return name === 'least_occupied' ? leastOccupied : longestIdle;
}
