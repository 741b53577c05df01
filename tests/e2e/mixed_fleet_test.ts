/**
 * A mixed fleet behind one URL: Docker Model Runner, two Ollamas, LM Studio, vLLM and
 * llama.cpp. `/olla/proxy` routes by model across types with failover, rewrites only the
 * `model` of an aliased request, keeps `/olla/proxy/api/` to Ollama; `/olla/models` merges
 * the fleet's lists by digest or name. Also Open WebUI's OpenAI connection on /olla/proxy/v1.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type DmrEmulator, startDmr } from "../emulators/dmr.ts";
import { type OllamaEmulator, startOllama } from "../emulators/ollama.ts";
import { type OpenAiServer, startOpenAiServer } from "../emulators/openai_server.ts";
import { type ServerUnderTest, startServer, untilAllHealthy } from "../_server.ts";

const DIGEST = "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72";
let dmr: DmrEmulator;
let ollama: OllamaEmulator;
let ollama2: OllamaEmulator;
let lmstudio: OpenAiServer;
let vllm: OpenAiServer;
let llama: OpenAiServer;
let server: ServerUnderTest;

beforeAll(async () => {
  dmr = await startDmr({ models: [{ tag: "docker.io/ai/smollm2:latest" }] });
  ollama = await startOllama({ models: [{ name: "llama3.2:latest", digest: DIGEST }], loaded: ["llama3.2"] });
  ollama2 = await startOllama({
    models: [{ name: "llama3.2:3b", digest: DIGEST }],
    loaded: ["llama3.2:3b"],
    name: "ollama2",
  });
  lmstudio = await startOpenAiServer({
    type: "lm-studio",
    models: ["qwen/qwen3-4b", "shared-model", "cold-model"],
    loaded: ["qwen/qwen3-4b"],
  });
  vllm = await startOpenAiServer({ type: "vllm", models: ["shared-model"] });
  llama = await startOpenAiServer({ type: "llamacpp", models: ["gemma-3-1b.gguf"] });
  const probe = { check_interval: "1s", check_timeout: "1s" };
  server = await startServer({
    server: { host: "127.0.0.1", port: 0 },
    logging: { level: "debug", format: "json" },
    model_aliases: { fast: ["gemma-3-1b.gguf", "qwen/qwen3-4b"] },
    endpoints: [
      { url: dmr.url, name: "dmr", type: "docker-model-runner", ...probe },
      { url: ollama.url, name: "ollama", type: "ollama", priority: 90, ...probe },
      { url: ollama2.url, name: "ollama2", type: "ollama", priority: 80, ...probe },
      { url: lmstudio.url, name: "lmstudio", type: "lm-studio", priority: 50, ...probe },
      { url: vllm.url, name: "vllm", type: "vllm", priority: 200, ...probe },
      { url: llama.url, name: "llama", type: "llamacpp", priority: 100, ...probe },
    ],
  });
  await untilAllHealthy(server);
});

afterAll(async () => {
  await server?.stop();
  for (const backend of [dmr, ollama, ollama2, lmstudio, vllm, llama]) await backend?.stop();
});

const post = (path: string, body: string | object) =>
  fetch(server.url + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
const lastPost = (backend: { requests: Array<{ method: string; path: string }> }) =>
  backend.requests.findLast((r) => r.method === "POST");

describe("/olla/proxy/v1: routed by model across types", () => {
  test("GET /olla/proxy/v1/models lists every model of every type once", async () => {
    const list = await (await fetch(`${server.url}/olla/proxy/v1/models`)).json();
    expect(list.object).toBe("list");
    expect(list.data.map((m: { id: string }) => m.id).sort()).toEqual(
      ["ai/smollm2", "cold-model", "gemma-3-1b.gguf", "llama3.2:latest", "qwen/qwen3-4b", "shared-model"].sort(),
    );
  });

  const cases: Array<[string, string, () => { requests: Array<{ method: string; path: string }> }, string]> = [
    ["smollm2", "docker-model-runner", () => dmr as never, "/engines/v1/chat/completions"],
    ["llama3.2", "ollama", () => ollama, "/v1/chat/completions"],
    ["qwen/qwen3-4b", "lm-studio", () => lmstudio, "/v1/chat/completions"],
    ["gemma-3-1b.gguf", "llamacpp", () => llama, "/v1/chat/completions"],
    ["shared-model", "vllm", () => vllm, "/v1/chat/completions"],
  ];
  for (const [model, type, backend, path] of cases) {
    test(`a ${type} model (${model}) goes to its ${type} endpoint, on that type's own path`, async () => {
      const res = await post("/olla/proxy/v1/chat/completions", { model, messages: [{ role: "user", content: "hi" }] });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-olla-backend-type")).toBe(type);
      await res.arrayBuffer();
      expect(lastPost(backend())?.path).toBe(path);
    });
  }

  test("a failing backend fails over to an endpoint of another type serving the same model", async () => {
    vllm.failWith = 503;
    try {
      const res = await post("/olla/proxy/v1/chat/completions", { model: "shared-model", messages: [] });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-olla-backend-type")).toBe("lm-studio");
      expect(lastPost(vllm)?.path).toBe("/v1/chat/completions");
    } finally {
      vllm.failWith = null;
    }
  });

  test("streaming through /olla/proxy keeps SSE framing", async () => {
    const res = await post("/olla/proxy/v1/chat/completions", { model: "qwen/qwen3-4b", stream: true, messages: [] });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    expect(await res.text()).toContain("data: [DONE]");
  });

  test("an unknown model is a 404 that points at the fleet list", async () => {
    const res = await post("/olla/proxy/v1/chat/completions", { model: "nope", messages: [] });
    expect(res.status).toBe(404);
    expect((await res.json()).error.message).toContain("/olla/proxy/v1/models");
  });

  test("paths no type takes, and traversal, are refused without reaching a backend", async () => {
    for (
      const path of [
        "/olla/proxy/sleep",
        "/olla/proxy/v1/load_lora_adapter",
        "/olla/proxy/v1/../sleep",
        "/olla/proxy/api/pull",
      ]
    ) {
      const res = await post(path, { model: "shared-model" });
      expect([404, 501]).toContain(res.status);
    }
    expect(vllm.requests.some((r) => r.path.includes("sleep") || r.path.includes("lora"))).toBe(false);
    expect(ollama.requests.some((r) => r.path === "/api/pull")).toBe(false);
  });
});

describe("model_aliases", () => {
  test("an alias routes to an endpoint serving one of its names; only the model value changes, byte for byte", async () => {
    const sent =
      '{ "messages" : [{"role":"user","content":"caf\\u00e9 \u2615"}],\n  "model":"fast", "temperature": 0.70 }';
    const res = await post("/olla/proxy/v1/chat/completions", sent);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-olla-backend-type")).toBe("llamacpp");
    expect(lastPost(llama)!.body).toBe(sent.replace('"fast"', '"gemma-3-1b.gguf"'));
  });

  test("when the first name's endpoint is down, the alias uses another name on another type", async () => {
    llama.failWith = 503;
    try {
      const res = await post("/olla/proxy/v1/chat/completions", '{"model":"fast","messages":[]}');
      expect(res.status).toBe(200);
      expect(res.headers.get("x-olla-backend-type")).toBe("lm-studio");
      expect(lastPost(lmstudio)!.body).toBe('{"model":"qwen/qwen3-4b","messages":[]}');
    } finally {
      llama.failWith = null;
    }
  });
});

describe("/olla/proxy/api: Ollama only", () => {
  test("/olla/proxy/api/chat streams NDJSON from Ollama", async () => {
    const res = await post("/olla/proxy/api/chat", { model: "llama3.2", messages: [] });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    expect((await res.text()).trim().split("\n").at(-1)).toContain('"done":true');
  });

  test("a model only a non-Ollama type serves is 404 on /olla/proxy/api and never reaches it", async () => {
    const before = lmstudio.requests.length;
    const res = await post("/olla/proxy/api/chat", { model: "qwen/qwen3-4b", messages: [] });
    expect(res.status).toBe(404);
    expect(lmstudio.requests.slice(before).some((r) => r.method === "POST")).toBe(false);
  });

  test("/olla/proxy/api/ps answers the loaded models of every Ollama, with expires_at", async () => {
    const ps = await (await fetch(`${server.url}/olla/proxy/api/ps`)).json();
    expect(ps.models.map((m: { name: string }) => m.name).sort()).toEqual(["llama3.2:3b", "llama3.2:latest"]);
    expect(ps.models.every((m: { expires_at?: string }) => typeof m.expires_at === "string")).toBe(true);
  });

  test("/olla/proxy/api/tags lists the Ollama models only", async () => {
    const tags = await (await fetch(`${server.url}/olla/proxy/api/tags`)).json();
    expect(tags.models.map((m: { name: string }) => m.name)).toEqual(["llama3.2:latest", "llama3.2:3b"]);
  });
});

describe("GET /olla/models: the unified catalogue", () => {
  const catalogue = async (query = "") => (await fetch(`${server.url}/olla/models${query}`)).json();

  test("models are merged by digest (two Ollama names, one model) and by name across types", async () => {
    const { data } = await catalogue();
    const llama32 = data.find((m: { id: string }) => m.id === "llama3.2:latest");
    expect(llama32.olla.endpoints.map((e: { name: string }) => e.name)).toEqual(["ollama", "ollama2"]);
    expect(llama32.olla.aliases).toEqual(["llama3.2:latest", "llama3.2:3b"]);
    expect(llama32.olla.digest).toBe(DIGEST);
    const shared = data.find((m: { id: string }) => m.id === "shared-model");
    expect(shared.olla.backend_types).toEqual(["vllm", "lm-studio"]);
    expect(shared.olla.max_context_length).toBe(32768);
    expect(data).toHaveLength(6);
  });

  test("per model: loaded state per endpoint, capabilities", async () => {
    const { data } = await catalogue();
    const qwen = data.find((m: { id: string }) => m.id === "qwen/qwen3-4b");
    expect(qwen.olla.endpoints).toEqual([{
      name: "lmstudio",
      type: "lm-studio",
      native_name: "qwen/qwen3-4b",
      state: "loaded",
    }]);
    expect(qwen.olla.loaded).toBe(true);
    expect(qwen.olla.capabilities).toContain("chat");
    const shared = data.find((m: { id: string }) => m.id === "shared-model");
    expect(shared.olla.availability).toEqual([{ endpoint: "vllm", state: "loaded" }, {
      endpoint: "lmstudio",
      state: "not-loaded",
    }]);
  });

  test("filters: endpoint, type (backend type or model kind), available", async () => {
    expect((await catalogue("?endpoint=vllm")).data.map((m: { id: string }) => m.id)).toEqual(["shared-model"]);
    expect((await catalogue("?type=ollama")).data.map((m: { id: string }) => m.id)).toEqual(["llama3.2:latest"]);
    expect((await catalogue("?type=lmstudio")).data.map((m: { id: string }) => m.id).sort()).toEqual([
      "cold-model",
      "qwen/qwen3-4b",
      "shared-model",
    ]);
    expect((await catalogue("?type=llm")).data).toHaveLength(6);
    // Loaded nowhere (LM Studio says not-loaded): the only model not available now.
    expect((await catalogue("?available=false")).data.map((m: { id: string }) => m.id)).toEqual(["cold-model"]);
    expect((await catalogue("?available=true")).data.map((m: { id: string }) => m.id)).not.toContain("cold-model");
    expect((await catalogue("?available=true")).data).toHaveLength(5);
  });

  test("?format=openai|ollama|lmstudio renders the same models in each client's shape; an unknown format is 400", async () => {
    const openai = await catalogue("?format=openai");
    expect(openai.object).toBe("list");
    expect(openai.data[0]).toHaveProperty("owned_by");
    const ollamaShape = await catalogue("?format=ollama");
    expect(ollamaShape.models.find((m: { name: string }) => m.name === "llama3.2:latest").digest).toBe(DIGEST);
    const lm = await catalogue("?format=lmstudio");
    expect(lm.data.find((m: { id: string }) => m.id === "qwen/qwen3-4b").state).toBe("loaded");
    const bad = await fetch(`${server.url}/olla/models?format=xml`);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toContain("openai");
  });

  test("GET /olla/models/{id} finds a model by id or any alias, and 404s as JSON otherwise", async () => {
    const byAlias = await (await fetch(`${server.url}/olla/models/llama3.2:3b`)).json();
    expect(byAlias.id).toBe("llama3.2:latest");
    const slashed = await (await fetch(`${server.url}/olla/models/qwen/qwen3-4b`)).json();
    expect(slashed.olla.backend_types).toEqual(["lm-studio"]);
    const missing = await fetch(`${server.url}/olla/models/nope`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe("model_not_found");
  });
});

describe("Open WebUI, OpenAI connection with base URL /olla/proxy/v1", () => {
  const base = () => `${server.url}/olla/proxy/v1`;
  const headers = {
    Authorization: "Bearer sk-owui",
    Origin: "http://localhost:3000",
    "Content-Type": "application/json",
  };

  test("verify and list: GET {base}/models", async () => {
    const res = await fetch(`${base()}/models`, { headers });
    expect(res.status).toBe(200);
    expect((await res.json()).data.length).toBe(6);
  });

  test("chat streamed, then a background title task not streamed, on models of two types", async () => {
    const chat = await fetch(`${base()}/chat/completions`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        model: "llama3.2",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    expect(chat.headers.get("content-type")).toContain("text/event-stream");
    expect(await chat.text()).toContain("data: [DONE]");
    const title = await fetch(`${base()}/chat/completions`, {
      method: "POST",
      headers,
      body: JSON.stringify({ model: "smollm2", stream: false, messages: [{ role: "user", content: "title" }] }),
    });
    expect(title.status).toBe(200);
    expect((await title.json()).choices[0].message.content).toBeString();
    const seen = dmr.requests.findLast((r) => r.method === "POST")!;
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers.origin).toBeUndefined();
  });
});

describe("catalogue input", () => {
  test("a malformed percent-encoded id is a 400, not a crash", async () => {
    const res = await fetch(`${server.url}/olla/models/%E0%A4%A`);
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe("invalid_request");
  });
});
