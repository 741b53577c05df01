/**
 * Anthropic routes over the wire, where the SDK hides what matters: pings while a backend
 * cold-loads, errors after the 200 as `error` events, backend wording kept, Claude Code's
 * probe and `?beta=true`, client disconnects reaching the backend.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { type AnthropicStack, SETUP_TIMEOUT_MS, startAnthropicStack } from "../compat/_setup.ts";
import type { DmrApisEmulator } from "../emulators/dmr_apis.ts";
import { dmrConfig, type ServerUnderTest, startServer } from "../_server.ts";
import { parseEvents } from "../unit/translate/_events.ts";

let stack: AnthropicStack;
let native: DmrApisEmulator;
let chatOnly: DmrApisEmulator;
let server: ServerUnderTest;

beforeAll(async () => {
  stack = await startAnthropicStack({ ping_interval: "100ms", model_map: { "claude-*": "ai/qwen3" } });
  ({ native, chatOnly, server } = stack);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await stack?.stop();
});

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", ...headers },
    body: JSON.stringify(body),
  });
}

const ask = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  max_tokens: 32,
  messages: [{ role: "user", content: "hi" }],
  ...extra,
});

describe("translation stream", () => {
  test("sends message_start and ping at once, then pings while the backend cold-loads", async () => {
    chatOnly.inner.unloadAll();
    // Twice the silence the assertion needs: ping timers run late on a loaded machine.
    chatOnly.inner.options.loadDelayMs = 900;
    try {
      const response = await post("/olla/anthropic/v1/messages", ask("claude-sonnet-4-5", { stream: true }));
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toStartWith("text/event-stream");
      const events = parseEvents(await response.text());
      const firstContent = events.findIndex((e) => e.event === "content_block_start");
      expect(events[0]!.event).toBe("message_start");
      expect(events[1]!.event).toBe("ping");
      // 900 ms of silence at a 100 ms ping interval.
      expect(events.slice(0, firstContent).filter((e) => e.event === "ping").length).toBeGreaterThanOrEqual(3);
      expect(events.at(-1)!.event).toBe("message_stop");
    } finally {
      chatOnly.inner.options.loadDelayMs = 0;
    }
  });

  test("a load that fails at once keeps its HTTP status; one that fails after the pings began is an error event", async () => {
    chatOnly.inner.unloadAll();
    chatOnly.inner.options.failLoad = "llama.cpp terminated unexpectedly";
    try {
      const quick = await post("/olla/anthropic/v1/messages", ask("claude-sonnet-4-5", { stream: true }));
      expect(quick.status).toBe(500);
      expect(await quick.json()).toMatchObject({ type: "error", error: { type: "api_error" } });
      chatOnly.inner.options.loadDelayMs = 250;
      const slow = await post("/olla/anthropic/v1/messages", ask("claude-sonnet-4-5", { stream: true }));
      expect(slow.status).toBe(200);
      const events = parseEvents(await slow.text());
      expect(events.map((e) => e.event).slice(0, 2)).toEqual(["message_start", "ping"]);
      expect(events.at(-1)!.event).toBe("error");
      expect(events.at(-1)!.data.error.message).toContain("unable to load runner: error waiting for runner to be ready: llama.cpp terminated unexpectedly");
      const plain = await post("/olla/anthropic/v1/messages", ask("claude-sonnet-4-5"));
      expect(plain.status).toBe(500);
      expect((await plain.json()).error.message).toContain("unable to load runner");
    } finally {
      chatOnly.inner.options.failLoad = null;
      chatOnly.inner.options.loadDelayMs = 0;
    }
  });

  test("llama.cpp's context overflow comes back as 'prompt is too long'", async () => {
    const response = await post("/olla/anthropic/v1/messages", ask("claude-sonnet-4-5", { max_tokens: 200_000 }));
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.error).toMatchObject({ type: "invalid_request_error" });
    expect(body.error.message).toMatch(/^prompt is too long: \d+ tokens > \d+ maximum$/);
  });

  test("a client that leaves mid-stream aborts the backend request", async () => {
    chatOnly.inner.options.chunkDelayMs = 200;
    try {
      const response = await post("/olla/anthropic/v1/messages", ask("claude-sonnet-4-5", { stream: true }));
      const reader = response.body!.getReader();
      await reader.read();
      await reader.cancel();
      await chatOnly.inner.waitForAbort("/chat/completions", 3_000);
    } finally {
      chatOnly.inner.options.chunkDelayMs = 0;
    }
  });
});

describe("passthrough and routes", () => {
  test("a passthrough stream pings while DMR cold-loads, then relays DMR's events untouched", async () => {
    native.inner.unloadAll();
    native.inner.options.loadDelayMs = 700; // two pings need 200 ms; the rest is room for a loaded machine
    try {
      const response = await post("/olla/anthropic/v1/messages", ask("ai/smollm2", { stream: true }));
      expect(response.status).toBe(200);
      expect(response.headers.get("x-olla-mode")).toBe("passthrough");
      const events = parseEvents(await response.text());
      const start = events.findIndex((e) => e.event === "message_start");
      expect(start).toBeGreaterThanOrEqual(2);
      expect(events.slice(0, start).every((e) => e.event === "ping")).toBe(true);
      expect(events.at(-1)!.event).toBe("message_stop");
    } finally {
      native.inner.options.loadDelayMs = 0;
    }
  });

  test("a passthrough load that fails after the pings began is an error event carrying DMR's own error body", async () => {
    native.inner.unloadAll();
    native.inner.options.loadDelayMs = 250;
    native.inner.options.failLoad = "out of memory";
    try {
      const text = await (await post("/olla/anthropic/v1/messages", ask("ai/smollm2", { stream: true }))).text();
      const events = parseEvents(text);
      expect(events[0]!.event).toBe("ping");
      expect(events.at(-1)!.data).toEqual({
        type: "error",
        error: { type: "api_error", message: "unable to load runner: error waiting for runner to be ready: out of memory" },
      });
    } finally {
      native.inner.options.loadDelayMs = 0;
      native.inner.options.failLoad = null;
    }
  });


  test("Claude Code's ?beta=true path and the stream reach DMR's native route untouched", async () => {
    const response = await post("/olla/anthropic/v1/messages?beta=true", ask("ai/smollm2", { stream: true, future_field: { x: 1 } }), {
      "anthropic-beta": "context-1m-2025-08-07",
    });
    expect(response.headers.get("x-olla-mode")).toBe("passthrough");
    // Pings may come first when the machine is slow to load the model (see the cold-load tests).
    const events = parseEvents(await response.text()).filter((e) => e.event !== "ping");
    expect(events[0]!.event).toBe("message_start");
    const sent = native.requests.at(-1)!;
    expect(sent.path).toBe("/anthropic/v1/messages");
    expect(sent.search).toBe("?beta=true");
    expect(sent.headers["anthropic-beta"]).toBe("context-1m-2025-08-07");
    expect(JSON.parse(new TextDecoder().decode(sent.body)).future_field).toEqual({ x: 1 });
  });

  test("/olla/dmr/anthropic/v1/messages[/count_tokens] pass through to DMR", async () => {
    const messages = await post("/olla/dmr/anthropic/v1/messages", ask("ai/smollm2"));
    expect(messages.status).toBe(200);
    expect((await messages.json()).type).toBe("message");
    const count = await post("/olla/dmr/anthropic/v1/messages/count_tokens", ask("ai/smollm2"));
    expect(await count.json()).toEqual({ input_tokens: expect.any(Number) });
    expect(native.requests.at(-1)!.path).toBe("/anthropic/v1/messages/count_tokens");
  });

  test("Claude Code's HEAD probe answers 200; unknown Anthropic paths are Anthropic 404s", async () => {
    expect((await fetch(`${server.url}/olla/anthropic`, { method: "HEAD" })).status).toBe(200);
    const missing = await fetch(`${server.url}/olla/anthropic/v1/complete`, { method: "POST", body: "{}" });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.type).toBe("not_found_error");
  });

  test("bad JSON and a missing model are Anthropic 400s that never reach a backend", async () => {
    const before = native.requests.length + chatOnly.requests.length;
    const bad = await fetch(`${server.url}/olla/anthropic/v1/messages`, { method: "POST", body: "{nope" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    const noModel = await post("/olla/anthropic/v1/messages", { max_tokens: 5, messages: [] });
    expect(noModel.status).toBe(400);
    expect(native.requests.length + chatOnly.requests.length).toBe(before);
  });
});

describe("model map", () => {
  test("a SIGHUP reload applies a new anthropic.model_map to the next request", async () => {
    const config = parse(readFileSync(server.configPath, "utf8"));
    const asked = () => post("/olla/anthropic/v1/messages", ask("claude-haiku-4-5"));
    expect((await asked()).headers.get("x-olla-model")).toBe("ai/qwen3");
    const mark = server.logs.length;
    config.anthropic.model_map = { "claude-*haiku*": "ai/smollm2", "claude-*": "ai/qwen3" };
    writeFileSync(server.configPath, stringify(config));
    server.signal("SIGHUP");
    await server.waitForLog((l) => server.logs.indexOf(l) >= mark && l.msg === "config reloaded", 5_000);
    const after = await asked();
    expect(after.headers.get("x-olla-model")).toBe("ai/smollm2");
    expect(after.headers.get("x-olla-mode")).toBe("passthrough");
  });
});

describe("Olla's translators.anthropic block", () => {
  test("passthrough_enabled: false translates even for DMR; max_message_size answers an Anthropic 413 naming the key", async () => {
    const other = await startServer(
      dmrConfig([{ url: native.url, name: "native", check_interval: "1s", check_timeout: "1s" }], {
        translators: { anthropic: { passthrough_enabled: false, max_message_size: "2KiB" } },
      }),
    );
    try {
      const url = `${other.url}/olla/anthropic/v1/messages`;
      const asked = await fetch(url, { method: "POST", body: JSON.stringify(ask("ai/smollm2")) });
      expect(asked.status).toBe(200);
      expect(asked.headers.get("x-olla-mode")).toBe("translation");
      const big = await fetch(url, { method: "POST", body: JSON.stringify(ask("ai/smollm2", { system: "x".repeat(4096) })) });
      expect(big.status).toBe(413);
      const body = await big.json();
      expect(body.error.type).toBe("request_too_large");
      expect(body.error.message).toContain("translators.anthropic.max_message_size");
    } finally {
      await other.stop();
    }
  });

  test("enabled: false leaves /olla/anthropic/ unrouted but keeps DMR's own /olla/dmr/anthropic/ path", async () => {
    const other = await startServer(
      dmrConfig([{ url: native.url, name: "native", check_interval: "1s", check_timeout: "1s" }], {
        translators: { anthropic: { enabled: false } },
      }),
    );
    try {
      await other.waitForLog((l) => l.msg === "endpoint healthy");
      expect((await fetch(`${other.url}/olla/anthropic/v1/messages`, { method: "POST", body: "{}" })).status).toBe(404);
      const dmr = await fetch(`${other.url}/olla/dmr/anthropic/v1/messages`, { method: "POST", body: JSON.stringify(ask("ai/smollm2")) });
      expect(dmr.status).toBe(200);
    } finally {
      await other.stop();
    }
  });
});
