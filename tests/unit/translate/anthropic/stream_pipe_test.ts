import { describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { anthropicEventStream, type Upstream } from "../../../../src/translate/anthropic/stream_pipe.ts";
import { MessageStreamWriter } from "../../../../src/translate/anthropic/stream.ts";
import { ToolNames } from "../../../../src/translate/anthropic/tool_names.ts";
import { FakeClock, tick } from "../../_fake_clock.ts";
import { chunk, parseEvents } from "../_events.ts";

const PING_MS = 15_000;

/** A backend stream fed by hand. */
function backend() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const encoder = new TextEncoder();
  return {
    body,
    send: (text: string) => controller.enqueue(encoder.encode(text)),
    data: (value: unknown) => controller.enqueue(encoder.encode(`data: ${JSON.stringify(value)}\n\n`)),
    close: () => controller.close(),
    fail: (error: Error) => controller.error(error),
  };
}

function start(upstream: Promise<Upstream>, clock = new FakeClock()) {
  const ends: string[] = [];
  const stream = anthropicEventStream({
    writer: new MessageStreamWriter("claude-haiku-4-5", new ToolNames()),
    messageId: "msg_test",
    upstream,
    clock,
    pingIntervalMs: PING_MS,
    onEnd: (end) => ends.push(end),
  });
  const reader = stream.getReader();
  let text = "";
  let done = false;
  const pump = (async () => {
    const decoder = new TextDecoder();
    for (;;) {
      const result = await reader.read();
      if (result.done) break;
      text += decoder.decode(result.value);
    }
    done = true;
  })();
  return { clock, ends, reader, pump, events: () => parseEvents(text), isDone: () => done };
}

