/**
 * Tureen in front of two real llama.cpp `llama-server`s configured as `type: llamacpp`, each on
 * its unix socket: "chat" (tiny-eos, answers stop by themselves) reached directly, and "long"
 * (tiny, runs on to max_tokens, embeddings with mean pooling, one slot) through a recording relay
 * on 127.0.0.1 that shows what reached it. Health while loading, the per-type routes and lists, SSE relayed unchanged,
 * /olla/proxy and the unified catalogue, Anthropic Messages handed to llama-server's own
 * /v1/messages, malformed JSON, client aborts and management paths, on the wire.
 * Runs in the real-backend leg (TUREEN_TEST_BACKEND=real, see scripts/test.mjs).
 */
import { afterAll, beforeAll, describe, expect } from "bun:test";
import { type ServerUnderTest, startServer, until } from "../_server.ts";
import { type Backend, llamaSocket, MANIFEST, REAL_TIMEOUT_MS, realTest, startLlamaServer, stopAll } from "./_backends.ts";
import { REAL_ENABLED } from "./_enabled.ts";
import { events } from "./_events.ts";
import { type RecordedBackend, recordingRelay } from "./_relay.ts";

let chat: Backend;
let long: RecordedBackend;
let server: ServerUnderTest;

const MESSAGES = [{ role: "user", content: "Say hello" }];
const PROBE = { check_interval: "250ms", check_timeout: "200ms" };

beforeAll(async () => {
  if (!REAL_ENABLED) return;
  const [chatServer, longServer] = await Promise.all([
    startLlamaServer(MANIFEST!.models.tinyEos, ["--alias", "tiny-chat"], { name: "llama-server chat" }),
    startLlamaServer(MANIFEST!.models.tiny, ["--alias", "tiny-long", "--embeddings", "--pooling", "mean", "--parallel", "1"], {
      name: "llama-server long",
    }),
  ]);
  chat = chatServer;
  long = recordingRelay(longServer);
  server = await startServer({
    server: { host: "127.0.0.1", port: 0 },
    logging: { level: "debug", format: "json" },
    endpoints: [
      { url: chat.url, name: "chat", type: "llamacpp", ...PROBE },
      { url: long.url, name: "long", type: "llamacpp", ...PROBE },
    ],
  }, { sockets: [chat.socketPath] });
  const ready = async () =>
    (await status()).endpoints.every((e: { status: string; model_count: number }) => e.status === "healthy" && e.model_count > 0);
  await until(ready, 20_000).catch(async (error) => {
    const lines = server.logs.filter((l) => l.msg !== "request").slice(-10).map((l) => JSON.stringify(l));
    throw new Error(`${error.message}: ${JSON.stringify(await status())}\n${lines.join("\n")}`);
  });
}, REAL_TIMEOUT_MS);

afterAll(async () => {
  await server?.stop();
  await long?.stop();
  await stopAll();
});

const status = async () => (await fetch(`${server.url}/internal/status/endpoints`)).json();

const post = (path: string, body: string | object, headers: Record<string, string> = {}, to = server) =>
  fetch(to.url + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

const direct = (backend: Backend, path: string, body: object) =>
  backend.fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/** A stream with what changes between two identical seeded requests blanked: ids, times, timings, prompt cache. */
const normalised = (text: string) =>
  text
    .replace(/"id":"[^"]*"/g, '"id":""')
    .replace(/"created":\d+/g, '"created":0')
    .replace(/"timings":\{[^}]*\}/g, '"timings":{}')
    .replace(/"cached_tokens":\d+/g, '"cached_tokens":0');

const postedPaths = () => long.requests.filter((r) => r.method === "POST").map((r) => r.path);

