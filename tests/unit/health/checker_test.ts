import { describe, expect, test } from "bun:test";
import type { Endpoint } from "../../../src/endpoints/endpoint.ts";
import { HealthChecker, MAX_RECHECK_BACKOFF_MS } from "../../../src/health/checker.ts";
import { ModelDiscovery } from "../../../src/models/discovery.ts";
import { type endpointConfig, newEndpoint, recordingLogger } from "../_endpoints.ts";
import { deferred, FakeClock, tick } from "../_fake_clock.ts";

type Answer = Response | Error | Promise<Response>;
type Handler = (url: string) => Answer;

interface FetchCall {
  url: string;
  at: number;
  init: RequestInit;
}

const T0 = 1_000_000;

function modelList(...ids: string[]): Response {
  return Response.json({ object: "list", data: ids.map((id) => ({ id, object: "model", created: 1, owned_by: "docker" })) });
}

function setup(handler: Handler, endpoints: Endpoint[], options: { discoveryIntervalMs?: number; discoveryEnabled?: boolean } = {}) {
  const clock = new FakeClock(T0);
  const logger = recordingLogger();
  const calls: FetchCall[] = [];
  const changes: string[] = [];
  const fetch = (url: string, init: RequestInit): Promise<Response> => {
    calls.push({ url, at: clock.now(), init });
    const answer = handler(url);
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  };
  const discovery = new ModelDiscovery({
    endpoints,
    fetch,
    clock,
    logger,
    intervalMs: options.discoveryIntervalMs ?? 60_000,
    timeoutMs: 1_000,
    enabled: options.discoveryEnabled ?? true,
  });
  const checker = new HealthChecker({
    endpoints,
    fetch,
    clock,
    logger,
    discovery,
    onStatusChange: (endpoint) => void changes.push(`${endpoint.name}:${endpoint.status}`),
  });
  const callsTo = (url: string) => calls.filter((c) => c.url === url).map((c) => c.at - T0);
  return { clock, logger, calls, callsTo, checker, discovery, changes };
}

const ep = (name: string, overrides: Parameters<typeof endpointConfig>[1] = {}) => newEndpoint(name, overrides);
const LIST_A = "http://a:12434/engines/v1/models";

