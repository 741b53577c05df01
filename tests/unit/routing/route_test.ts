import { describe, expect, test } from "bun:test";
import type { BalancerName } from "../../../src/balancing/policy.ts";
import type { Endpoint } from "../../../src/endpoints/endpoint.ts";
import { asProxyError } from "../../../src/http/errors.ts";
import { normaliseModelRef } from "../../../src/models/dmr_names.ts";
import { Router } from "../../../src/routing/route.ts";
import { makeEndpoint, setModels } from "../_endpoints.ts";
import { deferred, FakeClock, tick } from "../_fake_clock.ts";
import { rejection } from "../_rejection.ts";

interface Options {
  balancer?: BalancerName;
  refresh?: () => Promise<void> | void;
  refreshOnMissEveryMs?: number;
}

function setup(endpoints: Endpoint[], options: Options = {}) {
  const clock = new FakeClock();
  const refreshes: number[] = [];
  const router = new Router({
    endpoints,
    balancer: options.balancer ?? "priority",
    clock,
    refreshModels: async () => {
      refreshes.push(clock.now());
      await options.refresh?.();
    },
    refreshOnMissEveryMs: options.refreshOnMissEveryMs,
  });
  const candidates = (model: string) => router.candidates(normaliseModelRef(model), model);
  return { router, clock, refreshes, candidates };
}


const names = (list: readonly Endpoint[]) => list.map((e) => e.name);

