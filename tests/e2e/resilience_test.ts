/**
 * Many endpoints, no failed requests: failover, breakers, balancing, queueing and the
 * status API against misbehaving backends.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { type FaultyBackend, startFaulty } from "../emulators/faulty.ts";
import { dmrConfig, type ServerUnderTest, startServer, until } from "../_server.ts";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

async function backends(...specs: Array<{ name: string; models?: string[] }>): Promise<FaultyBackend[]> {
  const started = await Promise.all(specs.map((s) => startFaulty({ name: s.name, models: s.models })));
  cleanups.push(...started.map((b) => () => b.stop()));
  return started;
}

async function proxy(
  list: Array<{ backend: FaultyBackend; name: string; priority?: number; max_concurrent_requests?: number }>,
  proxyConfig: Record<string, unknown> = {},
): Promise<ServerUnderTest> {
  const server = await startServer(dmrConfig(
    list.map(({ backend, name, priority, max_concurrent_requests }) => ({
      url: backend.url,
      name,
      priority: priority ?? 100,
      // A probe slower than half the timeout marks the endpoint busy (reordering balancing), and
      // one past it takes the endpoint offline: on a loaded machine 150 ms did both at random.
      // The timeout may not exceed the interval, hence 1 s for both.
      check_interval: "1s",
      check_timeout: "1s",
      ...(max_concurrent_requests ? { max_concurrent_requests } : {}),
    })),
    { proxy: { circuit_breaker: { cooldown: "400ms", max_cooldown: "2s" }, ...proxyConfig } },
  ));
  cleanups.push(() => server.stop());
  await until(async () => {
    const status = await (await fetch(`${server.url}/internal/status/endpoints`)).json();
    return status.routable_count === list.length;
  }, 5000);
  return server;
}

function chat(server: ServerUnderTest, model = "ai/smollm2", stream = false, signal?: AbortSignal) {
  return fetch(`${server.url}/olla/dmr/engines/v1/chat/completions`, {
    method: "POST",
    body: JSON.stringify({ model, messages: [], stream }),
    signal,
  });
}

async function servedBy(res: Response): Promise<string> {
  expect(res.status).toBe(200);
  return res.headers.get("x-olla-endpoint")!;
}

describe("failover before the first byte", () => {
  test("a 503 storm on the top backend gives no client error, and the backend soon stops being tried", async () => {
    const [top, spare] = await backends({ name: "top" }, { name: "spare" });
    // A cool-down longer than the test: with 400 ms, ten slow requests could outlast it and
    // let a half-open probe reach the top backend a fifth time.
    const server = await proxy([{ backend: top, name: "top", priority: 100 }, { backend: spare, name: "spare", priority: 50 }], {
      circuit_breaker: { cooldown: "60s", max_cooldown: "60s" },
    });
    expect(await servedBy(await chat(server))).toBe("top");
    top.mode = "503";
    for (let i = 0; i < 10; i++) expect(await servedBy(await chat(server))).toBe("spare");
    // failure_threshold (3) live failures open the breaker; after that the top backend is skipped.
    expect(top.inferenceCount).toBe(1 + 3);
    const status = await (await fetch(`${server.url}/internal/status/endpoints`)).json();
    const topView = status.endpoints.find((e: { name: string }) => e.name === "top");
    expect(topView.circuit_breaker.state).not.toBe("closed");
    expect(topView.status).toBe("healthy");
    await server.waitForLog((l) => l.msg === "circuit opened" && l.endpoint === "top");
  });

  test("a breaker half-opens after its cool-down, one live request probes, and success closes it", async () => {
    const [top, spare] = await backends({ name: "top" }, { name: "spare" });
    const server = await proxy([{ backend: top, name: "top", priority: 100 }, { backend: spare, name: "spare", priority: 50 }]);
    top.mode = "503";
    for (let i = 0; i < 3; i++) await (await chat(server)).arrayBuffer();
    expect(await servedBy(await chat(server))).toBe("spare");
    top.mode = "ok";
    // Health probes keep passing, yet only a live probe after the cool-down may close the breaker.
    await Bun.sleep(450);
    expect(await servedBy(await chat(server))).toBe("top");
    expect(await servedBy(await chat(server))).toBe("top");
    await server.waitForLog((l) => l.msg === "circuit closed" && l.endpoint === "top");
  });

  test("a killed top backend gives no client error and is used again after it restarts", async () => {
    const [top, spare] = await backends({ name: "top" }, { name: "spare" });
    const server = await proxy([{ backend: top, name: "top", priority: 100 }, { backend: spare, name: "spare", priority: 50 }]);
    await top.stop();
    for (let i = 0; i < 5; i++) expect(await servedBy(await chat(server))).toBe("spare");
    await server.waitForLog((l) => l.msg === "endpoint unhealthy" && l.endpoint === "top");
    const restarted = await startFaulty({ name: "top", port: top.port });
    cleanups.push(() => restarted.stop());
    // Failed probes back off (1 s, 2 s, ...), so the return can take a few seconds.
    await until(async () => (await chat(server)).headers.get("x-olla-endpoint") === "top", 10_000);
  }, 20_000);

  test("a backend that hangs before headers is abandoned after response_header_timeout for the next", async () => {
    const [slow, spare] = await backends({ name: "slow" }, { name: "spare" });
    const server = await proxy(
      [{ backend: slow, name: "slow", priority: 100 }, { backend: spare, name: "spare", priority: 50 }],
      { response_header_timeout: "300ms" },
    );
    slow.mode = "hang";
    const started = performance.now();
    const res = await chat(server, "smollm2", false);
    expect(await servedBy(res)).toBe("spare");
    expect(performance.now() - started).toBeGreaterThan(280);
    await until(() => slow.inFlight === 0, 1000);
    const line = await server.waitForLog((l) => l.msg === "request" && Array.isArray(l.attempts));
    expect(String((line.attempts as string[])[0])).toContain("no response headers within 300ms");
  });

  test("when every backend fails the error says what was tried", async () => {
    const [a, b] = await backends({ name: "a" }, { name: "b" });
    const server = await proxy([{ backend: a, name: "a" }, { backend: b, name: "b" }], { response_header_timeout: "200ms" });
    a.mode = "hang";
    b.mode = "hang";
    const res = await chat(server);
    expect(res.status).toBe(504);
    const body = await res.json();
    expect(body.error.code).toBe("upstream_timeout");
    expect(body.error.message).toContain("a: no response headers within 200ms");
    expect(body.error.message).toContain("b: no response headers within 200ms");
  });

  test("the last backend's own 503 passes through untouched when nothing else is left", async () => {
    const [only] = await backends({ name: "only" });
    const server = await proxy([{ backend: only, name: "only" }]);
    only.mode = "503";
    const res = await chat(server);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe("service unavailable\n");
  });

  test("everything down gives a fast 503 JSON with Retry-After", async () => {
    const [a, b] = await backends({ name: "a" }, { name: "b" });
    const server = await proxy([{ backend: a, name: "a" }, { backend: b, name: "b" }]);
    await a.stop();
    await b.stop();
    await until(async () => (await (await fetch(`${server.url}/internal/status/endpoints`)).json()).routable_count === 0, 5000);
    const started = performance.now();
    const res = await chat(server);
    // Fast means no wait at all (a queue would hold it for queue.timeout, 30 s); the bound
    // leaves room for a loaded machine.
    expect(performance.now() - started).toBeLessThan(1000);
    expect(res.status).toBe(503);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(res.headers.get("retry-after-ms")).toMatch(/^\d+$/);
    expect((await res.json()).error.code).toBe("model_unavailable");
  });
});

describe("streams", () => {
  test("a backend resetting mid-stream ends that stream, is logged, and leaves other requests alone", async () => {
    const [flaky, steady] = await backends({ name: "flaky", models: ["docker.io/ai/flaky:latest"] }, { name: "steady" });
    const server = await proxy([{ backend: flaky, name: "flaky" }, { backend: steady, name: "steady" }]);
    flaky.mode = "reset_mid_stream";
    const [broken, fine] = await Promise.all([
      chat(server, "ai/flaky", true).then((r) => r.text().then((t) => ({ ok: true, t }), (e) => ({ ok: false, t: String(e) }))),
      chat(server, "ai/smollm2", true).then((r) => r.text()),
    ]);
    expect(fine.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(broken.t).not.toContain("[DONE]");
    const line = await server.waitForLog((l) => l.msg === "request ended early" && l.outcome === "upstream_error");
    expect(line.endpoint).toBe("flaky");
  });
});

describe("balancing", () => {
  test("priority routes to the highest tier, and a model only one backend has goes there", async () => {
    const [high, low] = await backends({ name: "high" }, { name: "low", models: ["docker.io/ai/smollm2:latest", "docker.io/ai/rare:latest"] });
    const server = await proxy([{ backend: high, name: "high", priority: 100 }, { backend: low, name: "low", priority: 10 }]);
    for (let i = 0; i < 4; i++) expect(await servedBy(await chat(server))).toBe("high");
    expect(await servedBy(await chat(server, "rare"))).toBe("low");
  });

  test("round-robin spreads requests evenly", async () => {
    const list = await backends({ name: "a" }, { name: "b" }, { name: "c" });
    const server = await proxy(list.map((backend, i) => ({ backend, name: "abc"[i]! })), { load_balancer: "round-robin" });
    const counts: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const name = await servedBy(await chat(server));
      counts[name] = (counts[name] ?? 0) + 1;
    }
    expect(counts).toEqual({ a: 10, b: 10, c: 10 });
  });

  test("least-connections does not pour traffic onto a backend that fails fast (Olla #144)", async () => {
    const [failing, good] = await backends({ name: "failing" }, { name: "good" });
    const server = await proxy([{ backend: failing, name: "failing" }, { backend: good, name: "good" }], {
      load_balancer: "least-connections",
    });
    failing.mode = "503";
    for (let i = 0; i < 20; i++) expect(await servedBy(await chat(server))).toBe("good");
    expect(failing.inferenceCount).toBeLessThanOrEqual(3);
  });

  test("priority prefers the endpoint with fewer active requests inside a tier", async () => {
    const [a, b] = await backends({ name: "a" }, { name: "b" });
    const server = await proxy([{ backend: a, name: "a" }, { backend: b, name: "b" }]);
    // One request held on whichever peer gets it; then, one at a time, every other request
    // must go to the idle peer. Mere rotation of equal peers would send half of them to the
    // held one, and no timing decides which request is still active.
    a.mode = "held";
    b.mode = "held";
    const held = chat(server).then(servedBy);
    await until(() => a.inFlight + b.inFlight === 1);
    const [busy, idle] = a.inFlight === 1 ? ["a", "b"] : ["b", "a"];
    a.mode = "ok";
    b.mode = "ok";
    for (let i = 0; i < 4; i++) expect(await servedBy(await chat(server))).toBe(idle);
    a.release();
    b.release();
    expect(await held).toBe(busy);
  });
});

describe("concurrency caps and queueing", () => {
  test("requests over max_concurrent_requests wait in line and are served in order", async () => {
    const [only] = await backends({ name: "only" });
    only.mode = "held";
    const server = await proxy([{ backend: only, name: "only", max_concurrent_requests: 1 }]);
    const queueDepth = async () => (await (await fetch(`${server.url}/internal/status/endpoints`)).json()).queue_depth;
    const finished: number[] = [];
    const send = (i: number) => chat(server).then((res) => {
      expect(res.status).toBe(200);
      finished.push(i);
    });
    // Each request is sent once the one before it is in place (in flight, then queued), so
    // arrival order is certain however slow the machine.
    const requests = [send(0)];
    await until(() => only.inFlight === 1);
    requests.push(send(1));
    await until(async () => (await queueDepth()) === 1);
    requests.push(send(2));
    await until(async () => (await queueDepth()) === 2);
    expect(only.inFlight).toBe(1);
    only.mode = "ok";
    only.release();
    await Promise.all(requests);
    expect(finished).toEqual([0, 1, 2]);
    expect(only.inferenceCount).toBe(3);
  });

  test("a full queue gives 503 with Retry-After at once, and a wait past the timeout gives 503 too", async () => {
    const [only] = await backends({ name: "only" });
    only.mode = "held";
    const server = await proxy([{ backend: only, name: "only", max_concurrent_requests: 1 }], {
      // Long enough that the queued request is still waiting when the overflow arrives on a slow machine.
      queue: { max_size: 1, timeout: "1500ms" },
    });
    const queueDepth = async () => (await (await fetch(`${server.url}/internal/status/endpoints`)).json()).queue_depth;
    const first = chat(server);
    await until(() => only.inFlight === 1);
    const queued = chat(server);
    await until(async () => (await queueDepth()) === 1);
    const overflow = await chat(server);
    expect(overflow.status).toBe(503);
    expect(overflow.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await overflow.json()).error.code).toBe("queue_full");
    const timedOut = await queued;
    expect(timedOut.status).toBe(503);
    expect((await timedOut.json()).error.code).toBe("queue_timeout");
    only.release();
    expect((await first).status).toBe(200);
  });
});

describe("status API", () => {
  test("endpoints, models and stats are reported in Olla's shapes with breaker, queue and latency", async () => {
    const [a, b] = await backends({ name: "a" }, { name: "b", models: ["docker.io/ai/smollm2:latest", "docker.io/ai/only-b:latest"] });
    const server = await proxy([{ backend: a, name: "a", priority: 90 }, { backend: b, name: "b", priority: 10 }]);
    for (let i = 0; i < 3; i++) await (await chat(server)).arrayBuffer();
    await (await chat(server, "only-b")).arrayBuffer();
    await until(async () => (await (await fetch(`${server.url}/internal/stats/models`)).json()).summary.total_requests === 4);

    const endpoints = await (await fetch(`${server.url}/internal/status/endpoints`)).json();
    expect(endpoints.total_count).toBe(2);
    expect(endpoints.queue_depth).toBe(0);
    const view = endpoints.endpoints[0];
    expect(view.name).toBe("a");
    expect(view).toMatchObject({ status: "healthy", priority: 90, request_count: 3, error_count: 0, success_rate: 100, active_connections: 0 });
    expect(view.circuit_breaker.state).toBe("closed");
    expect(typeof view.latency.p95_ms).toBe("number");
    expect(view.health_check.interval_ms).toBe(1000);
    expect(Date.parse(view.health_check.last_check_at)).toBeGreaterThan(0);
    expect(Date.parse(view.health_check.next_check_at)).toBeGreaterThan(Date.parse(view.health_check.last_check_at));

    const models = await (await fetch(`${server.url}/internal/status/models`)).json();
    const smol = models.models.find((m: { name: string }) => m.name === "ai/smollm2");
    expect(smol.endpoints).toEqual(["a", "b"]);
    expect(models.models.find((m: { name: string }) => m.name === "ai/only-b").endpoints).toEqual(["b"]);

    const stats = await (await fetch(`${server.url}/internal/stats/models`)).json();
    expect(stats.models[0]).toMatchObject({ name: "ai/smollm2", total_requests: 3, successful_requests: 3, served_by: { a: 3 } });

    const status = await (await fetch(`${server.url}/internal/status`)).json();
    expect(status.system.status).toBe("healthy");
    expect(status.system.total_requests).toBe(4);
    expect(status.proxy.balancer).toBe("priority");
  });
});
