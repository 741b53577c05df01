/**
 * @module
 * Balancing policies: given the endpoints that can serve a request, return them in the
 * order they should be tried. Policies never look at health; the caller passes only
 * available endpoints.
 */
import type { Endpoint } from "../endpoints/endpoint.ts";

export type BalancerName = "priority" | "round-robin" | "least-connections";

/**
 * Order candidates, best first. `rank` (lower is better) says how ready an endpoint is for
 * this request's model: priority and least-connections put it before load; round-robin
 * ignores it, since rotation is what its users asked for.
 */
export type Policy = (candidates: readonly Endpoint[], rank?: (endpoint: Endpoint) => number) => Endpoint[];

const NO_RANK = () => 0;

/** Build the named policy; each keeps its own cursor to rotate ties. */
export function createPolicy(name: BalancerName): Policy {
  let cursor = 0;
  if (name === "round-robin") {
    return function roundRobin(candidates) {
      if (candidates.length === 0) return [];
      const start = cursor++ % candidates.length;
      return [...candidates.slice(start), ...candidates.slice(0, start)];
    };
  }
  if (name === "least-connections") {
    return function leastConnections(candidates, rank = NO_RANK) {
      return orderRotatingTies(
        candidates,
        (a, b) => rank(a) - rank(b) || a.inFlight - b.inFlight || busyRank(a) - busyRank(b),
        cursor++,
      );
    };
  }
  return function priority(candidates, rank = NO_RANK) {
    // Highest tier first; inside a tier the model's readiness, healthy before busy, then the
    // fewest active requests.
    return orderRotatingTies(
      candidates,
      (a, b) =>
        b.config.priority - a.config.priority || rank(a) - rank(b) || busyRank(a) - busyRank(b) ||
        a.inFlight - b.inFlight,
      cursor++,
    );
  };
}

/** Sort by `compare`, then rotate each run of equal candidates by `turn`, so equal peers share load. */
function orderRotatingTies(list: readonly Endpoint[], compare: (a: Endpoint, b: Endpoint) => number, turn: number): Endpoint[] {
  const sorted = [...list].sort(compare);
  const out: Endpoint[] = [];
  for (let start = 0; start < sorted.length;) {
    let end = start + 1;
    while (end < sorted.length && compare(sorted[start]!, sorted[end]!) === 0) end++;
    const group = sorted.slice(start, end);
    const shift = turn % group.length;
    out.push(...group.slice(shift), ...group.slice(0, shift));
    start = end;
  }
  return out;
}

function busyRank(endpoint: Endpoint): number {
  return endpoint.status === "busy" ? 1 : 0;
}
