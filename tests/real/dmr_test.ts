/**
 * Tureen in front of two real Docker Model Runners (different stores, so routing by model is real),
 * each running the real llama-server on a tiny random-weight model: the seed routes, names,
 * headers, streaming, errors, client aborts, cold loads, engines and preload, on the wire.
 * Runs in the real-backend leg (TUREEN_TEST_BACKEND=real, see scripts/test.mjs).
 */
import { afterAll, beforeAll, describe, expect } from "bun:test";
import { dmrConfig, type ServerUnderTest, startServer, until } from "../_server.ts";
import { type Backend, REAL_TIMEOUT_MS, realTest, startRealDmr, stopAll } from "./_backends.ts";
import { REAL_ENABLED } from "./_enabled.ts";
import { events } from "./_events.ts";

let alpha: Backend;
let beta: Backend;
let server: ServerUnderTest;

const CHAT = [{ role: "user", content: "Say hello" }];

beforeAll(async () => {
  if (!REAL_ENABLED) return;
  [alpha, beta] = await Promise.all([startRealDmr("alpha", { embedding: ["ai/mxbai-embed-large"] }), startRealDmr("beta")]);
  server = await startServer(
    dmrConfig([
      { url: alpha.url, name: "alpha", priority: 100 },
      { url: beta.url, name: "beta", priority: 50 },
    ], { models: { preload: ["ai/llama3.2"] } }),
    { sockets: [alpha.socketPath, beta.socketPath] },
  );
  await until(async () => (await status()).endpoints.every((e: { status: string }) => e.status === "healthy"), 20_000);
}, REAL_TIMEOUT_MS);

afterAll(async () => {
  await server?.stop();
  await stopAll();
});

const status = async () => (await fetch(`${server.url}/internal/status/endpoints`)).json();

