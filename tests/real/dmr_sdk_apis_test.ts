/**
 * The official SDKs through Tureen to two real Docker Model Runners balanced round-robin, on the
 * APIs DMR v1.2.9 serves beyond the seed: Anthropic Messages (`@anthropic-ai/sdk`, passed through
 * to DMR's /anthropic/v1/messages) and the OpenAI Responses API (`openai`), whose conversation
 * state lives only on the DMR that created it. tests/compat runs the same SDK calls against the
 * emulators with exact text, tools and fault injection a random-weight model cannot give.
 * Runs in the real-backend leg (TUREEN_TEST_BACKEND=real, see scripts/test.mjs).
 */
import { afterAll, beforeAll, describe, expect } from "bun:test";
import Anthropic, { BadRequestError, NotFoundError } from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { rejection } from "../compat/_setup.ts";
import { dmrConfig, type ServerUnderTest, startServer, until } from "../_server.ts";
import { type Backend, REAL_TIMEOUT_MS, realTest, startRealDmr, stopAll } from "./_backends.ts";
import { REAL_ENABLED } from "./_enabled.ts";

let alpha: Backend;
let beta: Backend;
let server: ServerUnderTest;
let anthropic: Anthropic;
let openai: OpenAI;

const MODEL = "ai/smollm2";

beforeAll(async () => {
  if (!REAL_ENABLED) return;
  [alpha, beta] = await Promise.all([startRealDmr("alpha"), startRealDmr("beta")]);
  server = await startServer(
    dmrConfig([
      { url: alpha.url, name: "alpha" },
      { url: beta.url, name: "beta" },
    ], { proxy: { load_balancer: "round-robin" }, anthropic: { model_map: { "claude-haiku-*": MODEL } } }),
    { sockets: [alpha.socketPath, beta.socketPath] },
  );
  await until(async () => {
    const status = await (await fetch(`${server.url}/internal/status/endpoints`)).json();
    return status.endpoints.every((e: { status: string; model_count: number }) => e.status === "healthy" && e.model_count > 0);
  }, 20_000);
  anthropic = new Anthropic({ baseURL: `${server.url}/olla/anthropic`, apiKey: "not-needed", maxRetries: 0 });
  openai = new OpenAI({ baseURL: `${server.url}/olla/dmr/engines/v1`, apiKey: "not-needed", maxRetries: 0 });
}, REAL_TIMEOUT_MS);

afterAll(async () => {
  await server?.stop();
  await stopAll();
});

describe.skipIf(!REAL_ENABLED)("@anthropic-ai/sdk through Tureen to real DMRs (passthrough)", () => {
  realTest("messages.create: a message with a stop reason and usage, passed through to DMR", async () => {
    const { data, response } = await anthropic.messages
      .create({ model: "claude-haiku-4-5", max_tokens: 8, messages: [{ role: "user", content: "Say hello" }] })
      .withResponse();
    expect(response.headers.get("x-olla-mode")).toBe("passthrough");
    expect(["alpha", "beta"]).toContain(response.headers.get("x-olla-endpoint")!);
    expect(data.type).toBe("message");
    expect(data.role).toBe("assistant");
    expect(["end_turn", "max_tokens"]).toContain(data.stop_reason!);
    expect(data.usage.input_tokens).toBeGreaterThan(0);
  });

  realTest("messages.stream: text deltas add up to the final message", async () => {
    const stream = anthropic.messages.stream({ model: MODEL, max_tokens: 16, messages: [{ role: "user", content: "Say hello" }] });
    const deltas: string[] = [];
    stream.on("text", (text) => deltas.push(text));
    const final = await stream.finalMessage();
    const text = final.content.filter((b) => b.type === "text").map((b) => (b as { text: string }).text).join("");
    expect(deltas.join("")).toBe(text);
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  realTest("messages.countTokens is DMR's own count, not Tureen's estimate", async () => {
    const { data, response } = await anthropic.messages
      .countTokens({ model: MODEL, messages: [{ role: "user", content: "one two three four" }] })
      .withResponse();
    expect(data.input_tokens).toBeGreaterThan(0);
    expect(response.headers.get("x-olla-token-count")).toBeNull();
  });

  realTest("errors: DMR's own invalid-request answer is a BadRequestError; an unknown model Tureen's NotFoundError", async () => {
    const bad = await rejection(
      anthropic.messages.create({ model: MODEL, max_tokens: 8, messages: [{ role: "user", content: 5 as never }] }),
    );
    expect(bad).toBeInstanceOf(BadRequestError);
    // llama-server words it in OpenAI's error shape; Tureen keeps its status and wording in Anthropic's shape.
    expect((bad as BadRequestError).error).toEqual({
      type: "error",
      error: { type: "invalid_request_error", message: "Expected 'content' to be a string or an array" },
    });
    const unknown = await rejection(anthropic.messages.create({ model: "ai/nope", max_tokens: 8, messages: [{ role: "user", content: "x" }] }));
    expect(unknown).toBeInstanceOf(NotFoundError);
  });
});

describe.skipIf(!REAL_ENABLED)("openai SDK Responses API through Tureen to real DMRs (round-robin)", () => {
  realTest("follow-ups with previous_response_id land on the DMR that created the response", async () => {
    const homes = new Set<string>();
    for (let conversation = 0; conversation < 2; conversation++) {
      const { data: first, response } = await openai.responses
        .create({ model: MODEL, input: "Hello", max_output_tokens: 8 })
        .withResponse();
      const home = response.headers.get("x-olla-endpoint")!;
      homes.add(home);
      expect(first.object).toBe("response");
      expect(first.output_text).toBeString();
      let previous = first.id;
      for (let turn = 0; turn < 3; turn++) {
        const { data: next, response: res } = await openai.responses
          .create({ model: MODEL, input: "And then?", previous_response_id: previous, max_output_tokens: 8 })
          .withResponse();
        expect(res.headers.get("x-olla-endpoint")).toBe(home);
        previous = next.id;
      }
    }
    // Round-robin put the two conversations on different DMRs, so affinity was needed.
    expect([...homes].sort()).toEqual(["alpha", "beta"]);
  });

  realTest("a streamed response completes, and its id is remembered for the follow-up", async () => {
    const stream = await openai.responses.create({ model: MODEL, input: "Hello", max_output_tokens: 8, stream: true });
    let completed: OpenAI.Responses.Response | null = null;
    for await (const event of stream) if (event.type === "response.completed") completed = event.response;
    expect(completed).not.toBeNull();
    const next = await openai.responses.create({ model: MODEL, input: "More", previous_response_id: completed!.id, max_output_tokens: 8 });
    expect(next.object).toBe("response");
  });
});
