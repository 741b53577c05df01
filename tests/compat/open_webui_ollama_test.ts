/**
 * Open WebUI's "Ollama API" connection with base URL http://host:40114/olla/ollama: verify
 * (`/api/version`), model list (`/api/tags`, then `/api/ps` for the loaded badge), chat on
 * `/api/chat` streamed as NDJSON (names get `:latest` appended), background tasks with
 * `stream:false`, `/api/show` and `/api/embed`; its model manager's pull is refused. Sent with
 * a public Host, which Ollama itself would answer 403: the proxy must not pass it on.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type OllamaEmulator, startOllama } from "../emulators/ollama.ts";
import { type ServerUnderTest, startServer } from "../_server.ts";
import { SETUP_TIMEOUT_MS } from "./_setup.ts";

let ollama: OllamaEmulator;
let server: ServerUnderTest;
let base: string;
/** Set by a test to hold a streamed answer after its first line. */
let held: { promise: Promise<void>; release: () => void } | null = null;

beforeAll(async () => {
  ollama = await startOllama({
    models: [
      {
        name: "llama3.2:latest",
        digest: "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
        family: "llama",
        parameterSize: "3.2B",
      },
      { name: "nomic-embed-text:latest", family: "nomic-bert", parameterSize: "137M" },
    ],
    loaded: ["llama3.2"],
    hold: () => held?.promise ?? Promise.resolve(),
  });
  server = await startServer({
    server: { host: "127.0.0.1", port: 0 },
    logging: { level: "info", format: "json" },
    endpoints: [{ url: ollama.url, name: "laptop", type: "ollama", check_interval: "250ms", check_timeout: "250ms" }],
  });
  await server.waitForLog((l) => l.msg === "models discovered" && l.endpoint === "laptop");
  base = `${server.url}/olla/ollama`;
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await server?.stop();
  await ollama?.stop();
});

const HEADERS = { "content-type": "application/json", host: "chat.example.com", authorization: "Bearer sk-owui" };
const post = (path: string, body: object) =>
  fetch(base + path, { method: "POST", headers: HEADERS, body: JSON.stringify(body) });

describe("Open WebUI, Ollama connection", () => {
  test("verify: GET /api/version answers the backend's JSON", async () => {
    const res = await fetch(`${base}/api/version`, { headers: { host: "chat.example.com" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ version: "0.12.3" });
  });

  test("models: GET /api/tags lists every pulled model in Ollama's shape, digest and details kept", async () => {
    const body = await (await fetch(`${base}/api/tags`)).json();
    expect(body.models.map((m: { name: string }) => m.name)).toEqual(["llama3.2:latest", "nomic-embed-text:latest"]);
    expect(body.models[0]).toMatchObject({
      model: "llama3.2:latest",
      digest: "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
      details: { family: "llama", parameter_size: "3.2B", quantization_level: "Q4_K_M" },
    });
  });

  test("loaded badge: GET /api/ps answers the backend's loaded models with expires_at", async () => {
    const body = await (await fetch(`${base}/api/ps`)).json();
    expect(body.models.map((m: { name: string; expires_at: string }) => [m.name, typeof m.expires_at])).toEqual([[
      "llama3.2:latest",
      "string",
    ]]);
  });

  test("chat: POST /api/chat streams NDJSON line by line, unbuffered, last line done:true", async () => {
    let release!: () => void;
    held = { promise: new Promise<void>((resolve) => (release = resolve)), release: () => release() };
    const res = await post("/api/chat", {
      model: "llama3.2:latest",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    expect(res.headers.get("x-olla-backend-type")).toBe("ollama");
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    // Ollama holds the rest until the first line has reached the client: a buffering proxy never gets here.
    const first = decoder.decode((await reader.read()).value);
    expect(first.split("\n").filter(Boolean)).toHaveLength(1);
    expect(JSON.parse(first)).toMatchObject({ message: { content: "Hello" }, done: false });
    held!.release();
    held = null;
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += decoder.decode(chunk.value);
    const lines = (first + rest).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.message.content).join("")).toBe("Hello from ollama");
    expect(lines.at(-1)).toMatchObject({ done: true, done_reason: "stop" });
  });

  test("the request reaches Ollama with Ollama's own Host, not the client's (Ollama 403s unknown hosts)", () => {
    const seen = ollama.requests.findLast((r) => r.path === "/api/chat")!;
    expect(seen.headers.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(seen.headers["x-forwarded-host"]).toBe("chat.example.com");
    expect(seen.headers.authorization).toBeUndefined();
  });

  test("a name without a tag is the :latest model, and the body reaches Ollama byte for byte", async () => {
    const payload =
      '{"model":"llama3.2","messages":[{"role":"user","content":"title?"}],"stream":false,  "options":{"temperature":0}}';
    const res = await fetch(`${base}/api/chat`, { method: "POST", headers: HEADERS, body: payload });
    expect(res.status).toBe(200);
    expect((await res.json()).message.content).toBe("Hello from ollama");
    expect(ollama.requests.findLast((r) => r.path === "/api/chat")!.body).toBe(payload);
  });

  test("/api/show and /api/embed are forwarded by model", async () => {
    const show = await post("/api/show", { model: "llama3.2" });
    expect(show.status).toBe(200);
    expect((await show.json()).model_info["llama.context_length"]).toBe(131072);
    const embed = await post("/api/embed", { model: "nomic-embed-text", input: "x" });
    expect((await embed.json()).embeddings).toEqual([[0.1, 0.2]]);
  });

  test("a model no Ollama has is a JSON 404 that says how to get it", async () => {
    const res = await post("/api/chat", { model: "mistral", messages: [] });
    expect(res.status).toBe(404);
    const body = await res.json();
    expect(body.error.code).toBe("model_not_found");
    expect(body.error.message).toContain("ollama pull");
  });

  test("the model manager's pull and delete are refused with 501 and never reach Ollama", async () => {
    for (const path of ["/api/pull", "/api/delete", "/api/create", "/api/push", "/api/copy"]) {
      const res = await post(path, { model: "llama3.2" });
      expect(res.status).toBe(501);
    }
    expect(
      ollama.requests.some((r) =>
        ["/api/pull", "/api/delete", "/api/create", "/api/push", "/api/copy"].includes(r.path)
      ),
    ).toBe(false);
  });

  test("the OpenAI side of the same Ollama works too: /olla/ollama/v1/chat/completions streams SSE", async () => {
    const res = await post("/v1/chat/completions", { model: "llama3.2", stream: true, messages: [] });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    expect(await res.text()).toContain("data: [DONE]");
  });
});
