import { describe, expect, test } from "bun:test";
import { MessageStreamWriter } from "../../../../src/translate/anthropic/stream.ts";
import { ToolNames } from "../../../../src/translate/anthropic/tool_names.ts";
import { chunk, parseEvents } from "../_events.ts";

function run(chunks: Array<Record<string, unknown>>, names = new ToolNames()) {
  const writer = new MessageStreamWriter("claude-sonnet-4-5", names);
  let text = writer.start("msg_1");
  for (const c of chunks) text += writer.chunk(c);
  text += writer.finish();
  return parseEvents(text);
}

const types = (events: Array<{ event: string; data: any }>) =>
  events.map((e) => e.event + (e.data.index !== undefined ? `#${e.data.index}` : ""));

describe("MessageStreamWriter", () => {
  test("plain text: one message_start, one text block, held message_delta with usage from the usage chunk", () => {
    const events = run([
      chunk({ role: "assistant", content: null }),
      chunk({ content: "Hel" }),
      chunk({ content: "lo" }),
      chunk({}, "stop"),
      { choices: [], usage: { prompt_tokens: 12, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 4 } } },
    ]);
    expect(types(events)).toEqual([
      "message_start",
      "content_block_start#0",
      "content_block_delta#0",
      "content_block_delta#0",
      "content_block_stop#0",
      "message_delta",
      "message_stop",
    ]);
    const delta = events.at(-2)!.data;
    expect(delta.delta).toEqual({ stop_reason: "end_turn", stop_sequence: null });
    expect(delta.usage).toEqual({
      input_tokens: 8,
      output_tokens: 3,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 4,
    });
  });

  test("pitfall 1: the first text delta after a thinking→text switch is sent", () => {
    const events = run([chunk({ reasoning_content: "think" }), chunk({ content: "answer" }), chunk({}, "stop")]);
    const text = events.filter((e) => e.data.delta?.type === "text_delta");
    expect(text.map((e) => e.data.delta.text)).toEqual(["answer"]);
    expect(text[0]!.data.index).toBe(1);
  });

  test("pitfall 2: no empty block at index 0, thinking never inside a text block, one message_start", () => {
    const events = run([chunk({ role: "assistant", content: "" }), chunk({ reasoning_content: "a" }), chunk({ content: "b" })]);
    expect(events.filter((e) => e.event === "message_start")).toHaveLength(1);
    const starts = events.filter((e) => e.event === "content_block_start").map((e) => e.data.content_block.type);
    expect(starts).toEqual(["thinking", "text"]);
    for (const e of events.filter((e) => e.event === "content_block_delta")) {
      const block = starts[e.data.index];
      if (e.data.delta.type === "thinking_delta" || e.data.delta.type === "signature_delta") expect(block).toBe("thinking");
      if (e.data.delta.type === "text_delta") expect(block).toBe("text");
    }
  });

  test("pitfall 3: reasoning under either field name becomes thinking, closed with an empty signature", () => {
    for (const field of ["reasoning_content", "reasoning"]) {
      const events = run([chunk({ [field]: "hmm" }), chunk({}, "stop")]);
      expect(events[1]!.data.content_block).toEqual({ type: "thinking", thinking: "", signature: "" });
      expect(events[2]!.data.delta).toEqual({ type: "thinking_delta", thinking: "hmm" });
      expect(events[3]!.data.delta).toEqual({ type: "signature_delta", signature: "" });
      expect(events[4]!.event).toBe("content_block_stop");
    }
  });

  test("pitfalls 4, 5 and 7: arguments in the same chunk as id and name go out as input_json_delta, start input is {}", () => {
    const events = run([
      chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }] }),
      chunk({}, "tool_calls"),
    ]);
    const start = events.find((e) => e.event === "content_block_start")!;
    expect(start.data.content_block).toEqual({ type: "tool_use", id: "call_1", name: "get_weather", input: {} });
    const deltas = events.filter((e) => e.data.delta?.type === "input_json_delta");
    expect(deltas.map((e) => e.data.delta.partial_json).join("")).toBe('{"city":"Oslo"}');
    expect(events.at(-2)!.data.delta.stop_reason).toBe("tool_use");
  });

  test("pitfall 6: interleaved fragments of parallel tool calls go to their own blocks, never to an unstarted index", () => {
    const events = run([
      chunk({ content: "Checking." }),
      chunk({ tool_calls: [{ index: 0, id: "a", function: { name: "one", arguments: "" } }] }),
      chunk({ tool_calls: [{ index: 1, id: "b", function: { name: "two", arguments: '{"y"' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"x":1}' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { arguments: ":2}" } }] }),
      chunk({}, "tool_calls"),
    ]);
    const started = new Set<number>();
    const stopped = new Set<number>();
    const json = new Map<number, string>();
    for (const e of events) {
      if (e.event === "content_block_start") started.add(e.data.index);
      if (e.event === "content_block_delta") {
        expect(started.has(e.data.index)).toBe(true);
        expect(stopped.has(e.data.index)).toBe(false);
        if (e.data.delta.type === "input_json_delta") {
          json.set(e.data.index, (json.get(e.data.index) ?? "") + e.data.delta.partial_json);
        }
      }
      if (e.event === "content_block_stop") stopped.add(e.data.index);
    }
    expect([...started]).toEqual([0, 1, 2]);
    expect([...stopped].sort()).toEqual([0, 1, 2]);
    expect(JSON.parse(json.get(1)!)).toEqual({ x: 1 });
    expect(JSON.parse(json.get(2)!)).toEqual({ y: 2 });
  });

  test("pitfall 8: an empty content string beside tool calls opens no text block", () => {
    const events = run([
      chunk({ content: "", tool_calls: [{ index: 0, id: "a", function: { name: "f", arguments: "{}" } }] }),
      chunk({}, "tool_calls"),
    ]);
    expect(events.filter((e) => e.event === "content_block_start").map((e) => e.data.content_block.type)).toEqual(["tool_use"]);
  });

  test("pitfall 12: content and finish_reason in one chunk keeps the content", () => {
    const events = run([chunk({ role: "assistant", content: "all at once" }, "length")]);
    expect(events.find((e) => e.data.delta?.type === "text_delta")!.data.delta.text).toBe("all at once");
    expect(events.at(-2)!.data.delta.stop_reason).toBe("max_tokens");
  });

  test("long tool names come back as the client sent them", () => {
    const names = new ToolNames();
    const long = `mcp__server__${"x".repeat(70)}`;
    const short = names.shorten(long);
    const events = run([chunk({ tool_calls: [{ index: 0, id: "a", function: { name: short, arguments: "{}" } }] })], names);
    expect(events[1]!.data.content_block.name).toBe(long);
  });

  test("error() ends the stream: nothing is written after it", () => {
    const writer = new MessageStreamWriter("m", new ToolNames());
    writer.start("msg_1");
    const error = parseEvents(writer.error("overloaded_error", "busy"));
    expect(error).toEqual([{ event: "error", data: { type: "error", error: { type: "overloaded_error", message: "busy" } } }]);
    expect(writer.chunk(chunk({ content: "late" }))).toBe("");
    expect(writer.finish()).toBe("");
    expect(writer.ping()).toBe("");
  });
});