describe("Router.candidates()", () => {
  test("Router.candidates() lists the healthy endpoints serving the model, best first, and nothing else", async () => {
    const low = makeEndpoint("low", { priority: 10, models: ["ai/smollm2"] });
    const high = makeEndpoint("high", { priority: 90, models: ["docker.io/ai/smollm2:latest"] });
    const other = makeEndpoint("other", { priority: 1_000, models: ["ai/qwen3"] });
    const down = makeEndpoint("down", { priority: 500, status: "unhealthy", models: ["ai/smollm2"] });
    const { candidates, refreshes } = setup([low, high, other, down]);
    expect(names(await candidates("smollm2"))).toEqual(["high", "low"]);
    expect(names(await candidates("ai/smollm2:latest"))).toEqual(["high", "low"]);
    expect(refreshes).toEqual([]);
  });

  test("Router.candidates() includes busy endpoints, after healthy ones of the same priority", async () => {
    const busy = makeEndpoint("busy", { status: "busy", models: ["ai/x"] });
    const healthy = makeEndpoint("healthy", { models: ["ai/x"] });
    const { candidates } = setup([busy, healthy]);
    expect(names(await candidates("ai/x"))).toEqual(["healthy", "busy"]);
  });

  test("Router.candidates() leaves out an endpoint whose circuit breaker is open while another can serve", async () => {
    const clock = new FakeClock(0);
    const tripped = makeEndpoint("tripped", { priority: 1_000, models: ["ai/x"], clock });
    const other = makeEndpoint("other", { models: ["ai/x"], clock });
    for (let i = 0; i < 3; i++) tripped.breaker.recordFailure();
    const { candidates } = setup([tripped, other]);
    expect(names(await candidates("ai/x"))).toEqual(["other"]);
    await clock.advance(5_000);
    expect(names(await candidates("ai/x"))).toEqual(["tripped", "other"]);
  });

  test("Router.candidates() answers 503 circuit_open with Retry-After when every endpoint serving the model is paused", async () => {
    const clock = new FakeClock(0);
    const tripped = makeEndpoint("tripped", { models: ["ai/x"], clock });
    const unrelated = makeEndpoint("unrelated", { models: ["ai/y"], clock });
    for (let i = 0; i < 3; i++) tripped.breaker.recordFailure();
    await clock.advance(1_200);
    const { candidates, refreshes } = setup([tripped, unrelated]);
    const error = await rejection(candidates("ai/x"));
    expect(error.status).toBe(503);
    expect(error.code).toBe("circuit_open");
    expect(error.message).toContain('"ai/x"');
    expect(error.message).toContain("tripped");
    expect(error.headers["retry-after"]).toBe("4");
    expect(refreshes).toEqual([]);
  });

  test("Router.candidates() orders with the configured balancer", async () => {
    const endpoints = [makeEndpoint("a", { models: ["ai/x"] }), makeEndpoint("b", { models: ["ai/x"] })];
    const { candidates } = setup(endpoints, { balancer: "round-robin" });
    expect(names(await candidates("ai/x"))).toEqual(["a", "b"]);
    expect(names(await candidates("ai/x"))).toEqual(["b", "a"]);
  });

  test("Router.candidates() answers an unknown model with 404 model_not_found naming the model and the model list route", async () => {
    const a = makeEndpoint("dmr-one", { models: ["ai/smollm2"] });
    const { candidates } = setup([a]);
    const error = await rejection(candidates("ai/nonexistent:7B"));
    expect(error.status).toBe(404);
    expect(error.code).toBe("model_not_found");
    expect(error.message).toContain('"ai/nonexistent:7B"');
    expect(error.message).toContain("GET /olla/dmr/engines/v1/models");
    expect(error.message).toContain("dmr-one");
    expect(error.message).toContain("docker model pull ai/nonexistent:7B");
    const body = await error.toResponse().json();
    expect(body.error).toMatchObject({ type: "not_found_error", code: "model_not_found" });
  });

  test("Router.candidates() answers 503 with Retry-After when only an unhealthy endpoint lists the model", async () => {
    const up = makeEndpoint("up", { models: ["ai/other"] });
    const down = makeEndpoint("down", { status: "unhealthy", models: ["ai/smollm2"] });
    const { candidates, clock, refreshes } = setup([up, down]);
    down.scheduleCheck(clock.now() + 2_500);
    const error = await rejection(candidates("ai/smollm2"));
    expect(error.status).toBe(503);
    expect(error.code).toBe("model_unavailable");
    expect(error.message).toContain('"ai/smollm2"');
    expect(error.message).toContain("down is down");
    expect(error.message).not.toContain("up");
    expect(error.headers["retry-after"]).toBe("3");
    expect(Number(error.headers["retry-after-ms"])).toBeGreaterThanOrEqual(2_500);
    const response = error.toResponse();
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("3");
    expect(refreshes).toEqual([]);
  });

  test("Router.candidates() uses the soonest next check among the down endpoints, and never less than 1 s", async () => {
    const a = makeEndpoint("a", { status: "unhealthy", models: ["ai/x"] });
    const b = makeEndpoint("b", { status: "unhealthy", models: ["ai/x"] });
    const { candidates, clock } = setup([a, b]);
    a.scheduleCheck(clock.now() + 9_000);
    b.scheduleCheck(clock.now() + 4_200);
    expect((await rejection(candidates("ai/x"))).headers["retry-after"]).toBe("5");
    b.scheduleCheck(clock.now() - 50);
    expect((await rejection(candidates("ai/x"))).headers["retry-after"]).toBe("1");
  });

  test("Router.candidates() falls back to the check interval for Retry-After before any check was scheduled", async () => {
    const a = makeEndpoint("a", { status: "unhealthy", models: ["ai/x"], checkIntervalMs: 7_000 });
    const { candidates } = setup([a]);
    expect((await rejection(candidates("ai/x"))).headers["retry-after"]).toBe("7");
  });

  test("Router.candidates() answers 503 naming every endpoint when all are down, even for a model none lists", async () => {
    const a = makeEndpoint("a", { status: "unhealthy" });
    const b = makeEndpoint("b", { status: "unhealthy", models: ["ai/y"] });
    const { candidates } = setup([a, b]);
    const error = await rejection(candidates("ai/x"));
    expect(error.status).toBe(503);
    expect(error.code).toBe("model_unavailable");
    expect(error.message).toContain("a, b are down");
    expect(Number(error.headers["retry-after"])).toBeGreaterThanOrEqual(1);
  });

  test("Router.candidates() on a miss re-reads model lists once and serves a model listed since", async () => {
    const a = makeEndpoint("a", { models: ["ai/old"] });
    const { candidates, refreshes } = setup([a], { refresh: () => setModels(a, ["ai/old", "ai/just-pulled"]) });
    expect(names(await candidates("ai/just-pulled"))).toEqual(["a"]);
    expect(refreshes).toHaveLength(1);
  });

  test("Router.candidates() refreshes once per miss and still answers 404 when the refresh finds nothing", async () => {
    const a = makeEndpoint("a", { models: ["ai/old"] });
    const { candidates, refreshes } = setup([a]);
    expect((await rejection(candidates("ai/missing"))).status).toBe(404);
    expect(refreshes).toHaveLength(1);
  });

  test("Router.candidates() does not refresh on misses more often than refreshOnMissEveryMs", async () => {
    const a = makeEndpoint("a", { models: ["ai/old"] });
    const { candidates, refreshes, clock } = setup([a], { refreshOnMissEveryMs: 5_000 });
    await rejection(candidates("ai/missing"));
    await clock.advance(4_999);
    await rejection(candidates("ai/missing"));
    await rejection(candidates("ai/other-missing"));
    expect(refreshes).toHaveLength(1);
    await clock.advance(1);
    await rejection(candidates("ai/missing"));
    expect(refreshes).toHaveLength(2);
  });

  test("Router.candidates() rate-limits refreshes to one a second by default", async () => {
    const a = makeEndpoint("a");
    const { candidates, refreshes, clock } = setup([a]);
    await rejection(candidates("ai/missing"));
    await clock.advance(999);
    await rejection(candidates("ai/missing"));
    expect(refreshes).toHaveLength(1);
    await clock.advance(1);
    await rejection(candidates("ai/missing"));
    expect(refreshes).toHaveLength(2);
  });

  test("Router.candidates() shares one refresh between concurrent misses, which wait for it and see what it found", async () => {
    const a = makeEndpoint("a");
    const gate = deferred<void>();
    const { candidates, refreshes } = setup([a], { refresh: () => gate.promise });
    const first = candidates("ai/x").catch((e: unknown) => asProxyError(e)?.status);
    const second = candidates("ai/y");
    await tick();
    setModels(a, ["ai/y"]);
    gate.resolve();
    expect(await first).toBe(404);
    expect(names(await second)).toEqual(["a"]);
    expect(refreshes).toHaveLength(1);
  });

  test("Router.candidates() waits for endpoints whose first probe has not finished", async () => {
    const a = makeEndpoint("a", { status: "unknown" });
    const { candidates } = setup([a]);
    let result: Endpoint[] | undefined;
    const pending = candidates("ai/x").then((r) => (result = r));
    await tick();
    expect(result).toBeUndefined();
    a.setStatus("healthy", null);
    setModels(a, ["ai/x"]);
    a.markChecked();
    await pending;
    expect(names(result!)).toEqual(["a"]);
  });

  test("Router.ready() gives up waiting after twice the longest check timeout (probe, then DMR state reads) plus 100 ms", async () => {
    const a = makeEndpoint("a", { status: "unknown", checkTimeoutMs: 500 });
    const b = makeEndpoint("b", { status: "unknown", checkTimeoutMs: 2_000 });
    const { router, clock } = setup([a, b]);
    let done = false;
    const ready = router.ready().then(() => (done = true));
    await clock.advance(4_099);
    expect(done).toBe(false);
    await clock.advance(1);
    await ready;
    expect(done).toBe(true);
    expect(clock.pending).toBe(0);
  });

  test("Router.ready() returns at once when every endpoint has been checked, setting no timer", async () => {
    const { router, clock } = setup([makeEndpoint("a"), makeEndpoint("b", { status: "unhealthy" })]);
    await router.ready();
    expect(clock.pending).toBe(0);
  });
});

describe("Router.candidates() with nothing configured", () => {
  test("Router.candidates() answers 503 with a finite Retry-After when no endpoint is configured", async () => {
    const { candidates } = setup([]);
    const error = await rejection(candidates("ai/smollm2"));
    expect(error.status).toBe(503);
    expect(error.headers["retry-after"]).toBe("1");
    expect(error.message).toContain("no Docker Model Runner endpoint is configured");
  });
});
