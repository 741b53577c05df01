/**
 * The newer APIs across a fleet of types this project emulates but DMR is not among: two
 * llama-servers (Anthropic native with a token count, stateful Responses, rerank) and an
 * SGLang (chat completions only for Anthropic). The official `@anthropic-ai/sdk` through
 * /olla/anthropic passes through to llama-server and is translated for SGLang; the `openai`
 * SDK's Responses conversations through /olla/proxy/v1 stay on the llama-server holding them;
 * rerank reaches each type's own path.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic, { APIError, BadRequestError, NotFoundError } from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { type OpenAiServer, startOpenAiServer } from "../emulators/openai_server.ts";
import { type ServerUnderTest, startServer, untilAllHealthy } from "../_server.ts";
import { rejection, SETUP_TIMEOUT_MS } from "./_setup.ts";

const GEMMA = "gemma-3-1b.gguf";
const QWEN = "qwen/qwen3-4b";
const RERANKER = "bge-reranker-v2";
let llama1: OpenAiServer;
let llama2: OpenAiServer;
let sglang: OpenAiServer;
let server: ServerUnderTest;
let anthropic: Anthropic;
let openai: OpenAI;

beforeAll(async () => {
  llama1 = await startOpenAiServer({ type: "llamacpp", models: [GEMMA, RERANKER], name: "llama1" });
  llama2 = await startOpenAiServer({ type: "llamacpp", models: [GEMMA, RERANKER], name: "llama2" });
  sglang = await startOpenAiServer({ type: "sglang", models: [QWEN], name: "sglang" });
  const probe = { check_interval: "1s", check_timeout: "1s" };
  server = await startServer({
    server: { host: "127.0.0.1", port: 0 },
    logging: { level: "info", format: "json" },
    proxy: { load_balancer: "round-robin" },
    model_aliases: { fast: [QWEN] },
    anthropic: { model_map: { "claude-3-5-haiku-latest": GEMMA, "claude-*haiku*": GEMMA, "claude-sonnet-*": QWEN } },
    endpoints: [
      { url: llama1.url, name: "llama1", type: "llamacpp", ...probe },
      { url: llama2.url, name: "llama2", type: "llamacpp", ...probe },
      { url: sglang.url, name: "sglang", type: "sglang", ...probe },
    ],
  });
  await untilAllHealthy(server);
  anthropic = new Anthropic({ baseURL: `${server.url}/olla/anthropic`, apiKey: "not-needed", maxRetries: 0 });
  openai = new OpenAI({ baseURL: `${server.url}/olla/proxy/v1`, apiKey: "not-needed", maxRetries: 0 });
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await server?.stop();
  for (const backend of [llama1, llama2, sglang]) await backend?.stop();
});

const lastPost = (backend: OpenAiServer) => backend.requests.findLast((r) => r.method === "POST");
/** The llama-server a response names in X-Olla-Endpoint. */
const llamaOf = (response: Response) => (response.headers.get("x-olla-endpoint") === "llama1" ? llama1 : llama2);
const posts = (backend: OpenAiServer) => backend.requests.filter((r) => r.method === "POST").length;
const postsTo = (backend: OpenAiServer, path: string) => backend.requests.filter((r) => r.method === "POST" && r.path === path).length;
const post = (path: string, body: unknown) =>
  fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("@anthropic-ai/sdk through /olla/anthropic across types", () => {
  test("passthrough: llama-server gets the request at its /v1/messages with the mapped model", async () => {
    const before = postsTo(llama1, "/v1/messages") + postsTo(llama2, "/v1/messages");
    const { data, response } = await anthropic.messages
      .create({ model: "claude-haiku-4-5", max_tokens: 32, messages: [{ role: "user", content: "Hi" }] })
      .withResponse();
    expect(response.headers.get("x-olla-mode")).toBe("passthrough");
    expect(response.headers.get("x-olla-backend-type")).toBe("llamacpp");
    expect(data.content).toMatchObject([{ type: "text", text: expect.stringMatching(/^Hello from llama[12]$/) }]);
    expect(postsTo(llama1, "/v1/messages") + postsTo(llama2, "/v1/messages")).toBe(before + 1);
    expect(JSON.parse(lastPost(llamaOf(response))!.body).model).toBe(GEMMA);
  });

  test("passthrough streams the backend's events", async () => {
    const stream = anthropic.messages.stream({ model: "claude-haiku-4-5", max_tokens: 32, messages: [{ role: "user", content: "Hi" }] });
    const deltas: string[] = [];
    stream.on("text", (text) => deltas.push(text));
    const final = await stream.finalMessage();
    expect(deltas.length).toBe(2);
    expect(deltas.join("")).toMatch(/^Hello from llama[12]$/);
    expect(final.stop_reason).toBe("end_turn");
  });

  test("translation: SGLang gets chat completions at its own path, the answer comes back as a message", async () => {
    const { data, response } = await anthropic.messages
      .create({ model: "claude-sonnet-4-5", max_tokens: 32, messages: [{ role: "user", content: "Hi" }] })
      .withResponse();
    expect(response.headers.get("x-olla-mode")).toBe("translation");
    expect(response.headers.get("x-olla-backend-type")).toBe("sglang");
    expect(response.headers.get("x-olla-endpoint")).toBe("sglang");
    expect(data.model).toBe("claude-sonnet-4-5");
    expect(data.content).toMatchObject([{ type: "text", text: "Hello from sglang" }]);
    expect(lastPost(sglang)!.path).toBe("/v1/chat/completions");
    expect(postsTo(sglang, "/v1/messages")).toBe(0);
  });

  test("translation streams Anthropic events from SGLang's chat stream", async () => {
    const stream = anthropic.messages.stream({ model: "claude-sonnet-4-5", max_tokens: 32, messages: [{ role: "user", content: "Hi" }] });
    const deltas: string[] = [];
    stream.on("text", (text) => deltas.push(text));
    const final = await stream.finalMessage();
    expect(deltas.join("")).toBe("Hello from sglang");
    expect(final.content).toMatchObject([{ type: "text", text: "Hello from sglang" }]);
    expect(JSON.parse(lastPost(sglang)!.body).stream_options).toEqual({ include_usage: true });
  });

  test("a model_aliases name reaches the backend under the name it serves", async () => {
    const data = await anthropic.messages.create({ model: "fast", max_tokens: 16, messages: [{ role: "user", content: "Hi" }] });
    expect(data.content).toMatchObject([{ type: "text", text: "Hello from sglang" }]);
    expect(JSON.parse(lastPost(sglang)!.body).model).toBe(QWEN);
  });

  test("countTokens: llama-server's own count, an estimate for SGLang", async () => {
    const messages = [{ role: "user" as const, content: "one two three four" }];
    const native = await anthropic.messages.countTokens({ model: "claude-haiku-4-5", messages }).withResponse();
    expect(native.data.input_tokens).toBeGreaterThan(0);
    expect(native.response.headers.get("x-olla-token-count")).toBeNull();
    expect(lastPost(llamaOf(native.response))!.path).toBe("/v1/messages/count_tokens");
    // POSTs only: a health probe (GET) may land at any time.
    const sentToSglang = posts(sglang);
    const estimated = await anthropic.messages.countTokens({ model: "claude-sonnet-4-5", messages }).withResponse();
    expect(estimated.data.input_tokens).toBeGreaterThan(0);
    expect(estimated.response.headers.get("x-olla-token-count")).toBe("estimate");
    expect(posts(sglang)).toBe(sentToSglang);
  });

  test("models.list covers every type, with the exact model_map aliases", async () => {
    const ids: string[] = [];
    for await (const model of anthropic.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining([GEMMA, QWEN, RERANKER, "claude-3-5-haiku-latest"]));
    expect(new Set(ids).size).toBe(ids.length);
  });

  test("a model no type serves: a NotFoundError in Anthropic's shape naming the Anthropic model list", async () => {
    const error = await rejection(
      anthropic.messages.create({ model: "no-such-model", max_tokens: 16, messages: [{ role: "user", content: "Hi" }] }),
    );
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as APIError).error).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    expect((error as Error).message).toContain("/olla/anthropic/v1/models");
  });

  test("a translation backend's error comes back in Anthropic's shape with the backend's wording", async () => {
    sglang.failWith = 400;
    try {
      const error = await rejection(
        anthropic.messages.create({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: "Hi" }] }),
      );
      expect(error).toBeInstanceOf(BadRequestError);
      expect((error as APIError).error).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
      expect((error as Error).message).toContain("overloaded");
    } finally {
      sglang.failWith = null;
    }
  });

  test("/olla/dmr/anthropic stays with Docker Model Runner: no llama-server is asked", async () => {
    const before = posts(llama1) + posts(llama2);
    const response = await post("/olla/dmr/anthropic/v1/messages", { model: GEMMA, max_tokens: 8, messages: [{ role: "user", content: "Hi" }] });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect((await response.json()).type).toBe("error");
    expect(posts(llama1) + posts(llama2)).toBe(before);
  });
});