describe.skipIf(!REAL_ENABLED)("Tureen in front of real llama-servers (type llamacpp)", () => {
  realTest("GET /olla/llamacpp/v1/models lists each server's one model under its alias", async () => {
    const list = await (await fetch(`${server.url}/olla/llamacpp/v1/models`)).json();
    expect(list.object).toBe("list");
    expect(list.data.map((m: { id: string }) => m.id).sort()).toEqual(["tiny-chat", "tiny-long"]);
    for (const m of list.data) expect(m.owned_by).toBe("llamacpp");
  });

  realTest("a chat completion through /olla/llamacpp reaches the server that has the model, with Tureen's headers", async () => {
    for (const [model, endpoint] of [["tiny-chat", "chat"], ["tiny-long", "long"]]) {
      const res = await post("/olla/llamacpp/v1/chat/completions", { model, messages: MESSAGES, max_tokens: 8 });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-olla-endpoint")).toBe(endpoint);
      expect(res.headers.get("x-olla-backend-type")).toBe("llamacpp");
      expect(res.headers.get("x-olla-model")).toBe(model);
      expect(res.headers.get("x-olla-request-id")).toBeTruthy();
      const body = await res.json();
      expect(body.object).toBe("chat.completion");
      expect(body.model).toBe(model);
      expect(body.choices[0].message.role).toBe("assistant");
      expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
      expect(body.timings).toBeObject();
    }
  });

  realTest("a stream with include_usage is relayed as llama-server framed it: same events, usage chunk, [DONE]", async () => {
    // Greedy and seeded, so a direct request and one through Tureen generate the same tokens.
    const request = {
      model: "tiny-long",
      messages: MESSAGES,
      max_tokens: 12,
      temperature: 0,
      seed: 7,
      // A fresh prompt evaluation both times: a cached one may differ in the last bits and flip a greedy pick.
      cache_prompt: false,
      stream: true,
      stream_options: { include_usage: true },
    };
    const res = await post("/olla/llamacpp/v1/chat/completions", request);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/event-stream");
    expect(res.headers.get("content-encoding")).toBeNull();
    const proxied = await res.text();
    const ownText = await (await direct(long.backend, "/v1/chat/completions", request)).text();
    expect(normalised(proxied)).toBe(normalised(ownText));
    const { chunks, done } = events(proxied);
    expect(done).toBe(true);
    expect(proxied.endsWith("data: [DONE]\n\n")).toBe(true);
    const usage = chunks.filter((c) => c.usage);
    expect(usage).toHaveLength(1);
    expect(usage[0]!.choices).toEqual([]);
    expect(usage[0]!.usage.completion_tokens).toBe(12);
    expect(chunks.at(-1)).toBe(usage[0]);
  });

  realTest("completions and embeddings (mean pooling) through /olla/llamacpp", async () => {
    const completion = await post("/olla/llamacpp/v1/completions", { model: "tiny-long", prompt: "llama.cpp is", max_tokens: 6 });
    expect(completion.status).toBe(200);
    const text = await completion.json();
    expect(text.choices[0].text).toBeString();
    expect(text.usage.completion_tokens).toBe(6);

    const embeddings = await post("/olla/llamacpp/v1/embeddings", { model: "tiny-long", input: ["a", "b"] });
    expect(embeddings.status).toBe(200);
    expect(embeddings.headers.get("x-olla-endpoint")).toBe("long");
    const vectors = (await embeddings.json()).data;
    expect(vectors.map((d: { index: number }) => d.index)).toEqual([0, 1]);
    expect(vectors[0].embedding).toHaveLength(128);

    // The backend's own 400 for an empty input passes through as llama-server sent it.
    const empty = await post("/olla/llamacpp/v1/embeddings", { model: "tiny-long", input: [] });
    const own = await direct(long.backend, "/v1/embeddings", { model: "tiny-long", input: [] });
    expect(empty.status).toBe(400);
    expect(empty.status).toBe(own.status);
    expect(await empty.text()).toBe(await own.text());
  });

  realTest("/olla/proxy/v1 routes by model to either server, and its model list and /olla/models show both", async () => {
    for (const [model, endpoint] of [["tiny-chat", "chat"], ["tiny-long", "long"]]) {
      const res = await post("/olla/proxy/v1/chat/completions", { model, messages: MESSAGES, max_tokens: 4 });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-olla-endpoint")).toBe(endpoint);
      expect(res.headers.get("x-olla-backend-type")).toBe("llamacpp");
      await res.arrayBuffer();
    }
    const proxyList = await (await fetch(`${server.url}/olla/proxy/v1/models`)).json();
    expect(proxyList.data.map((m: { id: string }) => m.id).sort()).toEqual(["tiny-chat", "tiny-long"]);

    const unified = await (await fetch(`${server.url}/olla/models`)).json();
    const entry = unified.data.find((m: { id: string }) => m.id === "tiny-chat");
    expect(entry.olla.backend_types).toEqual(["llamacpp"]);
    expect(entry.olla.endpoints.map((e: { name: string }) => e.name)).toEqual(["chat"]);
    // llama-server lists n_ctx_train in meta: the catalogue reads it as the context length.
    expect(entry.olla.max_context_length).toBe(512);
    const filtered = await (await fetch(`${server.url}/olla/models?type=llamacpp&endpoint=long`)).json();
    expect(filtered.data.map((m: { id: string }) => m.id)).toEqual(["tiny-long"]);
  });

  realTest("Anthropic Messages through /olla/anthropic are handed to llama-server's own /v1/messages", async () => {
    const headers = { "anthropic-version": "2023-06-01" };
    const res = await post("/olla/anthropic/v1/messages", { model: "tiny-long", max_tokens: 8, messages: MESSAGES }, headers);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-olla-mode")).toBe("passthrough");
    expect(res.headers.get("x-olla-endpoint")).toBe("long");
    const message = await res.json();
    expect(message.type).toBe("message");
    expect(message.content[0].type).toBe("text");
    expect(message.stop_reason).toBe("max_tokens");
    expect(message.usage.output_tokens).toBe(8);
    expect(postedPaths().at(-1)).toBe("/v1/messages");

    const stream = await post("/olla/anthropic/v1/messages", { model: "tiny-chat", max_tokens: 32, stream: true, messages: MESSAGES }, headers);
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toStartWith("text/event-stream");
    const names = (await stream.text()).split("\n").filter((l) => l.startsWith("event: ")).map((l) => l.slice(7));
    expect(names[0]).toBe("message_start");
    expect(names.at(-1)).toBe("message_stop");
    expect(names).toContain("message_delta");

    const count = await post("/olla/anthropic/v1/messages/count_tokens", { model: "tiny-long", messages: MESSAGES }, headers);
    expect(count.status).toBe(200);
    expect(count.headers.get("x-olla-token-count")).toBeNull();
    expect((await count.json()).input_tokens).toBeGreaterThan(0);
    expect(postedPaths().at(-1)).toBe("/v1/messages/count_tokens");
  });

  realTest("malformed JSON is Tureen's 400 and never reaches llama-server (which would answer 500 and close)", async () => {
    const before = postedPaths().length;
    for (const path of ["/olla/llamacpp/v1/chat/completions", "/olla/proxy/v1/chat/completions", "/olla/llamacpp/v1/embeddings"]) {
      const res = await post(path, "{not json");
      expect(res.status).toBe(400);
      expect(res.headers.get("connection")).not.toBe("close");
      expect((await res.json()).error.code).toBe("invalid_json");
    }
    // The Anthropic route answers in Anthropic's error shape.
    const anthropic = await post("/olla/anthropic/v1/messages", "{not json");
    expect(anthropic.status).toBe(400);
    expect(await anthropic.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(postedPaths().length).toBe(before);
    // What llama-server itself does with it, for the record.
    const own = await long.backend.fetch("/v1/chat/completions", { method: "POST", body: "{not json" });
    expect(own.status).toBe(500);
    await own.arrayBuffer();
  });

  realTest("a client that disconnects mid-stream frees llama-server's only slot, and the next request is served", async () => {
    const res = await post("/olla/llamacpp/v1/chat/completions", {
      model: "tiny-long",
      messages: MESSAGES,
      stream: true,
      max_tokens: 400,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    await server.waitForLog((l) => l.msg === "request ended early" && l.outcome === "client_closed", 15_000);
    // llama-server stopped generating for the closed connection rather than running on to max_tokens.
    await until(() => long.backend.logs().some((l) => /stop: cancel task/.test(l)), 10_000);
    await until(async () => {
      const slots = (await (await long.backend.fetch("/slots")).json()) as Array<{ is_processing: boolean }>;
      return slots.every((s) => !s.is_processing);
    }, 10_000);
    const next = await post("/olla/llamacpp/v1/chat/completions", { model: "tiny-long", messages: MESSAGES, max_tokens: 4 });
    expect(next.status).toBe(200);
    expect((await next.json()).usage.completion_tokens).toBe(4);
  });

  realTest("management paths are refused with 501, other paths 404, and none reaches llama-server", async () => {
    const before = long.requests.length;
    for (const path of ["/olla/llamacpp/slots/0?action=erase", "/olla/llamacpp/props", "/olla/llamacpp/models/load", "/olla/llamacpp/lora-adapters", "/olla/llamacpp/metrics", "/olla/llamacpp/v1/../slots"]) {
      const res = await post(path, { model: "tiny-long" });
      expect(res.status).toBe(501);
      expect((await res.json()).error.code).toBe("management_not_supported");
    }
    for (const path of ["/olla/llamacpp/tokenize", "/olla/llamacpp/apply-template", "/olla/llamacpp/v1/models/tiny-long"]) {
      const res = await post(path, { model: "tiny-long", content: "x" });
      expect(res.status).toBe(404);
      expect((await res.json()).error.code).toBe("route_not_found");
    }
    expect(long.requests.slice(before).filter((r) => r.path !== "/health" && r.path !== "/v1/models")).toEqual([]);
  });
});

describe.skipIf(!REAL_ENABLED)("a llama-server still loading its model", () => {
  realTest("its 503 Loading model keeps it unhealthy: no request reaches it until /health says ok", async () => {
    const at = llamaSocket();
    const loading = await startServer({
      server: { host: "127.0.0.1", port: 0 },
      logging: { level: "debug", format: "json" },
      endpoints: [{ url: at.url, name: "loading", type: "llamacpp", check_interval: "50ms", check_timeout: "40ms" }],
    }, { sockets: [at.socketPath] });
    try {
      const llama = await startLlamaServer(MANIFEST!.models.tinyEos, ["--alias", "tiny-loading"], { at, wait: false, name: "llama-server loading" });
      // Ask llama-server itself and Tureen in turn until Tureen serves: Tureen must never pass on the backend's 503.
      const own: Array<{ status: number; body: string }> = [];
      const tureen: Array<{ status: number; code?: string; message?: string }> = [];
      await until(async () => {
        const health = await llama.fetch("/health").catch(() => null);
        if (health) {
          own.push({ status: health.status, body: await health.text() });
        }
        const res = await post("/olla/llamacpp/v1/chat/completions", { model: "tiny-loading", messages: MESSAGES, max_tokens: 2 }, {}, loading);
        const body = await res.json();
        tureen.push({ status: res.status, code: body.error?.code, message: body.error?.message });
        return res.status === 200;
      }, 20_000).catch((error) => {
        throw new Error(`${error.message}; Tureen answered ${JSON.stringify(tureen.slice(-3))}; its log:\n${loading.logs.slice(-15).map((l) => JSON.stringify(l)).join("\n")}`);
      });
      for (const answer of tureen.slice(0, -1)) {
        // Before the first probe lists the model it is unknown; after, unavailable. Never llama-server's own 503.
        expect(["model_not_found", "model_unavailable", "no_endpoint_available"]).toContain(answer.code!);
      }
      // What llama-server answered while loading, when the window was caught (it usually is: loading takes a while).
      for (const answer of own.filter((a) => a.status !== 200)) {
        expect(answer.status).toBe(503);
        expect(JSON.parse(answer.body)).toEqual({ error: { message: "Loading model", type: "unavailable_error", code: 503 } });
      }
      await llama.stop();
    } finally {
      await loading.stop();
    }
  });
});
