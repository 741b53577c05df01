import { describe, expect, test } from "bun:test";
import { createPolicy } from "../../../src/balancing/policy.ts";
import type { Endpoint } from "../../../src/endpoints/endpoint.ts";
import { makeEndpoint, setInFlight } from "../_endpoints.ts";

const names = (list: readonly Endpoint[]) => list.map((e) => e.name);

function firstPicks(policy: (c: readonly Endpoint[]) => Endpoint[], candidates: readonly Endpoint[], rounds: number) {
  const counts: Record<string, number> = {};
  for (let i = 0; i < rounds; i++) {
    const first = policy(candidates)[0]!.name;
    counts[first] = (counts[first] ?? 0) + 1;
  }
  return counts;
}

describe('createPolicy("priority")', () => {
  test("priority policy puts the highest priority tier first, then lower tiers in order", () => {
    const policy = createPolicy("priority");
    const candidates = [makeEndpoint("low", { priority: 10 }), makeEndpoint("high", { priority: 90 }), makeEndpoint("mid", { priority: 50 })];
    for (let i = 0; i < 4; i++) expect(names(policy(candidates))).toEqual(["high", "mid", "low"]);
  });

  test("priority policy prefers the endpoint with fewer requests in flight within a tier", () => {
    const policy = createPolicy("priority");
    const busy = makeEndpoint("busy", { inFlight: 3 });
    const idle = makeEndpoint("idle", { inFlight: 0 });
    for (let i = 0; i < 4; i++) expect(names(policy([busy, idle]))).toEqual(["idle", "busy"]);
  });

  test("priority policy never lets in-flight count lift a lower tier above a higher one", () => {
    const policy = createPolicy("priority");
    const highBusy = makeEndpoint("high", { priority: 90, inFlight: 50 });
    const lowIdle = makeEndpoint("low", { priority: 10, inFlight: 0 });
    expect(names(policy([lowIdle, highBusy]))).toEqual(["high", "low"]);
  });

  test("priority policy puts healthy before busy within a tier, even when the busy one has fewer in flight", () => {
    const policy = createPolicy("priority");
    const busy = makeEndpoint("busy", { status: "busy", inFlight: 0 });
    const healthy = makeEndpoint("healthy", { inFlight: 4 });
    const lower = makeEndpoint("lower", { priority: 10 });
    for (let i = 0; i < 3; i++) expect(names(policy([busy, lower, healthy]))).toEqual(["healthy", "busy", "lower"]);
  });

  test("priority policy rotates equal peers so each is tried first in turn", () => {
    const policy = createPolicy("priority");
    const candidates = [makeEndpoint("a"), makeEndpoint("b"), makeEndpoint("c")];
    expect([0, 1, 2, 3].map(() => policy(candidates)[0]!.name)).toEqual(["a", "b", "c", "a"]);
  });

  test("priority policy returns every candidate exactly once and leaves its input untouched", () => {
    const policy = createPolicy("priority");
    const candidates = [makeEndpoint("a", { priority: 1 }), makeEndpoint("b", { priority: 2 }), makeEndpoint("c", { priority: 2 })];
    const ordered = policy(candidates);
    expect(names(ordered).sort()).toEqual(["a", "b", "c"]);
    expect(names(candidates)).toEqual(["a", "b", "c"]);
    expect(ordered).not.toBe(candidates);
  });

  test("priority policy of no candidates is empty and of one is that one", () => {
    const policy = createPolicy("priority");
    expect(policy([])).toEqual([]);
    const only = makeEndpoint("only");
    expect(policy([only])).toEqual([only]);
  });
});

describe('createPolicy("round-robin")', () => {
  test("round-robin policy starts at the next endpoint on each call and keeps the rest in order", () => {
    const policy = createPolicy("round-robin");
    const candidates = [makeEndpoint("a"), makeEndpoint("b"), makeEndpoint("c")];
    expect(names(policy(candidates))).toEqual(["a", "b", "c"]);
    expect(names(policy(candidates))).toEqual(["b", "c", "a"]);
    expect(names(policy(candidates))).toEqual(["c", "a", "b"]);
    expect(names(policy(candidates))).toEqual(["a", "b", "c"]);
  });

  test("round-robin policy spreads first picks evenly and ignores priority and load", () => {
    const policy = createPolicy("round-robin");
    const candidates = [makeEndpoint("a", { priority: 1 }), makeEndpoint("b", { priority: 100, inFlight: 9 }), makeEndpoint("c")];
    expect(firstPicks(policy, candidates, 300)).toEqual({ a: 100, b: 100, c: 100 });
  });

  test("round-robin policies built separately keep separate cursors", () => {
    const one = createPolicy("round-robin");
    const two = createPolicy("round-robin");
    const candidates = [makeEndpoint("a"), makeEndpoint("b")];
    one(candidates);
    expect(names(two(candidates))).toEqual(["a", "b"]);
  });

  test("round-robin policy of no candidates is empty", () => {
    expect(createPolicy("round-robin")([])).toEqual([]);
  });
});

describe('createPolicy("least-connections")', () => {
  test("least-connections policy orders by requests in flight, fewest first, regardless of priority", () => {
    const policy = createPolicy("least-connections");
    const candidates = [
      makeEndpoint("three", { inFlight: 3, priority: 1_000 }),
      makeEndpoint("one", { inFlight: 1 }),
      makeEndpoint("two", { inFlight: 2 }),
    ];
    for (let i = 0; i < 3; i++) expect(names(policy(candidates))).toEqual(["one", "two", "three"]);
  });

  test("least-connections policy prefers healthy over busy only when in-flight counts tie", () => {
    const policy = createPolicy("least-connections");
    const busy = makeEndpoint("busy", { status: "busy", inFlight: 1 });
    const healthy = makeEndpoint("healthy", { inFlight: 1 });
    const idleBusy = makeEndpoint("idle-busy", { status: "busy", inFlight: 0 });
    for (let i = 0; i < 3; i++) expect(names(policy([busy, healthy, idleBusy]))).toEqual(["idle-busy", "healthy", "busy"]);
  });

  test("least-connections policy rotates endpoints with equal load", () => {
    const policy = createPolicy("least-connections");
    const even = [makeEndpoint("a"), makeEndpoint("b"), makeEndpoint("c")];
    expect(firstPicks(policy, even, 30)).toEqual({ a: 10, b: 10, c: 10 });
  });

  test("least-connections policy reads in-flight counts at call time", () => {
    const policy = createPolicy("least-connections");
    const a = makeEndpoint("a");
    const b = makeEndpoint("b");
    setInFlight(a, 5);
    expect(policy([a, b])[0]).toBe(b);
    setInFlight(a, 0);
    setInFlight(b, 5);
    expect(policy([a, b])[0]).toBe(a);
  });
});

describe("tie rotation", () => {
  test("priority policy shares load evenly between equal peers even when a lower tier is present", () => {
    const policy = createPolicy("priority");
    const candidates = [makeEndpoint("a"), makeEndpoint("b"), makeEndpoint("c", { priority: 50 })];
    expect(firstPicks(policy, candidates, 300)).toEqual({ a: 150, b: 150 });
  });

  test("least-connections shares load evenly between the idle endpoints when another is busy", () => {
    const policy = createPolicy("least-connections");
    const candidates = [makeEndpoint("a"), makeEndpoint("b"), makeEndpoint("c", { inFlight: 2 })];
    expect(firstPicks(policy, candidates, 300)).toEqual({ a: 150, b: 150 });
  });
});