/** Which llama-server holds a response id. */
const holderOf = (id: string) => (llama1.responses.has(id) ? "llama1" : llama2.responses.has(id) ? "llama2" : null);

describe("openai SDK: Responses through /olla/proxy/v1 across two llama-servers", () => {
  test("every follow-up with previous_response_id lands on the instance holding the conversation", async () => {
    const homes = new Set<string>();
    for (let conversation = 0; conversation < 2; conversation++) {
      let response = await openai.responses.create({ model: GEMMA, input: "Hello" });
      const home = holderOf(response.id)!;
      expect(home).not.toBeNull();
      homes.add(home);
      expect(response.output_text).toBe(`Hello from ${home} (turn 1)`);
      for (let turn = 2; turn <= 4; turn++) {
        response = await openai.responses.create({ model: GEMMA, input: "And then?", previous_response_id: response.id });
        expect(holderOf(response.id)).toBe(home);
        expect(response.output_text).toBe(`Hello from ${home} (turn ${turn})`);
      }
    }
    // Round-robin spread the two conversations over both instances: affinity, not luck, kept them home.
    expect(homes.size).toBe(2);
  });

  test("a streamed follow-up goes home, and its id is remembered from the stream", async () => {
    const opening = await openai.responses.create({ model: GEMMA, input: "Hello" });
    const stream = await openai.responses.create({ model: GEMMA, input: "More", previous_response_id: opening.id, stream: true });
    let completed: OpenAI.Responses.Response | null = null;
    for await (const event of stream) if (event.type === "response.completed") completed = event.response;
    expect(holderOf(completed!.id)).toBe(holderOf(opening.id));
    const next = await openai.responses.create({ model: GEMMA, input: "Again", previous_response_id: completed!.id });
    expect(next.output_text).toEndWith("(turn 3)");
  });

  test("retrieve, inputItems.list and delete reach the holder; /olla/llamacpp/v1/responses shares the store", async () => {
    const created = await openai.responses.create({ model: GEMMA, input: "Remember me" });
    for (let i = 0; i < 3; i++) expect((await openai.responses.retrieve(created.id)).id).toBe(created.id);
    expect((await openai.responses.inputItems.list(created.id)).data.length).toBe(1);
    const typed = await post("/olla/llamacpp/v1/responses", { model: GEMMA, input: "Next", previous_response_id: created.id });
    expect(typed.status).toBe(200);
    expect(holderOf((await typed.json()).id)).toBe(holderOf(created.id));
    // Another type's route never reaches a llama-server: the id is unknown there.
    const elsewhere = await fetch(`${server.url}/olla/sglang/v1/responses/${created.id}`);
    expect(elsewhere.status).toBe(404);
    expect((await elsewhere.json()).error.code).toBe("response_not_found");
    await openai.responses.delete(created.id);
    expect(holderOf(created.id)).toBeNull();
    const gone = await fetch(`${server.url}/olla/proxy/v1/responses/${created.id}`);
    expect(gone.status).toBe(404);
    expect((await gone.json()).error.message).toContain("does not know response");
  });
});

describe("rerank by model on each type's own path", () => {
  const query = { model: RERANKER, query: "docker model runner", documents: ["a cat", "docker runs models", "model runner docker"], top_n: 2 };

  for (const path of ["/olla/llamacpp/v1/rerank", "/olla/proxy/v1/rerank"]) {
    test(`${path} reaches a llama-server's /v1/rerank`, async () => {
      const response = await post(path, query);
      expect(response.status).toBe(200);
      expect(response.headers.get("x-olla-backend-type")).toBe("llamacpp");
      const body = await response.json();
      expect(body.results.map((r: { index: number }) => r.index)).toEqual([2, 1]);
      expect(lastPost(llamaOf(response))!.path).toBe("/v1/rerank");
    });
  }

  test("/olla/proxy/v1/rerank reaches SGLang for its model, and 404s a model no type serves", async () => {
    const response = await post("/olla/proxy/v1/rerank", { ...query, model: QWEN });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-olla-endpoint")).toBe("sglang");
    expect(lastPost(sglang)!.path).toBe("/v1/rerank");
    const missing = await post("/olla/proxy/v1/rerank", { ...query, model: "no-such-reranker" });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe("model_not_found");
  });
});
