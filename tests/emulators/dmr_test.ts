// Self-test of the DMR emulator (dmr.ts) against docs/DMR.md.

import { afterEach, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { normaliseRef, startDmr, type DmrEmulator, type DmrOptions } from "./dmr.ts";
import { until } from "../_server.ts";

let emu: DmrEmulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

async function start(options?: DmrOptions): Promise<DmrEmulator> {
  emu = await startDmr(options);
  return emu;
}

function post(e: DmrEmulator, path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(e.url + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(init.headers as Record<string, string>) },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: init.signal,
  });
}

const chat = (extra: Record<string, unknown> = {}) => ({
  model: "ai/smollm2",
  messages: [{ role: "user", content: "hi" }],
  ...extra,
});

/** Splits an SSE body into its `data:` payloads, checking the framing. */
function sseData(text: string): string[] {
  expect(text.endsWith("\n\n")).toBe(true);
  return text
    .slice(0, -2)
    .split("\n\n")
    .map((event) => {
      expect(event.startsWith("data: ")).toBe(true);
      expect(event.includes("\n")).toBe(false);
      return event.slice("data: ".length);
    });
}

describe("normaliseRef", () => {
  test.each([
    ["smollm2", "docker.io/ai/smollm2:latest"],
    ["ai/SmolLM2", "docker.io/ai/smollm2:latest"],
    ["  ai/smollm2:latest ", "docker.io/ai/smollm2:latest"],
    ["docker.io/ai/smollm2:latest", "docker.io/ai/smollm2:latest"],
    ["index.docker.io/ai/smollm2", "docker.io/ai/smollm2:latest"],
    ["hf.co/Org/Model:Q4_K_M", "huggingface.co/org/model:Q4_K_M"],
    ["huggingface.co/bartowski/Foo-GGUF:Q4_K_M", "huggingface.co/bartowski/foo-gguf:Q4_K_M"],
    ["ai/Qwen3:0.6B-Q4_0", "docker.io/ai/qwen3:0.6B-Q4_0"],
    ["localhost:5000/team/m", "localhost:5000/team/m:latest"],
  ])("%p -> %p", (input, expected) => {
    expect(normaliseRef(input)).toBe(expected);
  });
});