function post(path: string, body: string | object) {
  return fetch(`${server.url}/olla/dmr${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const ids = async (path: string) =>
  ((await (await fetch(`${server.url}/olla/dmr${path}`)).json()).data as Array<{ id: string }>).map((m) => m.id).sort();

describe.skipIf(!REAL_ENABLED)("two real DMRs", () => {
  realTest("the model lists merge both stores in short form; vLLM (Not Installed) lists nothing", async () => {
    const all = ["ai/llama3.2", "ai/mxbai-embed-large", "ai/smollm2"];
    expect(await ids("/engines/v1/models")).toEqual(all);
    expect(await ids("/engines/llama.cpp/v1/models")).toEqual(all);
    expect(await ids("/engines/vllm/v1/models")).toEqual([]);
    const { endpoints } = await status();
    for (const e of endpoints) expect(e.engines.vllm).toStartWith("Not Installed");
  });

  for (const engine of ["", "/llama.cpp"]) {
    realTest(`chat, completions and embeddings on /engines${engine}/v1 answer through the right DMR with Tureen's headers`, async () => {
      const chat = await post(`/engines${engine}/v1/chat/completions`, { model: "ai/smollm2", messages: CHAT, max_tokens: 8 });
      expect(chat.status).toBe(200);
      expect(chat.headers.get("x-olla-endpoint")).toBe("alpha");
      expect(chat.headers.get("x-olla-model")).toBe("ai/smollm2");
      expect(chat.headers.get("x-olla-backend-type")).toBe("docker-model-runner");
      expect(chat.headers.get("x-olla-request-id")).toBeTruthy();
      expect(chat.headers.get("x-olla-response-time")).toMatch(/^\d+ms$/);
      const body = await chat.json();
      expect(body.object).toBe("chat.completion");
      expect(body.choices[0].message.role).toBe("assistant");
      expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);

      const completion = await post(`/engines${engine}/v1/completions`, { model: "smollm2", prompt: "Docker Model Runner is", max_tokens: 8 });
      expect(completion.status).toBe(200);
      expect((await completion.json()).choices[0].text).toBeString();

      const embeddings = await post(`/engines${engine}/v1/embeddings`, { model: "ai/mxbai-embed-large", input: ["a", "b"] });
      expect(embeddings.status).toBe(200);
      const vectors = (await embeddings.json()).data;
      expect(vectors).toHaveLength(2);
      expect(vectors[0].embedding).toHaveLength(128);
    });
  }

  realTest("short and long names of a model only beta stores are routed to beta", async () => {
    for (const name of ["llama3.2", "ai/Llama3.2:latest", "docker.io/ai/llama3.2", "index.docker.io/ai/llama3.2:latest"]) {
      const res = await post("/engines/v1/chat/completions", { model: name, messages: CHAT, max_tokens: 4 });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-olla-endpoint")).toBe("beta");
      expect(res.headers.get("x-olla-model")).toBe("ai/llama3.2");
      await res.arrayBuffer();
    }
  });

  realTest("a stream from a model whose EOS is likely ends by itself, with the usage chunk and [DONE]", async () => {
    const res = await post("/engines/v1/chat/completions", {
      model: "ai/smollm2",
      messages: CHAT,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const { chunks, done } = events(await res.text());
    expect(done).toBe(true);
    const usage = chunks.filter((c) => c.usage);
    expect(usage).toHaveLength(1);
    expect(usage[0]!.choices).toEqual([]);
    expect(chunks.some((c) => c.choices?.[0]?.finish_reason === "stop")).toBe(true);
  });

  realTest("errors: unknown model 404, no model 400, vLLM path 503 naming both endpoints", async () => {
    const unknown = await post("/engines/v1/chat/completions", { model: "ai/not-pulled", messages: CHAT });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe("model_not_found");
    const noModel = await post("/engines/v1/chat/completions", { messages: CHAT });
    expect(noModel.status).toBe(400);
    expect((await noModel.json()).error.code).toBe("model_required");
    const vllm = await post("/engines/vllm/v1/chat/completions", { model: "ai/smollm2", messages: CHAT });
    expect(vllm.status).toBe(503);
    const body = await vllm.json();
    expect(body.error.code).toBe("engine_unavailable");
    expect(body.error.message).toContain("alpha, beta");
  });

  realTest("a backend's own error passes through untouched (status, type and body as DMR sent them)", async () => {
    const bad = { model: "ai/smollm2", messages: "not a list" };
    const direct = await alpha.fetch("/engines/v1/chat/completions", { method: "POST", body: JSON.stringify(bad) });
    const directBody = await direct.text();
    const proxied = await post("/engines/v1/chat/completions", bad);
    expect(proxied.status).toBe(direct.status);
    expect(proxied.status).toBeGreaterThanOrEqual(400);
    expect(proxied.headers.get("content-type")).toBe(direct.headers.get("content-type"));
    expect(await proxied.text()).toBe(directBody);
  });

  realTest("a client that disconnects mid-stream frees the slot: the access line says client_closed and the next request is served", async () => {
    const abort = new AbortController();
    const res = await fetch(`${server.url}/olla/dmr/engines/v1/chat/completions`, {
      method: "POST",
      // ai/llama3.2 (on beta) rarely meets its EOS, so this stream is long.
      body: JSON.stringify({ model: "ai/llama3.2", messages: CHAT, stream: true, max_tokens: 400 }),
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    abort.abort();
    await server.waitForLog((l) => l.msg === "request ended early" && l.outcome === "client_closed", 15_000);
    await until(async () => (await status()).endpoints.every((e: { active_connections: number }) => e.active_connections === 0), 10_000);
    const next = await post("/engines/v1/chat/completions", { model: "ai/llama3.2", messages: CHAT, max_tokens: 4 });
    expect(next.status).toBe(200);
    await next.arrayBuffer();
  });

  realTest("after POST /engines/unload the next request cold-loads the model again and succeeds", async () => {
    const unload = await alpha.fetch("/engines/unload", { method: "POST", body: JSON.stringify({ all: true }) });
    expect(unload.status).toBe(200);
    expect(await (await alpha.fetch("/engines/ps")).json()).toEqual([]);
    const res = await post("/engines/v1/chat/completions", { model: "ai/smollm2", messages: CHAT, max_tokens: 4 });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-olla-endpoint")).toBe("alpha");
    await res.arrayBuffer();
    const ps = (await (await alpha.fetch("/engines/ps")).json()) as Array<{ model_name: string }>;
    expect(ps.map((r) => r.model_name)).toContain("ai/smollm2");
  });

  realTest("models.preload loaded ai/llama3.2 on beta at start", async () => {
    await server.waitForLog((l) => l.msg === "model preloaded" && l.model === "ai/llama3.2", 30_000);
    const ps = (await (await beta.fetch("/engines/ps")).json()) as Array<{ model_name: string }>;
    expect(ps.map((r) => r.model_name)).toContain("ai/llama3.2");
  });
});

describe.skipIf(!REAL_ENABLED)("two real DMRs of equal priority", () => {
  realTest("the DMR with the model already loaded is chosen over the one without", async () => {
    await alpha.fetch("/engines/unload", { method: "POST", body: JSON.stringify({ all: true }) });
    await beta.fetch("/engines/unload", { method: "POST", body: JSON.stringify({ all: true }) });
    const warm = await beta.fetch("/engines/v1/chat/completions", {
      method: "POST",
      body: JSON.stringify({ model: "ai/smollm2", messages: CHAT, max_tokens: 2 }),
    });
    expect(warm.status).toBe(200);
    await warm.arrayBuffer();
    const equal = await startServer(
      dmrConfig([
        { url: alpha.url, name: "alpha", check_interval: "300ms", check_timeout: "250ms" },
        { url: beta.url, name: "beta", check_interval: "300ms", check_timeout: "250ms" },
      ]),
      { sockets: [alpha.socketPath, beta.socketPath] },
    );
    try {
      await until(async () => {
        const models = await (await fetch(`${equal.url}/internal/status/models`)).json();
        return models.models.some((m: { loaded_on?: string[] }) => m.loaded_on?.includes("beta"));
      }, 10_000);
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${equal.url}/olla/dmr/engines/v1/chat/completions`, {
          method: "POST",
          body: JSON.stringify({ model: "smollm2", messages: CHAT, max_tokens: 2 }),
        });
        expect(res.headers.get("x-olla-endpoint")).toBe("beta");
        await res.arrayBuffer();
      }
    } finally {
      await equal.stop();
    }
  });
});
