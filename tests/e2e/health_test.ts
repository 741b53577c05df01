/**
 * The health loop and discovery against real processes: intervals honoured, empty lists
 * healthy, recovery re-discovers, nothing healthy gives a fast 503.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type DmrEmulator, startDmr } from "../emulators/dmr.ts";
import { dmrConfig, type ServerUnderTest, startServer, until } from "../_server.ts";

let steady: DmrEmulator;
let flaky: DmrEmulator;
let server: ServerUnderTest;

beforeAll(async () => {
  steady = await startDmr({ models: [] });
  flaky = await startDmr({ models: [{ tag: "docker.io/ai/smollm2:latest" }] });
  server = await startServer(dmrConfig([
    // Timeouts as long as the intervals allow: at 150-200ms a probe on a loaded machine made an
    // endpoint busy or offline at random, and the tests below need both endpoints routable.
    { url: steady.url, name: "steady", check_interval: "600ms", check_timeout: "600ms" },
    { url: flaky.url, name: "flaky", check_interval: "400ms", check_timeout: "400ms" },
  ]));
});

afterAll(async () => {
  await server?.stop();
  await steady?.stop();
  await flaky?.stop();
});

const probes = (emu: DmrEmulator) => emu.requests.filter((r) => r.method === "GET" && r.path === "/engines/v1/models");
const chat = (model: string) =>
  fetch(`${server.url}/olla/dmr/engines/v1/chat/completions`, {
    method: "POST",
    body: JSON.stringify({ model, messages: [] }),
  });

describe("health loop", () => {
  test("each endpoint is probed at its own check_interval", async () => {
    const [steadyBefore, flakyBefore] = [probes(steady).length, probes(flaky).length];
    const started = performance.now();
    await Bun.sleep(2400);
    const steadyProbes = probes(steady).length - steadyBefore;
    const flakyProbes = probes(flaky).length - flakyBefore;
    // Bounds from the time that really passed: timers run late on a loaded machine, never early.
    // Never more often than the interval allows; never less often than every second interval
    // (a shared slow ticker, Olla's 30 s, would give none).
    const elapsed = performance.now() - started;
    expect(steadyProbes).toBeGreaterThanOrEqual(Math.floor(elapsed / 1200));
    expect(steadyProbes).toBeLessThanOrEqual(Math.floor(elapsed / 600) + 2);
    expect(flakyProbes).toBeGreaterThanOrEqual(Math.floor(elapsed / 800));
    expect(flakyProbes).toBeLessThanOrEqual(Math.floor(elapsed / 400) + 2);
    // Each on its own interval: the 400 ms one is probed more often than the 600 ms one.
    expect(flakyProbes).toBeGreaterThan(steadyProbes);
  });

  test("an endpoint with no pulled models (data: []) is healthy and lists nothing", async () => {
    const log = await server.waitForLog((l) => l.msg === "endpoint healthy" && l.endpoint === "steady");
    expect(log.endpoint).toBe("steady");
    const list = await (await fetch(`${server.url}/olla/dmr/engines/v1/models`)).json();
    expect(list.data.map((m: { id: string }) => m.id)).toEqual(["ai/smollm2"]);
  });

  test("a model pulled on a backend is routable on the next request, without waiting for a probe", async () => {
    steady.options.models!.push({ tag: "docker.io/ai/phi4-mini:latest" });
    const res = await chat("phi4-mini");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-olla-endpoint")).toBe("steady");
    await res.arrayBuffer();
  });

  test("a backend that goes away gives a fast 503 with Retry-After, and is used again once it is back", async () => {
    const port = flaky.port;
    const models = flaky.options.models;
    await flaky.stop();
    await server.waitForLog((l) => l.msg === "endpoint unhealthy" && l.endpoint === "flaky", 5000);
    const started = performance.now();
    const res = await chat("smollm2");
    // Fast means no wait for a queue or a connection attempt; the bound leaves room for a loaded machine.
    expect(performance.now() - started).toBeLessThan(1000);
    expect(res.status).toBe(503);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const body = await res.json();
    expect(body.error.code).toBe("model_unavailable");
    expect(body.error.message).toContain("flaky");

    flaky = await startDmr({ port, models: [...models!, { tag: "docker.io/ai/llama3.2:latest" }] });
    await server.waitForLog((l) => l.msg === "endpoint healthy" && l.endpoint === "flaky" &&
      server.logs.indexOf(l) > server.logs.findIndex((x) => x.msg === "endpoint unhealthy" && x.endpoint === "flaky"));
    await until(async () => {
      const list = await (await fetch(`${server.url}/olla/dmr/engines/v1/models`)).json();
      return list.data.some((m: { id: string }) => m.id === "ai/llama3.2");
    }, 5000);
    const again = await chat("ai/llama3.2");
    expect(again.status).toBe(200);
    expect(again.headers.get("x-olla-endpoint")).toBe("flaky");
    await again.arrayBuffer();
  });
});