describe("HealthChecker probing", () => {
  test("HealthChecker.start() probes every endpoint at once, before any time passes", async () => {
    const a = ep("a");
    const b = ep("b");
    const { checker, calls } = setup(() => modelList(), [a, b]);
    checker.start();
    expect(calls.map((c) => c.url)).toEqual([LIST_A, "http://b:12434/engines/v1/models"]);
    await tick();
    expect([a.status, b.status]).toEqual(["healthy", "healthy"]);
    checker.stop();
  });

  test("HealthChecker probes each endpoint exactly every checkIntervalMs, on its own interval", async () => {
    const a = ep("a", { checkIntervalMs: 1_000 });
    const b = ep("b", { checkIntervalMs: 2_500 });
    const { checker, callsTo, clock } = setup(() => modelList("ai/x"), [a, b]);
    checker.start();
    await clock.advance(5_000);
    expect(callsTo(LIST_A)).toEqual([0, 1_000, 2_000, 3_000, 4_000, 5_000]);
    expect(callsTo("http://b:12434/engines/v1/models")).toEqual([0, 2_500, 5_000]);
    checker.stop();
  });

  test("HealthChecker schedules start-to-start, so a slow probe does not stretch the interval", async () => {
    const a = ep("a", { checkIntervalMs: 1_000, checkTimeoutMs: 1_000 });
    const slow = deferred<Response>();
    let first = true;
    const { checker, callsTo, clock } = setup(() => {
      if (!first) return modelList();
      first = false;
      return slow.promise;
    }, [a]);
    checker.start();
    await clock.advance(300);
    slow.resolve(modelList());
    await tick();
    expect(a.nextCheckAt).toBe(T0 + 1_000);
    expect(a.lastCheckMs).toBe(300);
    expect(a.status).toBe("healthy");
    await clock.advance(700);
    expect(callsTo(LIST_A)).toEqual([0, 1_000]);
    checker.stop();
  });

  test("HealthChecker probes with GET, the endpoint's headers, a tureen-health User-Agent, JSON Accept and an abort signal", () => {
    const a = ep("a", { headers: [["Authorization", "Bearer t"]] });
    const { checker, calls } = setup(() => modelList(), [a]);
    checker.start();
    checker.stop();
    const init = calls[0]!.init;
    expect(init.method).toBe("GET");
    const headers = new Headers(init.headers);
    expect(headers.get("authorization")).toBe("Bearer t");
    expect(headers.get("user-agent")).toBe("tureen-health");
    expect(headers.get("accept")).toBe("application/json");
    expect(init.signal).toBeInstanceOf(AbortSignal);
  });

  test("HealthChecker marks a 2xx endpoint healthy and reads its models from the same response when healthUrl is modelUrl", async () => {
    const a = ep("a");
    const { checker, calls, clock } = setup(() => modelList("ai/smollm2", "hf.co/Org/M:Q4_K_M"), [a]);
    checker.start();
    await tick();
    expect(a.status).toBe("healthy");
    expect([...a.models.keys()]).toEqual(["docker.io/ai/smollm2:latest", "huggingface.co/org/m:Q4_K_M"]);
    expect(a.modelsUpdatedAt).toBe(clock.now());
    expect(a.lastError).toBeNull();
    // One model-list read serves health and discovery; the rest are DMR's state routes, once each.
    expect(calls.map((c) => c.url).sort()).toEqual([
      "http://a:12434/engines/ps",
      "http://a:12434/engines/status",
      LIST_A,
      "http://a:12434/models",
    ].sort());
    checker.stop();
  });

  test("HealthChecker counts a 2xx with data: [] as healthy with no models", async () => {
    const a = ep("a");
    const { checker, calls } = setup(() => Response.json({ object: "list", data: [] }), [a]);
    checker.start();
    await tick();
    expect(a.status).toBe("healthy");
    expect(a.models.size).toBe(0);
    expect(a.modelsUpdatedAt).toBe(T0);
    expect(calls.filter((c) => c.url === LIST_A)).toHaveLength(1);
    checker.stop();
  });

  test("HealthChecker counts a 2xx whose body is not a model list as healthy, keeping the models it had", async () => {
    const a = ep("a");
    let body = "not json";
    const { checker, logger, clock } = setup(() => (body === "ok" ? modelList("ai/x") : new Response(body, { status: 200 })), [a]);
    body = "ok";
    checker.start();
    await tick();
    expect([...a.models.keys()]).toEqual(["docker.io/ai/x:latest"]);
    body = "not json";
    await clock.advance(1_000);
    expect(a.status).toBe("healthy");
    expect([...a.models.keys()]).toEqual(["docker.io/ai/x:latest"]);
    expect(logger.messages("warn")).toContain("model list unreadable");
    checker.stop();
  });

  test("HealthChecker marks an endpoint answering 500 unhealthy with the status in lastError", async () => {
    const a = ep("a");
    const { checker } = setup(() => new Response("boom", { status: 500 }), [a]);
    checker.start();
    await tick();
    expect(a.status).toBe("unhealthy");
    expect(a.isAvailable()).toBe(false);
    expect(a.lastError).toBe("health check answered 500");
    expect(a.consecutiveFailures).toBe(1);
    expect(a.models.size).toBe(0);
    checker.stop();
  });

  test("HealthChecker marks an endpoint offline when fetch throws, with a readable reason", async () => {
    const refused = ep("refused");
    const timedOut = ep("slow");
    const broken = ep("broken");
    const { checker } = setup((url) => {
      if (url.includes("refused")) return Object.assign(new Error("Unable to connect"), { code: "ECONNREFUSED" });
      if (url.includes("slow")) return new DOMException("The operation timed out.", "TimeoutError") as unknown as Error;
      return new TypeError("fetch failed: bad certificate");
    }, [refused, timedOut, broken]);
    checker.start();
    await tick();
    expect([refused.status, timedOut.status, broken.status]).toEqual(["offline", "offline", "offline"]);
    expect([refused.isAvailable(), timedOut.isAvailable(), broken.isAvailable()]).toEqual([false, false, false]);
    expect(refused.lastError).toBe("connection refused");
    expect(timedOut.lastError).toBe("no answer within 500ms");
    expect(broken.lastError).toBe("fetch failed: bad certificate");
    checker.stop();
  });

  test("HealthChecker marks a 2xx slower than half the check timeout busy, which still takes traffic", async () => {
    const a = ep("a", { checkTimeoutMs: 500 });
    const slow = deferred<Response>();
    const { checker, clock, logger } = setup(() => slow.promise, [a]);
    checker.start();
    await clock.advance(251);
    slow.resolve(modelList("ai/x"));
    await tick();
    expect(a.status).toBe("busy");
    expect(a.isAvailable()).toBe(true);
    expect(a.lastError).toBe("health check took 251ms");
    expect([...a.models.keys()]).toEqual(["docker.io/ai/x:latest"]);
    expect(logger.messages("warn")).toContain("endpoint busy");
    checker.stop();
  });

  test("HealthChecker counts a 2xx in exactly half the check timeout as healthy", async () => {
    const a = ep("a", { checkTimeoutMs: 500 });
    const answer = deferred<Response>();
    const { checker, clock } = setup(() => answer.promise, [a]);
    checker.start();
    await clock.advance(250);
    answer.resolve(modelList());
    await tick();
    expect(a.status).toBe("healthy");
    checker.stop();
  });

  test("HealthChecker re-checks a failing endpoint with a doubling backoff capped at MAX_RECHECK_BACKOFF_MS", async () => {
    expect(MAX_RECHECK_BACKOFF_MS).toBe(30_000);
    const a = ep("a", { checkIntervalMs: 1_000 });
    const { checker, clock, callsTo } = setup(() => new Error("down"), [a]);
    checker.start();
    await clock.advance(91_000);
    expect(callsTo(LIST_A)).toEqual([0, 1_000, 3_000, 7_000, 15_000, 31_000, 61_000, 91_000]);
    expect(a.consecutiveFailures).toBe(8);
    expect(a.nextCheckAt).toBe(clock.now() + 30_000);
    checker.stop();
  });

  test("HealthChecker never backs off below the interval when the interval is longer than the cap", async () => {
    const a = ep("a", { checkIntervalMs: 45_000 });
    const { checker, clock, callsTo } = setup(() => new Response("", { status: 503 }), [a]);
    checker.start();
    await clock.advance(135_000);
    expect(callsTo(LIST_A)).toEqual([0, 45_000, 90_000, 135_000]);
    checker.stop();
  });

  test("HealthChecker keeps probing after failures, logs unhealthy once, then healthy once and the regular interval on recovery", async () => {
    const a = ep("a", { checkIntervalMs: 1_000 });
    let up = false;
    const { checker, clock, logger, callsTo, changes } = setup(() => (up ? modelList("ai/x") : new Error("down")), [a]);
    checker.start();
    await clock.advance(1_000);
    expect(a.status).toBe("offline");
    expect(a.consecutiveFailures).toBe(2);
    up = true;
    await clock.advance(2_000);
    expect(a.status).toBe("healthy");
    expect(a.consecutiveFailures).toBe(0);
    expect(a.lastError).toBeNull();
    expect([...a.models.keys()]).toEqual(["docker.io/ai/x:latest"]);
    await clock.advance(2_000);
    expect(callsTo(LIST_A)).toEqual([0, 1_000, 3_000, 4_000, 5_000]);
    expect(logger.lines.filter((l) => l.message.startsWith("endpoint ")).map((l) => `${l.level} ${l.message}`)).toEqual([
      "warn endpoint unhealthy",
      "info endpoint healthy",
    ]);
    const unhealthy = logger.lines.find((l) => l.message === "endpoint unhealthy")!;
    expect(unhealthy.fields).toMatchObject({ endpoint: "a", status: "offline", reason: "down" });
    expect(changes).toEqual(["a:offline", "a:healthy"]);
    checker.stop();
  });

  test("HealthChecker calls onStatusChange only when the status changes", async () => {
    const a = ep("a");
    let answer: () => Answer = () => modelList();
    const { checker, clock, changes } = setup(() => answer(), [a]);
    checker.start();
    await clock.advance(3_000);
    expect(changes).toEqual(["a:healthy"]);
    answer = () => new Response("", { status: 500 });
    await clock.advance(1_000);
    answer = () => new Error("gone");
    await clock.advance(1_000);
    expect(changes).toEqual(["a:healthy", "a:unhealthy", "a:offline"]);
    checker.stop();
  });

  test("HealthChecker logs models discovered only when the list changes", async () => {
    const a = ep("a");
    let ids = ["ai/x"];
    const { checker, clock, logger } = setup(() => modelList(...ids), [a]);
    checker.start();
    await clock.advance(2_000);
    expect(logger.messages().filter((m) => m === "models discovered")).toHaveLength(1);
    ids = ["ai/x", "ai/y"];
    await clock.advance(1_000);
    const discovered = logger.lines.filter((l) => l.message === "models discovered");
    expect(discovered).toHaveLength(2);
    expect(discovered[1]!.fields).toMatchObject({ endpoint: "a", models: ["docker.io/ai/x:latest", "docker.io/ai/y:latest"] });
    checker.stop();
  });

  test("HealthChecker resolves Endpoint.firstCheck after the first probe, even a failing one", async () => {
    const a = ep("a");
    const { checker } = setup(() => new Error("down"), [a]);
    let settled = false;
    void a.firstCheck.then(() => (settled = true));
    await tick();
    expect(settled).toBe(false);
    checker.start();
    await tick();
    expect(settled).toBe(true);
    checker.stop();
  });

  test("HealthChecker.stop() clears every timer so no probe runs afterwards", async () => {
    const a = ep("a");
    const b = ep("b", { checkIntervalMs: 300 });
    const { checker, clock, calls } = setup(() => modelList(), [a, b]);
    checker.start();
    await clock.advance(1_000);
    const before = calls.length;
    expect(clock.pending).toBe(2);
    checker.stop();
    expect(clock.pending).toBe(0);
    await clock.advance(10_000);
    expect(calls.length).toBe(before);
  });

  test("HealthChecker.stop() during a probe stops the loop from re-arming when that probe ends", async () => {
    const a = ep("a");
    const pending = deferred<Response>();
    const { checker, clock, calls } = setup(() => pending.promise, [a]);
    checker.start();
    checker.stop();
    pending.resolve(modelList());
    await clock.advance(5_000);
    expect(clock.pending).toBe(0);
    expect(calls).toHaveLength(1);
  });
});