describe("DMR-owned endpoints", () => {
  test("root, model list, single model, /models, status", async () => {
    const e = await start({
      models: [
        { tag: "docker.io/ai/smollm2:latest" },
        { tag: "huggingface.co/bartowski/foo:Q4_K_M", created: 1700000000 },
        { tag: "docker.io/ai/qwen3-st:latest", format: "safetensors" },
      ],
    });
    const root = await fetch(e.url + "/");
    expect(await root.text()).toBe("Docker Model Runner is running");

    for (const path of ["/engines/v1/models", "/engines/whatever/v1/models", "/v1/models"]) {
      const res = await fetch(e.url + path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/json");
      const text = await res.text();
      expect(text.endsWith("}\n")).toBe(true);
      const list = JSON.parse(text);
      expect(list.object).toBe("list");
      expect(list.data.map((m: { id: string }) => m.id)).toEqual([
        "docker.io/ai/smollm2:latest",
        "huggingface.co/bartowski/foo:Q4_K_M",
        "docker.io/ai/qwen3-st:latest",
      ]);
      expect(list.data[0]).toMatchObject({ object: "model", created: 1742816981, owned_by: "docker" });
      expect(list.data[0].dmr.context_window).toBe(8192);
      expect(list.data[1].created).toBe(1700000000);
    }

    const one = await fetch(e.url + "/engines/v1/models/hf.co/Bartowski/foo:Q4_K_M");
    expect((await one.json()).id).toBe("huggingface.co/bartowski/foo:Q4_K_M");
    const missing = await fetch(e.url + "/engines/v1/models/ai/nope");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await missing.text()).toBe(`error while getting model: get model '"ai/nope"': model not found\n`);

    const store = await (await fetch(e.url + "/models")).json();
    expect(store[0].id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(store[0].tags).toEqual(["docker.io/ai/smollm2:latest"]);
    expect(store[2].config.format).toBe("safetensors");
    // The digest is an alias of the model too (§2).
    const byId = await fetch(e.url + `/engines/v1/models/${store[0].id}`);
    expect((await byId.json()).id).toBe("docker.io/ai/smollm2:latest");

    expect(await (await fetch(e.url + "/engines/status")).json()).toEqual({
      diffusers: "Not Installed",
      "llama.cpp": "Running: llama.cpp version: c55bce4",
      mlx: "Not Installed: only supported on Apple Silicon",
      sglang: "Not Installed: package not installed",
      vllm: "Not Installed: binary not found",
    });
    const other = await fetch(e.url + "/engines/anything-else");
    expect(other.status).toBe(404);
    expect(await other.text()).toBe("not found\n");
    expect((await fetch(e.url + "/engines/v1/chat/completions")).status).toBe(404); // GET
    expect(e.requests.map((r) => r.path)).toContain("/engines/anything-else");
  });

  test("CORS: unlisted origin is 403 for every method, allowed origin is echoed", async () => {
    const e = await start();
    for (const method of ["GET", "POST", "OPTIONS"]) {
      const res = await fetch(e.url + "/engines/v1/models", { method, headers: { Origin: "http://localhost:3000" } });
      expect(res.status).toBe(403);
      expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(await res.text()).toBe("Origin not allowed\n");
    }
    const ok = await fetch(e.url + "/v1/models", { headers: { Origin: "http://localhost" } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe("http://localhost");
    const pre = await fetch(e.url + "/engines/v1/chat/completions", { method: "OPTIONS", headers: { Origin: "https://127.0.0.1" } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-methods")).toBe("GET, POST, DELETE");
    expect((await fetch(e.url + "/engines/v1/chat/completions", { method: "OPTIONS" })).status).toBe(404);
  });
});

describe("inference", () => {
  test("validation order and text/plain errors", async () => {
    const e = await start({ loadDelayMs: 5_000 }); // a load would time the test out
    const cases: [string, string | object, number, string][] = [
      ["/engines/nope/v1/chat/completions", "not json", 404, "backend not found"],
      ["/engines/v1/chat/completions", `{"model":"${"x".repeat(10 * 1024 * 1024)}"}`, 400, "request too large"],
      ["/engines/llama.cpp/v1/chat/completions", "not json", 400, "invalid request"],
      ["/engines/v1/completions", "[1,2]", 400, "invalid request"],
      ["/engines/v1/chat/completions", { model: 7 }, 400, "invalid request"],
      ["/v1/chat/completions", { messages: [] }, 400, "model is required"],
      ["/engines/v1/embeddings", { model: "" }, 400, "model is required"],
      ["/engines/v1/chat/completions", { model: "ai/Missing" }, 404, `error while getting model: get model '"ai/Missing"': model not found`],
    ];
    for (const [path, body, status, message] of cases) {
      const res = await post(e, path, body);
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(await res.text()).toBe(message + "\n");
    }
    expect(e.loaded()).toEqual([]);
  });

  test("cold load delays headers; concurrent requests share one load", async () => {
    // Bounds at half-load margins (not ~100 ms ones), so a loaded machine's request overhead fits.
    const e = await start({ loadDelayMs: 600 });
    const t0 = performance.now();
    const responses = await Promise.all([0, 1, 2].map(() => post(e, "/engines/v1/chat/completions", chat())));
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(590);
    expect(elapsed).toBeLessThan(1200); // one shared load, not three (1.8 s)
    for (const res of responses) expect(res.status).toBe(200);
    expect(e.loaded()).toEqual(["docker.io/ai/smollm2:latest|completion"]);

    const t1 = performance.now();
    await (await post(e, "/engines/v1/chat/completions", chat({ model: "docker.io/ai/smollm2:latest" }))).text();
    expect(performance.now() - t1).toBeLessThan(300); // warm, any alias (a load is 600 ms)
    // Embeddings run in their own runner, so they cold-load again.
    const t2 = performance.now();
    await (await post(e, "/engines/v1/embeddings", { model: "smollm2", input: "x" })).text();
    expect(performance.now() - t2).toBeGreaterThanOrEqual(590);
    expect(e.loaded().sort()).toEqual(["docker.io/ai/smollm2:latest|completion", "docker.io/ai/smollm2:latest|embedding"]);
  });

  test("no byte at all is sent while loading", async () => {
    const e = await start({ loadDelayMs: 300 });
    const body = JSON.stringify(chat());
    const t0 = performance.now();
    const firstByteAt = await new Promise<number>((resolve, reject) => {
      const socket = connect(e.port, "127.0.0.1", () => {
        socket.write(
          `POST /engines/v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      });
      socket.once("data", () => {
        resolve(performance.now() - t0);
        socket.destroy();
      });
      socket.once("error", reject);
    });
    expect(firstByteAt).toBeGreaterThanOrEqual(290);
  });

  test("non-stream chat, completions, embeddings, engine errors", async () => {
    const e = await start({ responseModel: "file" });
    const res = await post(e, "/engines/llama.cpp/v1/chat/completions", chat());
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("server")).toBe("llama.cpp");
    const body = await res.json();
    expect(Object.keys(body)).toEqual(["choices", "created", "model", "system_fingerprint", "object", "usage", "id", "timings"]);
    expect(body.choices).toEqual([{ finish_reason: "stop", index: 0, message: { role: "assistant", content: "Hello from DMR" } }]);
    expect(body).toMatchObject({ model: "model.gguf", object: "chat.completion", usage: { completion_tokens: 3 } });
    expect(body.id).toMatch(/^chatcmpl-/);

    e.options.responseModel = "echo";
    const text = await (await post(e, "/v1/completions", { model: "SmolLM2", prompt: "p" })).json();
    expect(text.object).toBe("text_completion");
    expect(text.model).toBe("SmolLM2");
    expect(text.choices[0].text).toBe("Hello from DMR");

    const emb = await (await post(e, "/engines/v1/embeddings", { model: "smollm2", input: ["a", "b"] })).json();
    expect(emb.object).toBe("list");
    expect(emb.data.map((d: { index: number; embedding: number[] }) => [d.index, d.embedding.length])).toEqual([[0, 8], [1, 8]]);
    const noInput = await post(e, "/engines/v1/embeddings", { model: "smollm2" });
    expect(noInput.status).toBe(400);
    expect(await noInput.json()).toEqual({
      error: { code: 400, message: '"input" or "content" must be provided', type: "invalid_request_error" },
    });

    const big = await post(e, "/engines/v1/chat/completions", chat({ max_tokens: 200_000, stream: true }));
    expect(big.status).toBe(400);
    expect(big.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect((await big.json()).error.type).toBe("exceed_context_size_error");

    const preload = await post(e, "/engines/v1/chat/completions", chat(), { headers: { "X-Preload-Only": "true" } });
    expect(preload.status).toBe(200);
    expect(await preload.text()).toBe("");

    await Bun.sleep(20); // a late, spurious abort signal would show up here
    expect(e.requests.every((r) => r.completed && !r.aborted)).toBe(true);
  });

  test("stream framing with and without include_usage", async () => {
    const e = await start();
    for (const includeUsage of [false, true]) {
      const extra = includeUsage ? { stream: true, stream_options: { include_usage: true } } : { stream: true };
      const res = await post(e, "/engines/v1/chat/completions", chat(extra));
      expect(res.headers.get("content-type")).toBe("text/event-stream");
      expect(res.headers.get("x-accel-buffering")).toBe("no");
      expect(res.headers.get("server")).toBe("llama.cpp");
      const data = sseData(await res.text());
      expect(data.at(-1)).toBe("[DONE]");
      const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
      expect(chunks.length).toBe(includeUsage ? 6 : 5);
      expect(chunks[0].choices[0].delta).toEqual({ role: "assistant", content: null });
      expect(chunks.slice(1, 4).map((c) => c.choices[0].delta.content)).toEqual(["Hello", " from", " DMR"]);
      expect(chunks[4].choices[0]).toEqual({ finish_reason: "stop", index: 0, delta: {} });
      for (const c of chunks) expect(c.object).toBe("chat.completion.chunk");
      const last = chunks.at(-1);
      expect(last.timings).toBeDefined();
      expect(chunks.filter((c) => c.timings).length).toBe(1);
      if (includeUsage) expect(last).toMatchObject({ choices: [], usage: { completion_tokens: 3 } });
      else expect(chunks.some((c) => "usage" in c)).toBe(false);
    }
    expect(e.requests.every((r) => r.completed && !r.aborted)).toBe(true);
  });

  test("each event arrives as its own chunk, chunkDelayMs apart", async () => {
    // 150 ms apart: at 40 ms a reader that a loaded machine kept waiting found two events in one read.
    const e = await start({ chunkDelayMs: 150 });
    const res = await post(e, "/engines/v1/chat/completions", chat({ stream: true }));
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const arrivals: { at: number; text: string }[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      arrivals.push({ at: performance.now(), text: decoder.decode(value) });
    }
    expect(arrivals.length).toBe(6); // role, 3 tokens, finish, [DONE]
    for (const a of arrivals) expect(a.text.match(/data: /g)?.length).toBe(1);
    expect(arrivals.at(-1)!.at - arrivals[0]!.at).toBeGreaterThanOrEqual(5 * 150 - 10);
  });

  test("mid-stream error ends without [DONE]", async () => {
    const e = await start({ midStreamError: true });
    const data = sseData(await (await post(e, "/engines/v1/chat/completions", chat({ stream: true }))).text());
    expect(data.length).toBe(3);
    expect(JSON.parse(data[1]!).choices[0].delta.content).toBe("Hello");
    expect(JSON.parse(data[2]!).error.code).toBe(500);
  });

  test("load failure is a text/plain 500 and nothing stays loaded", async () => {
    const e = await start({ failLoad: "llama.cpp terminated unexpectedly" });
    const res = await post(e, "/engines/v1/chat/completions", chat({ stream: true }));
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await res.text()).toBe(
      "unable to load runner: error waiting for runner to be ready: llama.cpp terminated unexpectedly\n",
    );
    expect(e.loaded()).toEqual([]);
  });

  test("client abort mid-stream is recorded", async () => {
    const e = await start({ chunkDelayMs: 200 });
    const ac = new AbortController();
    const res = await post(e, "/engines/v1/chat/completions", chat({ stream: true }), { signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    const rec = await e.waitForAbort("/chat/completions");
    expect(rec.aborted).toBe(true);
    expect(rec.completed).toBe(false);
    const ps = await (await fetch(e.url + "/engines/ps")).json();
    expect(ps[0].in_use).toBeUndefined(); // the runner was released
  });

  test("client abort during a cold load cancels it; other waiters start over", async () => {
    const e = await start({ loadDelayMs: 1000 });
    const ac = new AbortController();
    const first = post(e, "/engines/v1/chat/completions", chat(), { signal: ac.signal }).catch((err: Error) => err);
    // Wait for each request to arrive instead of sleeping 50 ms and hoping.
    await until(() => e.requests.filter((r) => r.method === "POST").length === 1, 900);
    const second = post(e, "/engines/v1/chat/completions", chat({ model: "smollm2" }));
    await until(() => e.requests.filter((r) => r.method === "POST").length === 2, 900);
    const ps = await (await fetch(e.url + "/engines/ps")).json();
    expect(ps).toMatchObject([{ backend_name: "llama.cpp", model_name: "ai/smollm2", mode: "completion", in_use: true, loading: true }]);
    ac.abort();
    const abortedAt = performance.now();
    expect(await first).toBeInstanceOf(Error);
    const rec = await e.waitForAbort("/v1/chat/completions");
    expect(rec.completed).toBe(false);
    expect(e.loaded()).toEqual([]);
    // Had the first load gone on, the second request would be answered before a full load after the abort.
    expect((await second).status).toBe(200);
    expect(performance.now() - abortedAt).toBeGreaterThanOrEqual(990);
    expect(e.loaded()).toEqual(["docker.io/ai/smollm2:latest|completion"]);
  });

  test("keep-alive expiry, /engines/unload and unloadAll", async () => {
    const e = await start({ keepAliveMs: 100 });
    await (await post(e, "/engines/v1/chat/completions", chat())).text();
    expect(e.loaded()).toHaveLength(1);
    await Bun.sleep(120);
    expect(e.loaded()).toEqual([]);

    e.options.keepAliveMs = 60_000;
    await (await post(e, "/engines/v1/chat/completions", chat())).text();
    const unload = await post(e, "/engines/unload", { models: ["smollm2"] });
    expect(await unload.json()).toEqual({ unloaded_runners: 1 });
    await (await post(e, "/engines/v1/chat/completions", chat())).text();
    e.unloadAll();
    expect(e.loaded()).toEqual([]);
  });
});
