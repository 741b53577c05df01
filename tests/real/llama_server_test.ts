/**
 * A bare llama.cpp llama-server, as DMR runs it behind its scheduler and as a `llamacpp` endpoint
 * would expose it directly: the wire facts the DMR emulator's engine layer
 * (tests/emulators/_dmr_engine.ts) and a llama.cpp backend profile rely on.
 */
import { afterAll, beforeAll, describe, expect } from "bun:test";
import { type Backend, MANIFEST, REAL_TIMEOUT_MS, realTest, startLlamaServer, stopAll } from "./_backends.ts";
import { REAL_ENABLED } from "./_enabled.ts";

let chat: Backend;
let embed: Backend;

beforeAll(async () => {
  if (!REAL_ENABLED) return;
  [chat, embed] = await Promise.all([
    startLlamaServer(MANIFEST!.models.tinyEos),
    startLlamaServer(MANIFEST!.models.tiny, ["--embeddings", "--pooling", "mean"]),
  ]);
}, REAL_TIMEOUT_MS);

afterAll(stopAll);

const post = (server: Backend, path: string, body: string | object) =>
  server.fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

const MESSAGES = [{ role: "user", content: "hi" }];

describe.skipIf(!REAL_ENABLED)("bare llama-server", () => {
  realTest("GET /health is 200 and /v1/models lists the one model it serves", async () => {
    expect((await chat.fetch("/health")).status).toBe(200);
    const models = await (await chat.fetch("/v1/models")).json();
    expect(models.object).toBe("list");
    expect(models.data).toHaveLength(1);
    expect(models.data[0].id).toEndWith("tiny-eos.gguf");
  });

  realTest("a chat completion has the OpenAI shape, with usage and timings", async () => {
    const res = await post(chat, "/v1/chat/completions", { model: "anything", messages: MESSAGES, max_tokens: 8 });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    const body = await res.json();
    expect(body.object).toBe("chat.completion");
    expect(body.choices[0].message.role).toBe("assistant");
    expect(["stop", "length"]).toContain(body.choices[0].finish_reason);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect(body.timings).toBeObject();
  });

  realTest("a stream with include_usage ends with a usage chunk (choices: []) and data: [DONE]", async () => {
    const res = await post(chat, "/v1/chat/completions", {
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.headers.get("content-type")).toStartWith("text/event-stream");
    const lines = (await res.text()).split("\n").filter((l) => l.startsWith("data: "));
    expect(lines.at(-1)).toBe("data: [DONE]");
    const last = JSON.parse(lines.at(-2)!.slice(6));
    expect(last.choices).toEqual([]);
    expect(last.usage.completion_tokens).toBeGreaterThanOrEqual(0);
  });

  realTest("malformed JSON is a 500 with an OpenAI-style error body, and the connection is closed", async () => {
    const res = await post(chat, "/v1/chat/completions", "{not json");
    expect(res.status).toBe(500);
    expect(res.headers.get("connection")).toBe("close");
    const body = await res.json();
    expect(body.error.type).toBe("server_error");
  });

  realTest("embeddings with mean pooling: one n_embd vector per input, and an empty input is a 400", async () => {
    const res = await post(embed, "/v1/embeddings", { input: ["a", "b"] });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.data.map((d: { index: number }) => d.index)).toEqual([0, 1]);
    expect(body.data[0].embedding).toHaveLength(128);
    const empty = await post(embed, "/v1/embeddings", { input: [] });
    expect(empty.status).toBe(400);
    expect((await empty.json()).error.type).toBe("invalid_request_error");
  });
});