describe("HealthChecker.markOffline()", () => {
  test("HealthChecker.markOffline() takes a healthy endpoint out of rotation now and re-probes one interval later", async () => {
    const a = ep("a", { checkIntervalMs: 1_000 });
    const { checker, clock, callsTo, changes } = setup(() => modelList("ai/x"), [a]);
    checker.start();
    await clock.advance(500);
    checker.markOffline(a, "connection refused");
    expect(a.status).toBe("offline");
    expect(a.isAvailable()).toBe(false);
    expect(a.lastError).toBe("connection refused");
    expect(a.consecutiveFailures).toBe(1);
    expect(a.nextCheckAt).toBe(T0 + 1_500);
    await clock.advance(1_000);
    expect(callsTo(LIST_A)).toEqual([0, 1_500]);
    expect(a.status).toBe("healthy");
    expect(changes).toEqual(["a:healthy", "a:offline", "a:healthy"]);
    checker.stop();
  });

  test("HealthChecker.markOffline() does nothing to an endpoint that is already out of rotation, or after stop()", async () => {
    const down = ep("down");
    const up = ep("up");
    const { checker, changes } = setup((url) => (url.includes("down") ? new Response("", { status: 500 }) : modelList()), [down, up]);
    checker.start();
    await tick();
    checker.markOffline(down, "refused");
    expect(down.status).toBe("unhealthy");
    expect(down.consecutiveFailures).toBe(1);
    checker.stop();
    checker.markOffline(up, "refused");
    expect(up.status).toBe("healthy");
    expect(changes).toEqual(["down:unhealthy", "up:healthy"]);
  });
});