describe("anthropicEventStream", () => {
  test("message_start and ping at once, then a ping every interval while the backend is silent (cold load)", async () => {
    let answer!: (u: Upstream) => void;
    const run = start(new Promise((resolve) => (answer = resolve)));
    await tick();
    expect(run.events().map((e) => e.event)).toEqual(["message_start", "ping"]);
    await run.clock.advance(PING_MS - 1);
    expect(run.events()).toHaveLength(2);
    await run.clock.advance(1);
    await run.clock.advance(PING_MS);
    await run.clock.advance(PING_MS);
    expect(run.events().map((e) => e.event)).toEqual(["message_start", "ping", "ping", "ping", "ping"]);
    const up = backend();
    answer({ kind: "stream", body: up.body });
    up.data(chunk({ content: "hi" }, "stop"));
    up.data({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 1 } });
    up.send("data: [DONE]\n\n");
    await run.pump;
    const events = run.events();
    expect(events.slice(5).map((e) => e.event)).toEqual([
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(events.at(-2)!.data.usage.output_tokens).toBe(1);
    expect(run.ends).toEqual(["complete"]);
    expect(run.clock.pending).toBe(0);
  });

  test("an error before the backend answers (after the 200) is an error event", async () => {
    const run = start(Promise.resolve({ kind: "error", type: "overloaded_error", message: "no endpoint" } as const));
    await run.pump;
    expect(run.events().map((e) => e.event)).toEqual(["message_start", "ping", "error"]);
    expect(run.events()[2]!.data.error).toEqual({ type: "overloaded_error", message: "no endpoint" });
    expect(run.ends).toEqual(["error"]);
  });

  test("a mid-stream llama.cpp error chunk becomes an error event and the backend is cancelled", async () => {
    const up = backend();
    const run = start(Promise.resolve({ kind: "stream", body: up.body } as const));
    up.data(chunk({ content: "par" }));
    up.data({ error: { code: 500, message: "llama.cpp crashed", type: "server_error" } });
    await run.pump;
    const events = run.events();
    expect(events.at(-1)).toEqual({ event: "error", data: { type: "error", error: { type: "api_error", message: "llama.cpp crashed" } } });
    expect(events.some((e) => e.event === "message_stop")).toBe(false);
  });

  test("a broken connection mid-stream becomes an error event", async () => {
    const up = backend();
    const run = start(Promise.resolve({ kind: "stream", body: up.body } as const));
    up.data(chunk({ content: "par" }));
    await tick();
    up.fail(new Error("socket closed"));
    await run.pump;
    expect(run.events().at(-1)!.data.error.message).toContain("socket closed");
  });

  test("a stream cut short without finish_reason is an error; one with it completes without [DONE]", async () => {
    const cut = backend();
    const a = start(Promise.resolve({ kind: "stream", body: cut.body } as const));
    cut.data(chunk({ content: "par" }));
    cut.close();
    await a.pump;
    expect(a.events().at(-1)!.event).toBe("error");

    const whole = backend();
    const b = start(Promise.resolve({ kind: "stream", body: whole.body } as const));
    whole.send(`data: ${JSON.stringify(chunk({ content: "ok" }, "stop"))}`); // no trailing blank line
    whole.close();
    await b.pump;
    expect(b.events().at(-1)!.event).toBe("message_stop");
  });

  test("malformed chunks are skipped; CRLF framing and split bytes are read", async () => {
    const up = backend();
    const run = start(Promise.resolve({ kind: "stream", body: up.body } as const));
    up.send("data: {not json}\r\n\r\n");
    const text = `data: ${JSON.stringify(chunk({ content: "é" }, "stop"))}\r\n\r\ndata: [DONE]\r\n\r\n`;
    up.send(text.slice(0, 10));
    up.send(text.slice(10));
    await run.pump;
    expect(run.events().find((e) => e.data.delta?.type === "text_delta")!.data.delta.text).toBe("é");
  });

  test("the client leaving cancels the backend stream", async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({ cancel: () => void (cancelled = true) });
    const run = start(Promise.resolve({ kind: "stream", body } as const));
    await tick();
    await run.reader.cancel();
    await tick();
    expect(cancelled).toBe(true);
    expect(run.ends).toEqual(["client_closed"]);
    expect(run.clock.pending).toBe(0);
  });

  test("the official SDK's stream accumulator reads the translated stream: thinking, text and two tools", async () => {
    const sse = [
      chunk({ role: "assistant", content: null }),
      chunk({ reasoning_content: "plan" }),
      chunk({ content: "Calling." }),
      chunk({ tool_calls: [{ index: 0, id: "a", function: { name: "one", arguments: '{"x":' } }] }),
      chunk({ tool_calls: [{ index: 1, id: "b", function: { name: "two", arguments: '{"y":2}' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: "1}" } }] }),
      chunk({}, "tool_calls"),
      { choices: [], usage: { prompt_tokens: 9, completion_tokens: 4 } },
    ].map((c) => `data: ${JSON.stringify(c)}\n\n`).join("") + "data: [DONE]\n\n";
    const fetch = async () => {
      const body = anthropicEventStream({
        writer: new MessageStreamWriter("claude-haiku-4-5", new ToolNames()),
        messageId: "msg_sdk",
        upstream: Promise.resolve({ kind: "stream", body: new Response(sse).body! }),
        clock: new FakeClock(),
        pingIntervalMs: PING_MS,
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    };
    const client = new Anthropic({ apiKey: "x", baseURL: "http://unused", fetch: fetch as typeof globalThis.fetch });
    const message = await client.messages.stream({ model: "claude-haiku-4-5", max_tokens: 10, messages: [{ role: "user", content: "go" }] })
      .finalMessage();
    expect(message.id).toBe("msg_sdk");
    expect(message.content).toMatchObject([
      { type: "thinking", thinking: "plan", signature: "" },
      { type: "text", text: "Calling." },
      { type: "tool_use", id: "a", name: "one", input: { x: 1 } },
      { type: "tool_use", id: "b", name: "two", input: { y: 2 } },
    ]);
    expect(message.stop_reason).toBe("tool_use");
    expect(message.usage.input_tokens).toBe(9);
    expect(message.usage.output_tokens).toBe(4);
  });
});
