/**
 * Every backend type end to end: one Tureen in front of one emulated server per type. Each
 * type's prefix lists and serves its own models only (fail closed), streams in its own
 * framing, refuses management paths without reaching the backend, and reads health the
 * way that type means it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type OllamaEmulator, startOllama } from "../emulators/ollama.ts";
import { type OpenAiServer, type OpenAiType, startOpenAiServer } from "../emulators/openai_server.ts";
import { type ServerUnderTest, startServer, until } from "../_server.ts";

/** Each OpenAI-family type, the prefix to reach it, its chat path under the prefix, and its model. */
const TYPES: ReadonlyArray<{ type: OpenAiType; prefix: string; chat: string; model: string }> = [
  { type: "vllm", prefix: "vllm", chat: "/v1/chat/completions", model: "meta/llama-vllm" },
  { type: "vllm-mlx", prefix: "vllm-mlx", chat: "/v1/chat/completions", model: "mlx/qwen-mlx" },
  { type: "sglang", prefix: "sglang", chat: "/v1/chat/completions", model: "qwen/sglang-7b" },
  { type: "llamacpp", prefix: "llamacpp", chat: "/v1/chat/completions", model: "gemma-3-1b.gguf" },
  { type: "lmdeploy", prefix: "lmdeploy", chat: "/v1/chat/completions", model: "internlm/internlm3" },
  { type: "litellm", prefix: "litellm", chat: "/v1/chat/completions", model: "gpt-lite" },
  { type: "lemonade", prefix: "lemonade", chat: "/api/v1/chat/completions", model: "Qwen3-0.6B-GGUF" },
  { type: "omlx", prefix: "omlx", chat: "/v1/chat/completions", model: "mlx-community/omlx-1b" },
  { type: "lm-studio", prefix: "lmstudio", chat: "/v1/chat/completions", model: "qwen/qwen3-4b" },
  { type: "openai-compatible", prefix: "openai", chat: "/v1/chat/completions", model: "tgi-model" },
];

const backends = new Map<OpenAiType, OpenAiServer>();
let ollama: OllamaEmulator;
let server: ServerUnderTest;

beforeAll(async () => {
  for (const t of TYPES) {
    backends.set(t.type, await startOpenAiServer({ type: t.type, models: [t.model], name: t.type, chunkDelayMs: 5 }));
  }
  ollama = await startOllama({ loaded: ["llama3.2"], chunkDelayMs: 40 });
  server = await startServer({
    server: { host: "127.0.0.1", port: 0 },
    logging: { level: "debug", format: "json" },
    endpoints: [
      ...TYPES.map((t) => ({
        url: backends.get(t.type)!.url,
        name: `${t.type}-1`,
        type: t.type,
        check_interval: "200ms",
        check_timeout: "200ms",
      })),
      { url: ollama.url, name: "ollama-1", type: "ollama", check_interval: "200ms", check_timeout: "200ms" },
      // LM Studio answers 200 to a path it does not have: a probe of /health must not call that healthy.
      {
        url: backends.get("lm-studio")!.url,
        name: "lm-studio-wrong-probe",
        type: "lm-studio",
        health_check_url: "/health",
        check_interval: "200ms",
        check_timeout: "200ms",
      },
    ],
  });
  await until(async () => {
    const status = await (await fetch(`${server.url}/internal/status/endpoints`)).json();
    return status.endpoints.filter((e: { name: string }) => e.name !== "lm-studio-wrong-probe")
      .every((e: { status: string; model_count: number }) => e.status === "healthy" && e.model_count > 0);
  }, 8_000);
});

afterAll(async () => {
  await server?.stop();
  for (const backend of backends.values()) await backend.stop();
  await ollama?.stop();
});

