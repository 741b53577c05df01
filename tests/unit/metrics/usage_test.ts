import { describe, expect, test } from "bun:test";
import { isStreamContentType, UsageTap } from "../../../src/metrics/usage.ts";

const encode = (text: string) => new TextEncoder().encode(text);

/** Feed `chunks` through a tap whose clock ticks once per chunk. */
function tap(chunks: string[], streamed = true): UsageTap {
  let now = 0;
  const t = new UsageTap(streamed, () => now);
  for (const chunk of chunks) {
    now++;
    t.push(encode(chunk));
  }
  return t;
}

const sse = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;

describe("UsageTap", () => {
  test("OpenAI JSON usage", () => {
    const body = JSON.stringify({ choices: [{ message: { content: "hi" } }], usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 } });
    expect(tap([body], false).read()).toEqual({ input: 12, output: 5, outputPerSecond: null });
    expect(tap([body], false).firstTokenAt).toBeNull();
  });

  test("final SSE usage chunk, after chunks with usage null; first token is the first non-empty content", () => {
    const t = tap([
      sse({ choices: [{ delta: { role: "assistant", content: "" } }], usage: null }),
      sse({ choices: [{ delta: { content: "Hel" } }], usage: null }),
      sse({ choices: [{ delta: { content: "lo" } }], usage: null }),
      sse({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } }),
      "data: [DONE]\n\n",
    ]);
    expect(t.read()).toEqual({ input: 9, output: 2, outputPerSecond: null });
    expect(t.firstTokenAt).toBe(2);
  });

  test("llama-server timings when there is no usage object", () => {
    const t = tap([
      sse({ choices: [{ delta: { content: "a" } }] }),
      sse({ choices: [{ delta: {}, finish_reason: "stop" }], timings: { prompt_n: 7, predicted_n: 3, predicted_per_second: 42.5 } }),
    ]);
    expect(t.read()).toEqual({ input: 7, output: 3, outputPerSecond: 42.5 });
  });

  test("usage wins over timings when both are there", () => {
    const body = JSON.stringify({ usage: { prompt_tokens: 20, completion_tokens: 3 }, timings: { prompt_n: 4, predicted_n: 3, predicted_per_second: 10 } });
    expect(tap([body], false).read()).toEqual({ input: 20, output: 3, outputPerSecond: 10 });
  });

  test("Ollama NDJSON: eval counts and speed from the final line", () => {
    const t = tap([
      JSON.stringify({ model: "llama3", message: { role: "assistant", content: "Hi" }, done: false }) + "\n",
      JSON.stringify({ model: "llama3", message: { role: "assistant", content: "" }, done: true, prompt_eval_count: 26, eval_count: 298, eval_duration: 4_000_000_000 }) + "\n",
    ]);
    expect(t.read()).toEqual({ input: 26, output: 298, outputPerSecond: 74.5 });
    expect(t.firstTokenAt).toBe(1);
  });

  test("Anthropic stream: input from message_start, output from the last message_delta, even past the tail", () => {
    const filler = Array.from({ length: 400 }, () => sse({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "word " } }));
    const t = tap([
      sse({ type: "message_start", message: { usage: { input_tokens: 25, cache_creation_input_tokens: 99, output_tokens: 1 } } }),
      sse({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
      ...filler,
      sse({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 401 } }),
      sse({ type: "message_stop" }),
    ]);
    expect(filler.join("").length).toBeGreaterThan(16 * 1024);
    expect(t.read()).toEqual({ input: 25, output: 401, outputPerSecond: null });
    expect(t.firstTokenAt).toBe(3);
  });

  test("OpenAI Responses: usage inside response.completed", () => {
    const t = tap([
      "event: response.created\n" + sse({ type: "response.created", response: { usage: null, text: { format: { type: "text" } } } }),
      "event: response.output_text.delta\n" + sse({ type: "response.output_text.delta", delta: "Hi" }),
      "event: response.completed\n" + sse({ type: "response.completed", response: { usage: { input_tokens: 11, output_tokens: 6, output_tokens_details: { reasoning_tokens: 0 } } } }),
    ]);
    expect(t.read()).toEqual({ input: 11, output: 6, outputPerSecond: null });
    expect(t.firstTokenAt).toBe(2);
  });

  test("a field name inside generated text is not mistaken for usage", () => {
    const t = tap([sse({ choices: [{ delta: { content: '"completion_tokens": 999, "prompt_tokens": 5}' } }] })]);
    expect(t.read()).toEqual({ input: null, output: null, outputPerSecond: null });
  });

  test("usage split across chunk boundaries is still read; a body with none reads as nulls", () => {
    const body = JSON.stringify({ usage: { prompt_tokens: 123, completion_tokens: 45 } });
    expect(tap(body.split(""), false).read()).toMatchObject({ input: 123, output: 45 });
    expect(tap(["not json at all"], false).read()).toEqual({ input: null, output: null, outputPerSecond: null });
  });

  test("a single chunk larger than the tail keeps its end", () => {
    const body = JSON.stringify({ data: "x".repeat(100_000), usage: { prompt_tokens: 3, completion_tokens: 4 } });
    expect(tap([body], false).read()).toMatchObject({ input: 3, output: 4 });
  });

  test("embeddings usage near the head of a large body", () => {
    const body = JSON.stringify({ object: "list", usage: { prompt_tokens: 8, total_tokens: 8 }, data: [{ embedding: Array(8000).fill(0.123456) }] });
    expect(tap([body.slice(0, 1000), body.slice(1000)], false).read()).toEqual({ input: 8, output: null, outputPerSecond: null });
  });

  test("stream content types", () => {
    expect(isStreamContentType("text/event-stream; charset=utf-8")).toBe(true);
    expect(isStreamContentType("application/x-ndjson")).toBe(true);
    expect(isStreamContentType("application/json")).toBe(false);
    expect(isStreamContentType(null)).toBe(false);
  });

  test("any chunking, short or long body: the head's and the tail's fields are read, the middle's are not", () => {
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    for (const fillerLength of [100, 3_000, 12_000, 16_300, 17_000, 40_000, 100_000]) {
      const middle = fillerLength > 30_000 ? '"prompt_tokens":999,' : "";
      const half = Math.floor(fillerLength / 2);
      const body = '{"message":{"usage":{"input_tokens":25}},"filler":"' + "x".repeat(half) + '",' + middle +
        '"more":"' + "y".repeat(fillerLength - half) + '","usage":{"output_tokens":401}}';
      for (const pattern of ["random", "one", "huge-first"]) {
        const bytes = encode(body);
        const t = new UsageTap(false, () => 0);
        let at = 0;
        while (at < bytes.byteLength) {
          const size = pattern === "one" ? bytes.byteLength : pattern === "huge-first" && at === 0 ? 20_000 : 1 + random(5_000);
          t.push(bytes.subarray(at, at + size));
          at += size;
        }
        expect([fillerLength, pattern, t.read()]).toEqual([fillerLength, pattern, { input: 25, output: 401, outputPerSecond: null }]);
      }
    }
  });
});

