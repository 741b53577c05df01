/**
 * The official `@anthropic-ai/sdk` against Tureen, both ways an Anthropic request is served:
 * passthrough to an endpoint that speaks Anthropic (DMR's /anthropic/v1/messages) and
 * translation for one that speaks only chat completions. Claude model names reach each
 * through anthropic.model_map: Haiku-class names to the native endpoint's model, Sonnet
 * names to the translated one's.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic, { APIError, BadRequestError, NotFoundError } from "@anthropic-ai/sdk";
import type { DmrApisEmulator } from "../emulators/dmr_apis.ts";
import { type AnthropicStack, rejection, SETUP_TIMEOUT_MS, startAnthropicStack, TEXT } from "./_setup.ts";

let stack: AnthropicStack;
let native: DmrApisEmulator;
let chatOnly: DmrApisEmulator;
let client: Anthropic;

const IMAGE = { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } as const;
const WEATHER_TOOL = {
  name: "get_weather",
  description: "Current weather for a city",
  input_schema: { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] },
};

beforeAll(async () => {
  stack = await startAnthropicStack({
    model_map: { "claude-haiku-4-5": "ai/smollm2", "claude-*haiku*": "ai/smollm2", "claude-sonnet-*": "ai/qwen3" },
  });
  ({ native, chatOnly } = stack);
  client = new Anthropic({ baseURL: `${stack.server.url}/olla/anthropic`, apiKey: "not-needed", maxRetries: 0 });
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await stack?.stop();
});

const lastFront = (emulator: DmrApisEmulator) => {
  const hit = emulator.requests.at(-1)!;
  return { ...hit, json: JSON.parse(new TextDecoder().decode(hit.body)) };
};
const lastChat = (emulator: DmrApisEmulator) => {
  const hit = emulator.inner.requests.findLast((r) => r.path.endsWith("/chat/completions") && !r.headers["x-preload-only"])!;
  return JSON.parse(new TextDecoder().decode(hit.body));
};

for (const [mode, model] of [["passthrough", "claude-haiku-4-5-20251001"], ["translation", "claude-sonnet-4-5"]] as const) {
  describe(`@anthropic-ai/sdk through ${mode}`, () => {
    test("messages.create returns the text, a stop reason and usage", async () => {
      const { data, response } = await client.messages
        .create({ model, max_tokens: 64, messages: [{ role: "user", content: "Say hello" }] })
        .withResponse();
      expect(response.headers.get("x-olla-mode")).toBe(mode);
      expect(data.type).toBe("message");
      expect(data.content).toMatchObject([{ type: "text", text: TEXT }]);
      expect(data.stop_reason).toBe("end_turn");
      expect(data.usage.output_tokens).toBeGreaterThan(0);
      expect(data.usage.input_tokens).toBeGreaterThan(0);
    });

    test("messages.stream yields text deltas and the final message with usage", async () => {
      const stream = client.messages.stream({ model, max_tokens: 64, messages: [{ role: "user", content: "Say hello" }] });
      const deltas: string[] = [];
      stream.on("text", (text) => deltas.push(text));
      const final = await stream.finalMessage();
      expect(deltas.join("")).toBe(TEXT);
      expect(final.content).toMatchObject([{ type: "text", text: TEXT }]);
      expect(final.usage.output_tokens).toBeGreaterThan(0);
      if (mode === "translation") expect(lastChat(chatOnly).stream_options).toEqual({ include_usage: true });
    });

    test("tools: a tool_use block with parsed input, streamed and not", async () => {
      const params = {
        model,
        max_tokens: 64,
        tools: [WEATHER_TOOL],
        tool_choice: { type: "tool" as const, name: "get_weather", disable_parallel_tool_use: true },
        messages: [{ role: "user" as const, content: "Weather in Oslo?" }],
      };
      const created = await client.messages.create(params);
      expect(created.stop_reason).toBe("tool_use");
      expect(created.content.find((b) => b.type === "tool_use")).toMatchObject({ name: "get_weather", input: { city: "Oslo" } });
      const streamed = await client.messages.stream(params).finalMessage();
      expect(streamed.stop_reason).toBe("tool_use");
      expect(streamed.content.find((b) => b.type === "tool_use")).toMatchObject({ name: "get_weather", input: { city: "Oslo" } });
      if (mode === "translation") {
        const sent = lastFront(chatOnly).json;
        expect(sent.tool_choice).toEqual({ type: "function", function: { name: "get_weather" } });
        expect(sent.parallel_tool_calls).toBe(false);
      }
      // The tool result goes back and the conversation continues.
      const toolUse = created.content.find((b) => b.type === "tool_use")!;
      const followUp = await client.messages.create({
        model,
        max_tokens: 64,
        messages: [
          { role: "user", content: "Weather in Oslo?" },
          { role: "assistant", content: created.content },
          { role: "user", content: [{ type: "tool_result", tool_use_id: (toolUse as { id: string }).id, content: "5°C" }] },
        ],
      });
      expect(followUp.content).toMatchObject([{ type: "text", text: TEXT }]);
    });

    test("images reach the backend: untouched on passthrough, as a data URL when translated", async () => {
      await client.messages.create({
        model,
        max_tokens: 16,
        messages: [{ role: "user", content: [{ type: "image", source: IMAGE }, { type: "text", text: "What is this?" }] }],
      });
      if (mode === "passthrough") {
        expect(lastFront(native).json.messages[0].content[0]).toEqual({ type: "image", source: IMAGE });
      } else {
        expect(lastChat(chatOnly).messages[0].content[0]).toEqual({
          type: "image_url",
          image_url: { url: `data:${IMAGE.media_type};base64,${IMAGE.data}` },
        });
      }
    });

    test("messages.countTokens: the backend's count on passthrough, an estimate otherwise", async () => {
      const { data, response } = await client.messages
        .countTokens({ model, messages: [{ role: "user", content: "one two three four" }] })
        .withResponse();
      expect(data.input_tokens).toBeGreaterThan(0);
      if (mode === "passthrough") {
        expect(lastFront(native).path).toBe("/anthropic/v1/messages/count_tokens");
        expect(response.headers.get("x-olla-token-count")).toBeNull();
      } else {
        expect(response.headers.get("x-olla-token-count")).toBe("estimate");
      }
    });

    test("errors: an invalid request is a BadRequestError in Anthropic's shape", async () => {
      const error = await rejection(
        client.messages.create({ model, max_tokens: 16, messages: "not a list" as never }),
      );
      // Passthrough leaves validation to the backend, whose Anthropic-shaped answer arrives untouched.
      expect(error).toBeInstanceOf(BadRequestError);
      expect((error as APIError).error).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
      if (mode === "passthrough") expect((error as Error).message).toContain("messages: expected a list");
    });
  });
}

describe("@anthropic-ai/sdk: Tureen's own answers", () => {
  test("an unmapped claude-* name is a NotFoundError saying how to map it", async () => {
    const error = await rejection(client.messages.create({ model: "claude-opus-4-1", max_tokens: 8, messages: [{ role: "user", content: "x" }] }));
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as APIError).error).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    expect((error as Error).message).toContain("anthropic.model_map");
  });

  test("a local model no endpoint has is a NotFoundError", async () => {
    const error = await rejection(client.messages.create({ model: "ai/nope", max_tokens: 8, messages: [{ role: "user", content: "x" }] }));
    expect(error).toBeInstanceOf(NotFoundError);
  });

  test("a mid-stream backend failure surfaces as an APIError from the stream (translation)", async () => {
    chatOnly.inner.options.midStreamError = true;
    try {
      const error = await rejection(
        client.messages.stream({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: "x" }] }).finalMessage(),
      );
      expect(error).toBeInstanceOf(APIError);
      expect((error as Error).message).toContain("emulated mid-stream engine failure");
    } finally {
      chatOnly.inner.options.midStreamError = false;
    }
  });

  test("passthrough forwards anthropic-version and anthropic-beta untouched, and no client credential", async () => {
    await client.beta.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 8,
      betas: ["interleaved-thinking-2025-05-14"],
      messages: [{ role: "user", content: "x" }],
    });
    const sent = lastFront(native);
    expect(sent.headers["anthropic-version"]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(sent.headers["anthropic-beta"]).toBe("interleaved-thinking-2025-05-14");
    expect(sent.headers["x-api-key"]).toBeUndefined();
    expect(sent.json.model).toBe("ai/smollm2");
  });

  test("models.list shows mapped claude aliases and the local models", async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(["claude-haiku-4-5", "ai/smollm2", "ai/qwen3"]);
    expect(await client.models.retrieve("ai/smollm2")).toMatchObject({ type: "model", id: "ai/smollm2" });
    expect(await rejection(client.models.retrieve("claude-opus-4-1"))).toBeInstanceOf(NotFoundError);
  });
});
