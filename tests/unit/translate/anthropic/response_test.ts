import { describe, expect, test } from "bun:test";
import { anthropicUsage, stopReason, toAnthropicMessage } from "../../../../src/translate/anthropic/response.ts";
import { ToolNames } from "../../../../src/translate/anthropic/tool_names.ts";

describe("toAnthropicMessage", () => {
  test("thinking, text, tool_use in that order; tool_use stop reason; usage without cached tokens in input", () => {
    const message = toAnthropicMessage({
      id: "chatcmpl-abc",
      choices: [{
        finish_reason: "stop",
        message: {
          content: "Let me check.",
          reasoning_content: "The user wants weather.",
          tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }],
        },
      }],
      usage: { prompt_tokens: 20, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 5 } },
    }, "claude-sonnet-4-5", new ToolNames());
    expect(message).toEqual({
      id: "msg_chatcmpl-abc",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [
        { type: "thinking", thinking: "The user wants weather.", signature: "" },
        { type: "text", text: "Let me check." },
        { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Oslo" } },
      ],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: { input_tokens: 15, output_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 5 },
    });
  });

  test("reasoning under `reasoning`; empty content gives no text block; bad JSON arguments are kept raw", () => {
    const message = toAnthropicMessage({
      choices: [{ finish_reason: "tool_calls", message: { content: "", reasoning: "r", tool_calls: [{ id: "c", function: { name: "f", arguments: "{oops" } }] } }],
    }, "m", new ToolNames());
    expect(message.content).toEqual([
      { type: "thinking", thinking: "r", signature: "" },
      { type: "tool_use", id: "c", name: "f", input: { _raw: "{oops" } },
    ]);
    expect(message.id).toMatch(/^msg_[0-9a-f]{32}$/);
  });

  test("stop reasons", () => {
    expect(stopReason("stop", false)).toBe("end_turn");
    expect(stopReason("length", false)).toBe("max_tokens");
    expect(stopReason("tool_calls", false)).toBe("tool_use");
    expect(stopReason("content_filter", false)).toBe("refusal");
    expect(stopReason("stop", true)).toBe("tool_use");
    expect(stopReason(null, false)).toBe("end_turn");
  });

  test("missing usage counts as zero", () => {
    expect(anthropicUsage(undefined)).toEqual({ input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
  });
});
