import { describe, expect, test } from "bun:test";
import { InvalidRequest, toChatRequest } from "../../../../src/translate/anthropic/request.ts";

const base = { model: "claude-sonnet-4-5", max_tokens: 100 };

describe("toChatRequest", () => {
  test("system blocks, text, top_k, stop_sequences, metadata, and include_usage on streams", () => {
    const { body } = toChatRequest({
      ...base,
      system: [{ type: "text", text: "You are terse.", cache_control: { type: "ephemeral" } }, { type: "text", text: "Be kind." }],
      messages: [{ role: "user", content: "hi" }],
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ["END"],
      metadata: { user_id: "u1" },
      stream: true,
    }, "ai/smollm2");
    expect(body).toEqual({
      model: "ai/smollm2",
      messages: [{ role: "system", content: "You are terse.\nBe kind." }, { role: "user", content: "hi" }],
      max_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      stop: ["END"],
      stream: true,
      stream_options: { include_usage: true },
      user: "u1",
    });
  });

  test("images: base64 becomes a data URL, url stays a URL", () => {
    const { body } = toChatRequest({
      ...base,
      messages: [{
        role: "user",
        content: [
          { type: "text", text: "What is this?" },
          { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBOR" } },
          { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
        ],
      }],
    }, "m");
    expect(body.messages[0].content).toEqual([
      { type: "text", text: "What is this?" },
      { type: "image_url", image_url: { url: "data:image/png;base64,iVBOR" } },
      { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
    ]);
  });

  test("tool_use → tool_calls; tool_result → tool messages directly after, before the user's text", () => {
    const { body } = toChatRequest({
      ...base,
      messages: [
        { role: "user", content: "weather?" },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "need a tool", signature: "sig" },
            { type: "text", text: "" },
            { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Oslo" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "text", text: "here you go" },
            { type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "5°C" }] },
            { type: "tool_result", tool_use_id: "toolu_2", content: "boom", is_error: true },
          ],
        },
      ],
    }, "m");
    expect(body.messages).toEqual([
      { role: "user", content: "weather?" },
      {
        role: "assistant",
        content: null,
        reasoning_content: "need a tool",
        tool_calls: [{ id: "toolu_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }],
      },
      { role: "tool", tool_call_id: "toolu_1", content: "5°C" },
      { role: "tool", tool_call_id: "toolu_2", content: "Error: boom" },
      { role: "user", content: "here you go" },
    ]);
  });

  test("tools and every tool_choice, disable_parallel_tool_use → parallel_tool_calls:false", () => {
    const tools = [
      { name: "f", description: "does f", input_schema: { type: "object", properties: {} } },
      { type: "web_search_20250305", name: "web_search" },
    ];
    const cases: Array<[unknown, unknown]> = [
      [{ type: "auto" }, "auto"],
      [{ type: "any" }, "required"],
      [{ type: "none" }, "none"],
      [{ type: "tool", name: "f" }, { type: "function", function: { name: "f" } }],
    ];
    for (const [choice, expected] of cases) {
      const { body } = toChatRequest({ ...base, messages: [], tools, tool_choice: choice }, "m");
      expect(body.tool_choice).toEqual(expected);
      expect(body.tools).toEqual([
        { type: "function", function: { name: "f", parameters: { type: "object", properties: {} }, description: "does f" } },
      ]);
      expect(body.parallel_tool_calls).toBeUndefined();
    }
    const { body } = toChatRequest({ ...base, messages: [], tools, tool_choice: { type: "auto", disable_parallel_tool_use: true } }, "m");
    expect(body.parallel_tool_calls).toBe(false);
  });

  test("long tool names are shortened to 64 characters and restored", () => {
    const name = `mcp__github__${"a".repeat(80)}`;
    const { body, toolNames } = toChatRequest({ ...base, messages: [], tools: [{ name, input_schema: { type: "object" } }] }, "m");
    const sent = body.tools[0].function.name;
    expect(sent.length).toBe(64);
    expect(toolNames.restore(sent)).toBe(name);
  });

  test("thinking: a budget is bucketed into reasoning_effort, adaptive reads output_config.effort", () => {
    expect(toChatRequest({ ...base, messages: [], thinking: { type: "enabled", budget_tokens: 2048 } }, "m").body.reasoning_effort).toBe("low");
    expect(toChatRequest({ ...base, messages: [], thinking: { type: "enabled", budget_tokens: 20000 } }, "m").body.reasoning_effort).toBe("high");
    expect(toChatRequest({ ...base, messages: [], thinking: { type: "adaptive" } }, "m").body.reasoning_effort).toBe("medium");
    expect(
      toChatRequest({ ...base, messages: [], thinking: { type: "adaptive" }, output_config: { effort: "low" } }, "m").body.reasoning_effort,
    ).toBe("low");
    expect(toChatRequest({ ...base, messages: [], thinking: { type: "disabled" } }, "m").body.reasoning_effort).toBeUndefined();
  });

  test("pitfall 8: empty text blocks are never sent", () => {
    const { body } = toChatRequest({ ...base, messages: [{ role: "user", content: [{ type: "text", text: "" }, { type: "text", text: "x" }] }] }, "m");
    expect(body.messages).toEqual([{ role: "user", content: "x" }]);
  });

  test("pitfall 10: the per-request cch= value of Claude Code's attribution block is fixed", () => {
    const system = [
      { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.37.0d9; cc_entrypoint=cli; cch=fa690;" },
      { type: "text", text: "You are Claude Code." },
    ];
    const a = toChatRequest({ ...base, system, messages: [] }, "m").body.messages[0].content;
    system[0]!.text = system[0]!.text.replace("fa690", "0b1c2");
    const b = toChatRequest({ ...base, system, messages: [] }, "m").body.messages[0].content;
    expect(a).toBe(b);
    expect(a).toContain("cch=00000;");
  });

  test("pitfall 11: unknown fields, unknown blocks and mid-conversation system turns are accepted", () => {
    const { body } = toChatRequest({
      ...base,
      context_management: { edits: [{ type: "clear_thinking_20251015" }] },
      output_config: { effort: "xhigh" },
      service_tier: "auto",
      messages: [
        { role: "user", content: [{ type: "text", text: "a", cache_control: { type: "ephemeral" } }, { type: "container_upload", file_id: "f" }] },
        { role: "system", content: "now be brief" },
      ],
    }, "m");
    expect(body.messages).toEqual([{ role: "user", content: "a" }, { role: "system", content: "now be brief" }]);
  });

  test("malformed requests are refused, never forwarded", () => {
    expect(() => toChatRequest({ ...base }, "m")).toThrow(InvalidRequest);
    expect(() => toChatRequest({ ...base, messages: [{ role: "robot", content: "x" }] }, "m")).toThrow(/messages\[0\]\.role/);
    expect(() => toChatRequest({ ...base, messages: [{ role: "user", content: 5 }] }, "m")).toThrow(/messages\[0\]\.content/);
    expect(() => toChatRequest({ ...base, max_tokens: -1, messages: [] }, "m")).toThrow(/max_tokens/);
    expect(() =>
      toChatRequest({ ...base, messages: [{ role: "user", content: [{ type: "image", source: { type: "file", file_id: "f" } }] }] }, "m")
    ).toThrow(/file ids/);
    expect(() =>
      toChatRequest({
        ...base,
        messages: [{ role: "user", content: [{ type: "document", source: { type: "base64", media_type: "application/pdf", data: "x" } }] }],
      }, "m")
    ).toThrow(/PDF/);
  });
});
