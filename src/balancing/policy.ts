/**
 * @module
 * Balancing policies: given the endpoints that can serve a request, return them in the
 * order they should be tried. Policies never look at health; the caller passes only
 * available endpoints.
 */
import type { Endpoint } from "../endpoints/endpoint.ts";

export type BalancerName = "priority" | "round-robin" | "least-connections";

export type Policy = (candidates: readonly Endpoint[]) => Endpoint[];

/** Build the named policy; round-robin keeps its own cursor. */
export function createPolicy(name: BalancerName): Policy {
  if (name === "round-robin") {
    let cursor = 0;
    return function roundRobin(candidates) {
      if (candidates.length === 0) return [];
      const start = cursor++ % candidates.length;
      return [...candidates.slice(start), ...candidates.slice(0, start)];
    };
  }
  if (name === "least-connections") {
    let cursor = 0;
    return function leastConnections(candidates) {
      return byLoad(rotate(candidates, cursor++));
    };
  }
  let cursor = 0;
  return function priority(candidates) {
    // Highest tier first; inside a tier healthy before busy, then the fewest active requests,
    // ties rotated so equal peers share load.
    const rotated = rotate(candidates, cursor++);
    return rotated.sort((a, b) =>
      b.config.priority - a.config.priority || busyRank(a) - busyRank(b) || a.inFlight - b.inFlight
    );
  };
}

function rotate(list: readonly Endpoint[], by: number): Endpoint[] {
  if (list.length < 2) return [...list];
  const start = by % list.length;
  return [...list.slice(start), ...list.slice(0, start)];
}

function byLoad(list: Endpoint[]): Endpoint[] {
  return list.sort((a, b) => a.inFlight - b.inFlight || busyRank(a) - busyRank(b));
}

function busyRank(endpoint: Endpoint): number {
  return endpoint.status === "busy" ? 1 : 0;
}