describe("HealthChecker model discovery", () => {
  const split = (name: string) => ep(name, { healthUrl: `http://${name}:12434/health`, modelUrl: `http://${name}:12434/engines/v1/models` });

  test("HealthChecker reads the model list on the first healthy probe when it lives at another URL, then only when stale", async () => {
    const a = split("a");
    const { checker, clock, callsTo } = setup((url) => (url.endsWith("/health") ? new Response("ok") : modelList("ai/x")), [a], {
      discoveryIntervalMs: 5_000,
    });
    checker.start();
    await tick();
    expect([...a.models.keys()]).toEqual(["docker.io/ai/x:latest"]);
    await clock.advance(4_000);
    expect(callsTo("http://a:12434/health")).toEqual([0, 1_000, 2_000, 3_000, 4_000]);
    expect(callsTo(LIST_A)).toEqual([0]);
    await clock.advance(1_000);
    expect(callsTo(LIST_A)).toEqual([0, 5_000]);
    checker.stop();
  });

  test("HealthChecker re-reads the model list on recovery even when the last read is not stale", async () => {
    const a = split("a");
    let up = true;
    const { checker, clock, callsTo } = setup(
      (url) => (!up ? new Error("down") : url.endsWith("/health") ? new Response("ok") : modelList("ai/x")),
      [a],
      { discoveryIntervalMs: 3_600_000 },
    );
    checker.start();
    await tick();
    expect(callsTo(LIST_A)).toEqual([0]);
    up = false;
    await clock.advance(1_000);
    expect(a.status).toBe("offline");
    up = true;
    await clock.advance(1_000);
    expect(a.status).toBe("healthy");
    expect(callsTo(LIST_A)).toEqual([0, 2_000]);
    await clock.advance(1_000);
    expect(callsTo(LIST_A)).toEqual([0, 2_000]);
    checker.stop();
  });

  test("HealthChecker does not read models when discovery is disabled", async () => {
    const a = ep("a");
    const b = split("b");
    const { checker, calls } = setup((url) => (url.endsWith("/health") ? new Response("ok") : modelList("ai/x")), [a, b], {
      discoveryEnabled: false,
    });
    checker.start();
    await tick();
    expect([a.status, b.status]).toEqual(["healthy", "healthy"]);
    expect([a.models.size, b.models.size]).toEqual([0, 0]);
    expect(calls.map((c) => c.url)).toEqual([LIST_A, "http://b:12434/health"]);
    checker.stop();
  });

  test("ModelDiscovery.discover() shares one read between concurrent callers", async () => {
    const a = split("a");
    const list = deferred<Response>();
    const { discovery, callsTo } = setup(() => list.promise, [a]);
    const one = discovery.discover(a);
    const two = discovery.discover(a);
    expect(two).toBe(one);
    expect(callsTo(LIST_A)).toHaveLength(1);
    list.resolve(modelList("ai/x"));
    await Promise.all([one, two]);
    expect([...a.models.keys()]).toEqual(["docker.io/ai/x:latest"]);
  });

  test("ModelDiscovery.discover() reads again once the previous read has finished", async () => {
    const a = split("a");
    const { discovery, callsTo } = setup(() => modelList("ai/x"), [a]);
    await discovery.discover(a);
    await discovery.discover(a);
    expect(callsTo(LIST_A)).toHaveLength(2);
  });

  test("ModelDiscovery.discover() keeps the models it had and logs a warning when the list answers 500", async () => {
    const a = split("a");
    let fail = false;
    const { discovery, logger } = setup(() => (fail ? new Response("no", { status: 500 }) : modelList("ai/x")), [a]);
    await discovery.discover(a);
    fail = true;
    await discovery.discover(a);
    expect([...a.models.keys()]).toEqual(["docker.io/ai/x:latest"]);
    const warning = logger.lines.find((l) => l.message === "model discovery failed")!;
    expect(warning.fields).toMatchObject({ endpoint: "a", error: "model list answered 500" });
  });

  test("ModelDiscovery.discover() resolves (never rejects) when fetch throws", async () => {
    const a = split("a");
    const { discovery, logger } = setup(() => new Error("offline"), [a]);
    await expect(discovery.discover(a)).resolves.toBeUndefined();
    expect(logger.messages("warn")).toEqual(["model discovery failed"]);
  });

  test("ModelDiscovery.refreshModels() re-reads the model lists of healthy and busy endpoints only", async () => {
    const healthy = split("up");
    const busy = split("busy");
    const down = split("down");
    const offline = split("offline");
    healthy.setStatus("healthy", null);
    busy.setStatus("busy", null);
    down.setStatus("unhealthy", null);
    offline.setStatus("offline", null);
    const { discovery, calls } = setup(() => modelList("ai/new"), [healthy, busy, down, offline]);
    await discovery.refreshModels();
    expect(calls.map((c) => c.url).filter((u) => u.endsWith("/v1/models"))).toEqual([
      "http://up:12434/engines/v1/models",
      "http://busy:12434/engines/v1/models",
    ]);
    expect(calls.some((c) => c.url.startsWith("http://down") || c.url.startsWith("http://offline"))).toBe(false);
    expect([...healthy.models.keys()]).toEqual(["docker.io/ai/new:latest"]);
    expect([...busy.models.keys()]).toEqual(["docker.io/ai/new:latest"]);
    expect([down.models.size, offline.models.size]).toEqual([0, 0]);
  });
});
