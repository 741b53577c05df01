/**
 * The routes beyond the seed are counted too, by the label their path gives (no hook of
 * their own): Anthropic Messages passthrough and translation, with tokens from the stream.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type AnthropicStack, SETUP_TIMEOUT_MS, startAnthropicStack } from "../compat/_setup.ts";
import { promcheck, promcheckBinary, promcheckUnavailable, type PromReport, total } from "../_promcheck.ts";

let stack: AnthropicStack;

beforeAll(async () => {
  if (promcheckUnavailable) return;
  promcheckBinary();
  stack = await startAnthropicStack({});
}, Math.max(SETUP_TIMEOUT_MS, 180_000));

afterAll(async () => {
  await stack?.stop();
});

const scrape = async (): Promise<PromReport> =>
  promcheck(await (await fetch(`${stack.server.url}/internal/metrics`)).text());

const messages = (model: string, stream: boolean) =>
  fetch(`${stack.server.url}/olla/anthropic/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model, max_tokens: 32, stream, messages: [{ role: "user", content: "hi" }] }),
  });

describe.skipIf(promcheckUnavailable !== null)("metrics for Anthropic Messages", () => {
  test("passthrough and translated requests are counted as messages, with their tokens", async () => {
    const before = await scrape();
    for (const [model, stream] of [["ai/smollm2", true], ["ai/smollm2", false], ["ai/qwen3", true], ["ai/qwen3", false]] as const) {
      const res = await messages(model, stream);
      expect(res.status).toBe(200);
      await res.text();
    }
    let after = before;
    const delta = (name: string, match: Record<string, string> = {}) => total(after, name, match) - total(before, name, match);
    const deadline = Date.now() + 5_000;
    while (delta("tureen_requests_total", { route: "messages" }) < 4 && Date.now() < deadline) {
      await Bun.sleep(20);
      after = await scrape();
    }
    expect(after.parse_error).toBeUndefined();
    expect(delta("tureen_requests_total", { route: "messages", outcome: "success" })).toBe(4);
    expect(delta("tureen_completion_tokens_total", { endpoint: "native" })).toBeGreaterThan(0);
    expect(delta("tureen_completion_tokens_total", { endpoint: "chat-only" })).toBeGreaterThan(0);
    expect(delta("tureen_time_to_first_token_seconds", { route: "messages" })).toBe(2);
  });
});
