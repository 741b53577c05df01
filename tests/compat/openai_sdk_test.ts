/**
 * The official `openai` npm SDK against Tureen in front of the DMR emulator: models, chat
 * (plain and streamed with the usage chunk), legacy completions, embeddings, and the
 * proxy's own errors mapped to the SDK's exception classes, Retry-After included.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI, { APIError, NotFoundError } from "openai";
import {
  CHAT_MODEL,
  type CompatStack,
  EMBEDDING_DIMENSIONS,
  EMBEDDING_MODEL,
  expectCompletionTokens,
  expectText,
  lastBody,
  rejection,
  SETUP_TIMEOUT_MS,
  startStack,
} from "./_setup.ts";

let stack: CompatStack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startStack();
  client = new OpenAI({ baseURL: stack.baseURL, apiKey: "not-needed", maxRetries: 0 });
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await stack?.stop();
});

describe("openai SDK: success paths", () => {
  test("models.list() returns the DMR models in short form", async () => {
    const page = await client.models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toContain(CHAT_MODEL);
    expect(ids).toContain(EMBEDDING_MODEL);
    expect(page.data.every((m) => m.object === "model")).toBe(true);
    // The SDK's async iterator walks the same (single) page.
    const iterated: string[] = [];
    for await (const model of client.models.list()) iterated.push(model.id);
    expect(iterated).toEqual(ids);
  });

  test("chat.completions.create returns the message and usage", async () => {
    const completion = await client.chat.completions.create({
      model: CHAT_MODEL,
      messages: [{ role: "user", content: "What is Docker Model Runner?" }],
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0]!.message.role).toBe("assistant");
    expectText(completion.choices[0]!.message.content);
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expectCompletionTokens(completion.usage!.completion_tokens);
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(0);
  });

  test("chat.completions.create with stream: true and include_usage yields deltas, then the usage chunk", async () => {
    const stream = await client.chat.completions.create({
      model: CHAT_MODEL,
      messages: [{ role: "user", content: "Say hello" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(lastBody(stack.dmr, "/chat/completions").stream_options).toEqual({ include_usage: true });

    const content = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expectText(content);
    expect(chunks.some((c) => c.choices[0]?.finish_reason === "stop")).toBe(true);
    // Exactly one usage chunk, with choices: [], and it is the last one.
    const withUsage = chunks.filter((c) => c.usage);
    expect(withUsage).toHaveLength(1);
    expect(withUsage[0]).toBe(chunks.at(-1)!);
    expect(withUsage[0]!.choices).toEqual([]);
    expectCompletionTokens(withUsage[0]!.usage!.completion_tokens);
    expect(withUsage[0]!.usage!.total_tokens).toBe(withUsage[0]!.usage!.prompt_tokens + withUsage[0]!.usage!.completion_tokens);
  });

  test("the SDK's stream helper (chat.completions.stream) assembles the final message", async () => {
    const runner = client.chat.completions.stream({
      model: CHAT_MODEL,
      messages: [{ role: "user", content: "Say hello" }],
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    runner.on("content", (delta) => deltas.push(delta));
    const final = await runner.finalChatCompletion();
    expectText(deltas.join(""));
    // A real model may end at once: no delta, and the SDK leaves the content null.
    expect(final.choices[0]!.message.content ?? "").toBe(deltas.join(""));
    expectCompletionTokens(final.usage?.completion_tokens);
  });

  test("completions.create (legacy text completion), plain and streamed", async () => {
    const completion = await client.completions.create({ model: CHAT_MODEL, prompt: "Docker Model Runner is", max_tokens: 100 });
    expect(completion.object).toBe("text_completion");
    expectText(completion.choices[0]!.text);
    expectCompletionTokens(completion.usage!.completion_tokens);

    const stream = await client.completions.create({
      model: CHAT_MODEL,
      prompt: "Docker Model Runner is",
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.Completions.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expectText(text);
    expectCompletionTokens(usage?.completion_tokens);
  });

  // openai-node asks for encoding_format "base64" unless told otherwise and decodes the answer as
  // base64 (resources/embeddings.mjs). llama.cpp honours it, but the DMR emulator always answers
  // float arrays, so these tests ask for floats explicitly; the default is checked on the wire below.
  test("embeddings.create with a string input", async () => {
    const result = await client.embeddings.create({
      model: EMBEDDING_MODEL,
      input: "Docker Model Runner provides local LLM inference",
      encoding_format: "float",
    });
    expect(result.object).toBe("list");
    expect(result.data).toHaveLength(1);
    expect(result.data[0]!.embedding).toHaveLength(EMBEDDING_DIMENSIONS);
    expect(result.data[0]!.embedding.every((x) => typeof x === "number" && Number.isFinite(x))).toBe(true);
    expect(result.usage.prompt_tokens).toBeGreaterThan(0);
  });

  test("embeddings.create with an array input returns one vector per input, in order", async () => {
    const inputs = ["first document", "second document", "third document"];
    const result = await client.embeddings.create({ model: EMBEDDING_MODEL, input: inputs, encoding_format: "float" });
    expect(result.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(result.data.every((d) => d.embedding.length === EMBEDDING_DIMENSIONS)).toBe(true);
    // Different inputs give different vectors; the same input gives the same one as a single call.
    expect(result.data[0]!.embedding).not.toEqual(result.data[1]!.embedding);
    const single = await client.embeddings.create({ model: EMBEDDING_MODEL, input: "second document", encoding_format: "float" });
    // Close, not equal: llama.cpp computes a batch and a single input with different float rounding.
    single.data[0]!.embedding.forEach((value, i) => expect(value).toBeCloseTo(result.data[1]!.embedding[i]!, 5));
  });

  test("the SDK's default encoding_format (base64) reaches the backend untouched and decodes to the same vector", async () => {
    const decoded = await client.embeddings.create({ model: EMBEDDING_MODEL, input: "second document" });
    expect(lastBody(stack.dmr, "/embeddings")).toEqual({ model: EMBEDDING_MODEL, input: "second document", encoding_format: "base64" });
    const floats = await client.embeddings.create({ model: EMBEDDING_MODEL, input: "second document", encoding_format: "float" });
    expect(decoded.data[0]!.embedding).toHaveLength(EMBEDDING_DIMENSIONS);
    decoded.data[0]!.embedding.forEach((value, i) => expect(value).toBeCloseTo(floats.data[0]!.embedding[i]!, 5));
  });
});

describe("openai SDK: the proxy's errors map to the SDK's exceptions", () => {
  test("an unknown model is OpenAI.NotFoundError with code model_not_found", async () => {
    const error = await rejection(
      client.chat.completions.create({ model: "ai/not-pulled", messages: [{ role: "user", content: "hi" }] }),
    );
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    const e = error as NotFoundError;
    expect(e.status).toBe(404);
    // The SDK parsed an OpenAI-style JSON body: a text/plain error would leave code and type unset.
    expect(e.code).toBe("model_not_found");
    expect(e.type).toBe("not_found_error");
    expect(e.message).toContain("docker model pull ai/not-pulled");
    expect(e.headers.get("content-type")).toStartWith("application/json");
  });

  test("an unknown model on a streamed request fails the same way, before any chunk", async () => {
    const error = await rejection(
      client.chat.completions.create({ model: "ai/not-pulled", messages: [], stream: true }),
    );
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as APIError).code).toBe("model_not_found");
  });

  test("a request without a model is OpenAI.BadRequestError with code model_required", async () => {
    const error = await rejection(client.chat.completions.create({ model: "", messages: [] } as any));
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const e = error as APIError;
    expect(e.status).toBe(400);
    expect(e.code).toBe("model_required");
    expect(e.type).toBe("invalid_request_error");
  });

  test("an embeddings request without a model is OpenAI.BadRequestError too", async () => {
    const error = await rejection(client.embeddings.create({ input: "x" } as any));
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as APIError).code).toBe("model_required");
  });

  test("a backend (engine) error passes through as its own JSON error", async () => {
    // Empty embedding input: llama.cpp answers 400 {"error":{"code":400,...,"type":"invalid_request_error"}}.
    const error = await rejection(client.embeddings.create({ model: EMBEDDING_MODEL, input: [] }));
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as APIError).type).toBe("invalid_request_error");
    expect((error as APIError).message).toContain('"input" must not be empty');
  });
});

// Last: stops the emulator for the rest of this file.
describe("openai SDK: nothing available", () => {
  test("a model whose endpoint is down is an APIError 503 with Retry-After, and a retry waits for it", async () => {
    await stack.dmr.stop();
    await stack.server.waitForLog((l) => l.msg === "endpoint unhealthy" && l.endpoint === "dmr", 5_000);

    const calls: Array<{ sentAt: number; answeredAt: number; status: number; headers: Headers; retryCount: string | null }> = [];
    const recording = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const sentAt = performance.now();
      const response = await fetch(input, init);
      calls.push({
        sentAt,
        answeredAt: performance.now(),
        status: response.status,
        headers: response.headers,
        retryCount: new Headers(init?.headers).get("x-stainless-retry-count"),
      });
      return response;
    };
    const retrying = new OpenAI({ baseURL: stack.baseURL, apiKey: "not-needed", maxRetries: 1, fetch: recording });

    const error = await rejection(
      retrying.chat.completions.create({ model: CHAT_MODEL, messages: [{ role: "user", content: "hi" }] }),
    );
    expect(error).toBeInstanceOf(APIError);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError); // the SDK's class for any 5xx
    const e = error as APIError;
    expect(e.status).toBe(503);
    expect(e.code).toBe("model_unavailable");
    expect(e.type).toBe("service_unavailable");

    // One try and one retry, both answered 503 with Retry-After in seconds and milliseconds.
    expect(calls.map((c) => c.status)).toEqual([503, 503]);
    expect(calls.map((c) => c.retryCount)).toEqual(["0", "1"]);
    const first = calls[0]!;
    const retryAfterS = Number(first.headers.get("retry-after"));
    const retryAfterMs = Number(first.headers.get("retry-after-ms"));
    expect(retryAfterS).toBeGreaterThanOrEqual(1);
    expect(retryAfterMs).toBe(retryAfterS * 1000);
    // openai-node sleeps exactly retry-after-ms before retrying (client.mjs retryRequest); without
    // the header it would back off 0.375-0.5 s (calculateDefaultRetryTimeoutMillis), so >= 900 ms
    // shows the proxy's header was honoured. 50 ms of slack for timer granularity.
    const waited = calls[1]!.sentAt - first.answeredAt;
    expect(waited).toBeGreaterThanOrEqual(Math.max(900, retryAfterMs - 50));
    expect(waited).toBeLessThan(retryAfterMs + 1000);
  }, 20_000);

  test("models.list() still answers (an empty list) while no endpoint is healthy", async () => {
    const page = await client.models.list();
    expect(page.data).toEqual([]);
  });
});
