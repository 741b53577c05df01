/**
 * The Vercel AI SDK (`ai` + `@ai-sdk/openai-compatible`) against Tureen in front of the DMR
 * emulator: generateText, streamText with usage, embed, embedMany, and error mapping.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { APICallError, embed, embedMany, generateText, type LanguageModelUsage, streamText } from "ai";
import {
  CHAT_MODEL,
  type CompatStack,
  EMBEDDING_DIMENSIONS,
  EMBEDDING_MODEL,
  expectCompletionTokens,
  expectDeltas,
  expectText,
  lastBody,
  REAL_BACKEND,
  SETUP_TIMEOUT_MS,
  startStack,
} from "./_setup.ts";

let stack: CompatStack;
let tureen: ReturnType<typeof createOpenAICompatible>;

beforeAll(async () => {
  stack = await startStack();
  // includeUsage makes the provider send stream_options: {include_usage: true} on streamed calls.
  tureen = createOpenAICompatible({ baseURL: stack.baseURL, name: "tureen", apiKey: "not-needed", includeUsage: true });
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await stack?.stop();
});

function expectCountedUsage(usage: LanguageModelUsage): void {
  expect(typeof usage.inputTokens).toBe("number");
  expect(typeof usage.outputTokens).toBe("number");
  expect(typeof usage.totalTokens).toBe("number");
  expect(usage.inputTokens!).toBeGreaterThan(0);
  expectCompletionTokens(usage.outputTokens);
  expect(usage.totalTokens).toBe(usage.inputTokens! + usage.outputTokens!);
}

describe("Vercel AI SDK: text", () => {
  test("generateText returns the text, finish reason and usage", async () => {
    const result = await generateText({
      model: tureen(CHAT_MODEL),
      prompt: "What is Docker Model Runner?",
      maxRetries: 0,
    });
    expectText(result.text);
    expect(result.finishReason).toBe("stop");
    expectCountedUsage(result.usage);
    // Real DMR answers with llama-server's model path (its bundle's model.gguf); the emulator echoes the name.
    if (REAL_BACKEND) expect(result.response.modelId).toEndWith("model.gguf");
    else expect(result.response.modelId).toBe(CHAT_MODEL);
  });

  test("streamText streams the deltas and reports usage from the include_usage chunk", async () => {
    const errors: unknown[] = [];
    const result = streamText({
      model: tureen(CHAT_MODEL),
      messages: [{ role: "user", content: "Say hello" }],
      maxRetries: 0,
      onError: ({ error }) => void errors.push(error),
    });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(errors).toEqual([]);
    const text = await result.text;
    expectDeltas(deltas, text);
    expectText(text);
    expect(await result.finishReason).toBe("stop");
    // Without the usage chunk (choices: []) these would be undefined.
    expectCountedUsage(await result.usage);
    expectCountedUsage(await result.totalUsage);
    const sent = lastBody(stack.dmr, "/chat/completions");
    expect(sent.stream).toBe(true);
    expect(sent.stream_options).toEqual({ include_usage: true });
  });

  test("the legacy completion model (/completions) works through the proxy", async () => {
    const result = await generateText({ model: tureen.completionModel(CHAT_MODEL), prompt: "Docker Model Runner is", maxRetries: 0 });
    expectText(result.text);
    expectCountedUsage(result.usage);
    // The last POST: a health probe (GET) may land after it.
    expect(stack.dmr.requests.findLast((r) => r.method === "POST")!.path).toBe("/engines/v1/completions");
  });
});

describe("Vercel AI SDK: embeddings", () => {
  test("embed returns one vector of the emulator's dimensions", async () => {
    const { embedding, usage } = await embed({
      model: tureen.embeddingModel(EMBEDDING_MODEL),
      value: "Docker Model Runner provides local LLM inference",
      maxRetries: 0,
    });
    expect(embedding).toHaveLength(EMBEDDING_DIMENSIONS);
    expect(embedding.every((x) => typeof x === "number" && Number.isFinite(x))).toBe(true);
    expect(usage.tokens).toBeGreaterThan(0);
  });

  test("embedMany returns one vector per value, in order", async () => {
    const values = ["alpha", "beta", "gamma"];
    const { embeddings } = await embedMany({ model: tureen.embeddingModel(EMBEDDING_MODEL), values, maxRetries: 0 });
    expect(embeddings).toHaveLength(values.length);
    expect(embeddings.every((e) => e.length === EMBEDDING_DIMENSIONS)).toBe(true);
    const { embedding: beta } = await embed({ model: tureen.embeddingModel(EMBEDDING_MODEL), value: "beta", maxRetries: 0 });
    expect(embeddings[1]).toEqual(beta);
    expect(embeddings[0]).not.toEqual(beta);
    expect(lastBody(stack.dmr, "/embeddings").encoding_format).toBe("float");
  });
});

describe("Vercel AI SDK: errors", () => {
  test("an unknown model is an APICallError 404 carrying the proxy's JSON message", async () => {
    let caught: unknown;
    try {
      await generateText({ model: tureen("ai/not-pulled"), prompt: "hi", maxRetries: 0 });
    } catch (error) {
      caught = error;
    }
    expect(APICallError.isInstance(caught)).toBe(true);
    const e = caught as APICallError;
    expect(e.statusCode).toBe(404);
    expect(e.isRetryable).toBe(false);
    // The provider parsed {"error":{message,type,code}}: a text/plain body leaves data undefined.
    expect(e.data).toMatchObject({ error: { code: "model_not_found", type: "not_found_error" } });
    expect(e.message).toContain("docker model pull ai/not-pulled");
  });

  test("a streamed call to an unknown model reports the same error through onError", async () => {
    const errors: unknown[] = [];
    const result = streamText({
      model: tureen("ai/not-pulled"),
      prompt: "hi",
      maxRetries: 0,
      onError: ({ error }) => void errors.push(error),
    });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(APICallError.isInstance(errors[0])).toBe(true);
    expect((errors[0] as APICallError).statusCode).toBe(404);
    expect((errors[0] as APICallError).data).toMatchObject({ error: { code: "model_not_found" } });
  });
});