const post = (path: string, body: object, headers: Record<string, string> = {}) =>
  fetch(server.url + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

const posted = (backend: { requests: Array<{ method: string; path: string }> }) =>
  backend.requests.filter((r) => r.method === "POST").map((r) => r.path);

describe("per-type routes /olla/<prefix>/...", () => {
  for (const t of TYPES) {
    test(`${t.type}: lists its model at /olla/${t.prefix}/v1/models and serves chat there, marked with its type`, async () => {
      const list = await (await fetch(`${server.url}/olla/${t.prefix}/v1/models`)).json();
      expect(list.data.map((m: { id: string }) => m.id)).toEqual([t.model]);
      const res = await post(`/olla/${t.prefix}${t.chat}`, {
        model: t.model,
        messages: [{ role: "user", content: "hi" }],
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-olla-backend-type")).toBe(t.type);
      expect(res.headers.get("x-olla-endpoint")).toBe(`${t.type}-1`);
      expect((await res.json()).choices[0].message.content).toBe(`Hello from ${t.type}`);
      expect(posted(backends.get(t.type)!).at(-1)).toBe(t.chat);
    });

    test(`${t.type}: streams server-sent events through /olla/${t.prefix}, ending with [DONE]`, async () => {
      const res = await post(`/olla/${t.prefix}${t.chat}`, { model: t.model, stream: true, messages: [] });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const text = await res.text();
      expect(text).toContain(`from ${t.type}`);
      expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    });
  }

  test("a type's route is served only by endpoints of that type: another type's model is 404 there", async () => {
    const before = posted(backends.get("vllm")!).length;
    const res = await post("/olla/sglang/v1/chat/completions", { model: "meta/llama-vllm", messages: [] });
    expect(res.status).toBe(404);
    const body = await res.json();
    expect(body.error.code).toBe("model_not_found");
    expect(body.error.message).toContain("SGLang");
    expect(body.error.message).toContain("/olla/sglang/v1/models");
    expect(posted(backends.get("vllm")!).length).toBe(before);
  });

  test("LM Studio answers on all three of Olla's prefixes: lmstudio, lm-studio, lm_studio", async () => {
    for (const prefix of ["lmstudio", "lm-studio", "lm_studio"]) {
      const res = await post(`/olla/${prefix}/v1/chat/completions`, { model: "qwen/qwen3-4b", messages: [] });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-olla-backend-type")).toBe("lm-studio");
    }
  });

  test("LM Studio's /api/v0/models keeps its rich shape with loaded state from the backend", async () => {
    const list = await (await fetch(`${server.url}/olla/lmstudio/api/v0/models`)).json();
    expect(list.data).toEqual([
      expect.objectContaining({
        id: "qwen/qwen3-4b",
        state: "loaded",
        max_context_length: 32768,
        quantization: "Q4_K_M",
      }),
    ]);
  });

  test("management paths are refused with 501 and never reach the backend", async () => {
    const cases: Array<[string, { requests: Array<{ method: string; path: string }> }]> = [
      ["/olla/vllm/sleep", backends.get("vllm")!],
      ["/olla/vllm/v1/load_lora_adapter", backends.get("vllm")!],
      ["/olla/lmstudio/api/v1/models/load", backends.get("lm-studio")!],
      ["/olla/sglang/flush_cache", backends.get("sglang")!],
      ["/olla/llamacpp/slots/0", backends.get("llamacpp")!],
      ["/olla/litellm/key/generate", backends.get("litellm")!],
      ["/olla/lemonade/api/v1/pull", backends.get("lemonade")!],
      ["/olla/ollama/api/pull", ollama],
      ["/olla/ollama/api/delete", ollama],
    ];
    for (const [path, backend] of cases) {
      const res = await post(path, { model: "x" });
      expect(res.status).toBe(501);
      const body = await res.json();
      expect(body.error.code).toBe("management_not_supported");
      expect(backend.requests.some((r) => path.endsWith(r.path))).toBe(false);
    }
  });

  test("paths outside a type's allow-list are a JSON 404 and never reach the backend", async () => {
    for (
      const [method, path] of [["GET", "/olla/vllm/metrics"], ["POST", "/olla/vllm/tokenize"], [
        "GET",
        "/olla/lmstudio/whatever",
      ], ["GET", "/olla/vllm/v1/../metrics"]]
    ) {
      const res = await fetch(server.url + path, { method, body: method === "POST" ? "{}" : undefined });
      expect(res.status).toBe(404);
      expect((await res.json()).error.code).toBe("route_not_found");
    }
    expect(backends.get("vllm")!.requests.some((r) => r.path === "/metrics" || r.path === "/tokenize")).toBe(false);
    expect(backends.get("lm-studio")!.requests.some((r) => r.path === "/whatever")).toBe(false);
  });
});

/**
 * Whether a log line came after index `mark`: a probe slowed by a loaded machine may have
 * logged "endpoint unhealthy" earlier, and an old line must not stand for the one awaited.
 */
const after = (mark: number, line: Record<string, unknown>) => server.logs.indexOf(line) >= mark;

describe("health per type", () => {
  test("llama-server answering 503 Loading model is unhealthy and gets no traffic; ready again, it serves", async () => {
    const llama = backends.get("llamacpp")!;
    const mark = server.logs.length;
    llama.loading = true;
    await server.waitForLog((l) => after(mark, l) && l.msg === "endpoint unhealthy" && l.endpoint === "llamacpp-1", 3_000);
    const refused = await post("/olla/llamacpp/v1/chat/completions", { model: "gemma-3-1b.gguf", messages: [] });
    expect(refused.status).toBe(503);
    expect((await refused.json()).error.code).toBe("model_unavailable");
    llama.loading = false;
    await until(
      async () =>
        (await post("/olla/llamacpp/v1/chat/completions", { model: "gemma-3-1b.gguf", messages: [] })).status === 200,
      10_000,
    );
  });

  test("SGLang's 503 while starting is unhealthy, its empty 200 healthy", async () => {
    const sglang = backends.get("sglang")!;
    const mark = server.logs.length;
    sglang.loading = true;
    const unhealthy = await server.waitForLog((l) => after(mark, l) && l.msg === "endpoint unhealthy" && l.endpoint === "sglang-1", 3_000);
    sglang.loading = false;
    await server.waitForLog(
      (l) => after(server.logs.indexOf(unhealthy), l) && l.msg === "endpoint healthy" && l.endpoint === "sglang-1",
      10_000,
    );
  });

  test("LM Studio's 200 for a path it does not have is not healthy: the probe must return a model list", async () => {
    const status = await (await fetch(`${server.url}/internal/status/endpoints`)).json();
    const wrong = status.endpoints.find((e: { name: string }) => e.name === "lm-studio-wrong-probe");
    expect(wrong.status).toBe("unhealthy");
    expect(wrong.issues[0]).toContain("not with a model list");
    expect(backends.get("lm-studio")!.requests.some((r) => r.path === "/health")).toBe(true);
  });

  test("LiteLLM is probed at /health/liveliness, never at its costly /health", () => {
    const litellm = backends.get("litellm")!;
    expect(litellm.requests.some((r) => r.path === "/health/liveliness")).toBe(true);
    expect(litellm.requests.some((r) => r.path === "/health")).toBe(false);
  });

  test("vLLM whose port closes (reloading weights) goes offline, and is used again once it listens", async () => {
    const vllm = backends.get("vllm")!;
    const port = vllm.port;
    const mark = server.logs.length;
    await vllm.stop();
    await server.waitForLog(
      (l) => after(mark, l) && l.msg === "endpoint unhealthy" && l.endpoint === "vllm-1" && l.status === "offline",
      3_000,
    );
    const refused = await post("/olla/vllm/v1/chat/completions", { model: "meta/llama-vllm", messages: [] });
    expect(refused.status).toBe(503);
    backends.set("vllm", await startOpenAiServer({ type: "vllm", models: ["meta/llama-vllm"], name: "vllm", port }));
    await until(
      async () =>
        (await post("/olla/vllm/v1/chat/completions", { model: "meta/llama-vllm", messages: [] })).status === 200,
      10_000,
    );
  });
});

describe("read-only pass-through", () => {
  test("GET /olla/ollama/api/version with no healthy Ollama is a 503 naming the type, with Retry-After", async () => {
    const port = ollama.port;
    const mark = server.logs.length;
    await ollama.stop();
    try {
      await server.waitForLog((l) => after(mark, l) && l.msg === "endpoint unhealthy" && l.endpoint === "ollama-1", 3_000);
      const res = await fetch(`${server.url}/olla/ollama/api/version`);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      expect((await res.json()).error.message).toContain("No healthy Ollama endpoint");
    } finally {
      ollama = await startOllama({ loaded: ["llama3.2"], port });
    }
  });
});
