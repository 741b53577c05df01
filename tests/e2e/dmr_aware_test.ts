/**
 * Routing that knows Docker Model Runner: engines, loaded models, cold loads, warm-up.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { type DmrEmulator, type DmrOptions, startDmr } from "../emulators/dmr.ts";
import { dmrConfig, type ServerUnderTest, startServer, until } from "../_server.ts";

const VLLM_RUNNING = { "llama.cpp": "Running: llama.cpp version: c55bce4", vllm: "Running: vllm version: 0.11.1" };
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

async function dmrs(...options: DmrOptions[]): Promise<DmrEmulator[]> {
  const started = await Promise.all(options.map((o) => startDmr(o)));
  cleanups.push(...started.map((d) => () => d.stop()));
  return started;
}

async function proxy(list: Array<[DmrEmulator, string]>, extra: Record<string, unknown> = {}): Promise<ServerUnderTest> {
  const server = await startServer(dmrConfig(
    // Each probe also reads DMR's engines and runners within check_timeout: at 150ms a loaded
    // machine lost that read, so the proxy did not know vLLM was missing and DMR said 412.
    list.map(([emu, name]) => ({ url: emu.url, name, check_interval: "1s", check_timeout: "1s" })),
    extra,
  ));
  cleanups.push(() => server.stop());
  await until(async () => (await status(server)).routable_count === list.length, 5000);
  return server;
}

const status = async (server: ServerUnderTest) => (await fetch(`${server.url}/internal/status/endpoints`)).json();
const modelsStatus = async (server: ServerUnderTest) => (await fetch(`${server.url}/internal/status/models`)).json();
const inference = (emu: DmrEmulator) => emu.requests.filter((r) => r.method === "POST");

function chat(server: ServerUnderTest, model: string, engine = "") {
  return fetch(`${server.url}/olla/dmr/engines${engine}/v1/chat/completions`, {
    method: "POST",
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
  });
}

const ids = async (server: ServerUnderTest, path: string) =>
  ((await (await fetch(`${server.url}/olla/dmr${path}`)).json()).data as Array<{ id: string }>).map((m) => m.id);

describe("engine awareness", () => {
  test("vLLM requests go only where vLLM runs, and each engine lists only the models it can serve", async () => {
    const models = [{ tag: "docker.io/ai/smollm2:latest" }, { tag: "docker.io/ai/qwen3-st:latest", format: "safetensors" as const }];
    const [mac, gpu] = await dmrs({ models }, { models, engines: VLLM_RUNNING });
    const server = await proxy([[mac, "mac"], [gpu, "gpu"]]);

    expect(await ids(server, "/engines/vllm/v1/models")).toEqual(["ai/qwen3-st"]);
    expect(await ids(server, "/engines/llama.cpp/v1/models")).toEqual(["ai/smollm2"]);
    expect(await ids(server, "/engines/v1/models")).toEqual(["ai/smollm2", "ai/qwen3-st"]);

    for (let i = 0; i < 4; i++) {
      const viaVllm = await chat(server, "ai/qwen3-st", "/vllm");
      expect(viaVllm.status).toBe(200);
      expect(viaVllm.headers.get("x-olla-endpoint")).toBe("gpu");
      await viaVllm.arrayBuffer();
      // DMR runs safetensors on vLLM even on the automatic path (§3), so that goes to the GPU box too.
      const auto = await chat(server, "qwen3-st");
      expect(auto.headers.get("x-olla-endpoint")).toBe("gpu");
      await auto.arrayBuffer();
    }
    expect(inference(mac)).toHaveLength(0);
    const endpoints = (await status(server)).endpoints;
    expect(endpoints.find((e: { name: string }) => e.name === "gpu").engines.vllm).toStartWith("Running");
  });

  test("an engine that runs nowhere is a 503 naming it and the endpoints that lack it", async () => {
    const models = [{ tag: "docker.io/ai/qwen3-st:latest", format: "safetensors" as const }];
    const [a, b] = await dmrs({ models }, { models });
    const server = await proxy([[a, "a"], [b, "b"]]);
    const res = await chat(server, "ai/qwen3-st", "/vllm");
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body.error.code).toBe("engine_unavailable");
    expect(body.error.message).toContain("vllm");
    expect(body.error.message).toContain("a, b");
    expect(inference(a).length + inference(b).length).toBe(0);
  });
});

describe("loaded-first affinity", () => {
  test("among equal endpoints the one with the model already loaded is chosen", async () => {
    const [cold, warm] = await dmrs({}, {});
    // Load the model on `warm` directly, as another client would have.
    await (await fetch(`${warm.url}/engines/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "ai/smollm2", messages: [] }),
    })).arrayBuffer();
    const server = await proxy([[cold, "cold"], [warm, "warm"]]);
    await until(async () => (await modelsStatus(server)).models[0]?.loaded_on?.includes("warm"), 3000);
    for (let i = 0; i < 6; i++) {
      const res = await chat(server, "smollm2");
      expect(res.headers.get("x-olla-endpoint")).toBe("warm");
      await res.arrayBuffer();
    }
    expect(inference(cold)).toHaveLength(0);
  });

  test("concurrent first requests for a model loaded nowhere start one cold load, not one per machine", async () => {
    const [a, b] = await dmrs({ loadDelayMs: 1500 }, { loadDelayMs: 1500 });
    const server = await proxy([[a, "a"], [b, "b"]]);
    const first = chat(server, "smollm2");
    // The load lasts 1.5 s: wait for it to be under way rather than guessing when it starts.
    await until(async () => (await modelsStatus(server)).models[0].loading_on.length > 0, 1000);
    const during = await modelsStatus(server);
    expect(during.models[0].loading_on).toHaveLength(1);
    const rest = Array.from({ length: 3 }, () => chat(server, "smollm2"));
    const responses = await Promise.all([first, ...rest]);
    const used = new Set(responses.map((r) => r.headers.get("x-olla-endpoint")));
    expect(used.size).toBe(1);
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const loadedOn = [...used][0] === "a" ? a : b;
    const idle = loadedOn === a ? b : a;
    expect(inference(idle)).toHaveLength(0);
    expect(loadedOn.loaded()).toHaveLength(1);
    const after = await modelsStatus(server);
    expect(after.models[0].loaded_on).toEqual([...used]);
    expect(after.models[0].loading_on).toEqual([]);
  });
});

describe("warm-up", () => {
  test("models.preload loads the models at start with X-Preload-Only, and again after an endpoint recovers", async () => {
    const models = [{ tag: "docker.io/ai/smollm2:latest" }, { tag: "docker.io/ai/mxbai-embed-large:latest" }];
    const [dmr] = await dmrs({ models });
    const server = await proxy([[dmr, "dmr"]], {
      models: { preload: ["ai/smollm2", { name: "ai/mxbai-embed-large", mode: "embedding" }, "ai/not-pulled"] },
    });
    await until(() => dmr.loaded().length === 2, 3000);
    const preloads = dmr.requests.filter((r) => r.headers["x-preload-only"] === "true");
    expect(preloads.map((r) => r.path).sort()).toEqual(["/engines/v1/chat/completions", "/engines/v1/embeddings"]);
    await server.waitForLog((l) => l.msg === "model preloaded" && l.model === "ai/smollm2");

    // The DMR restarts (models unloaded); once it is healthy again the proxy warms it again.
    const port = dmr.port;
    const mark = server.logs.length;
    await dmr.stop();
    // Only a line written after the stop: an earlier slow probe may have logged one too.
    await server.waitForLog((l) => server.logs.indexOf(l) >= mark && l.msg === "endpoint unhealthy");
    const again = await startDmr({ port, models });
    cleanups.push(() => again.stop());
    // Failed probes back off (1 s, 2 s, ...) before the restarted DMR is seen again.
    await until(() => again.loaded().length === 2, 10_000);
  });
});
