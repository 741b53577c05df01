import { describe, expect, test } from "bun:test";
import { estimateInputTokens } from "../../../../src/translate/anthropic/count_tokens.ts";

describe("estimateInputTokens", () => {
  test("counts system, messages, tool results and tools, and is at least 1", () => {
    expect(estimateInputTokens({ messages: [] })).toBe(1);
    const small = estimateInputTokens({ messages: [{ role: "user", content: "hello" }] });
    const more = estimateInputTokens({
      system: "You are helpful.",
      messages: [
        { role: "user", content: "hello" },
        { role: "assistant", content: [{ type: "tool_use", id: "t", name: "f", input: { a: 1 } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: [{ type: "text", text: "result" }] }] },
      ],
      tools: [{ name: "f", description: "d", input_schema: { type: "object" } }],
    });
    expect(more).toBeGreaterThan(small);
  });

  test("pitfall 9: errs high, never below a 4-bytes-per-token tokenizer's count", () => {
    const text = "The quick brown fox jumps over the lazy dog. ".repeat(200);
    const estimate = estimateInputTokens({ messages: [{ role: "user", content: text }] });
    expect(estimate).toBeGreaterThan(Math.ceil(text.length / 4));
  });

  test("an image counts as many tokens", () => {
    const image = { type: "image", source: { type: "base64", media_type: "image/png", data: "x" } };
    expect(estimateInputTokens({ messages: [{ role: "user", content: [image] }] })).toBeGreaterThan(1000);
  });
});
