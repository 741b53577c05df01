/**
 * Streaming through the proxy: chunk by chunk, silence survives, client aborts reach the backend.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type DmrEmulator, startDmr } from "../emulators/dmr.ts";
import { dmrConfig, type ServerUnderTest, startServer, until } from "../_server.ts";

let dmr: DmrEmulator;
let server: ServerUnderTest;

beforeAll(async () => {
  dmr = await startDmr({ models: [{ tag: "docker.io/ai/smollm2:latest" }, { tag: "docker.io/ai/qwen3:latest" }] });
  // A 1 s idle timeout stands in for Bun's default 10 s, so a 2.5 s cold load proves silence is not cut.
  server = await startServer(dmrConfig([{ url: dmr.url, name: "dmr" }], { server: { idle_timeout: "1s" } }));
});

afterAll(async () => {
  await server?.stop();
  await dmr?.stop();
});

const chat = (body: object, init: RequestInit = {}) =>
  fetch(`${server.url}/olla/dmr/engines/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", "accept-encoding": "gzip, br" },
    body: JSON.stringify(body),
    ...init,
  });

/** Read the body, noting when each chunk arrived. */
async function timedChunks(res: Response): Promise<Array<{ at: number; text: string }>> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const chunks: Array<{ at: number; text: string }> = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    chunks.push({ at: performance.now(), text: decoder.decode(value) });
  }
}

describe("SSE pass-through", () => {
  test("each event reaches the client as it is produced, byte-identical and uncompressed", async () => {
    // 200 ms apart (1.2 s in all): wide enough that a loaded machine neither merges events
    // into one read nor delays the first past the bound below.
    dmr.options.chunkDelayMs = 200;
    dmr.options.tokens = ["one", " two", " three", " four"];
    const started = performance.now();
    const res = await chat({ model: "smollm2", messages: [{ role: "user", content: "count" }], stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(res.headers.get("content-encoding")).toBeNull();
    expect(res.headers.get("x-accel-buffering")).toBe("no");
    const chunks = await timedChunks(res);
    dmr.options.chunkDelayMs = 0;
    const text = chunks.map((c) => c.text).join("");
    const events = text.split("\n\n").filter(Boolean);
    // role, four tokens, finish, [DONE]
    expect(events).toHaveLength(7);
    expect(events.at(-1)).toBe("data: [DONE]");
    expect(events.every((e) => e.startsWith("data: "))).toBe(true);
    // Spread over time, not delivered in one burst at the end.
    const firstAt = chunks[0]!.at - started;
    const span = chunks.at(-1)!.at - chunks[0]!.at;
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    expect(span).toBeGreaterThan(800);
    // Buffered, the first byte would come after the last event is produced (1.2 s).
    expect(firstAt).toBeLessThan(1000);
  });

  test("the usage chunk with choices: [] arrives only when stream_options.include_usage is set", async () => {
    const withUsage = await (await chat({
      model: "smollm2",
      messages: [],
      stream: true,
      stream_options: { include_usage: true },
    })).text();
    const usageEvents = withUsage.split("\n\n").filter((e) => e.includes('"usage"'));
    expect(usageEvents).toHaveLength(1);
    expect(JSON.parse(usageEvents[0]!.slice(6)).choices).toEqual([]);
    const without = await (await chat({ model: "smollm2", messages: [], stream: true })).text();
    expect(without).not.toContain('"usage"');
  });

  test("a mid-stream engine error passes through and the stream ends without [DONE]", async () => {
    dmr.options.midStreamError = true;
    const text = await (await chat({ model: "smollm2", messages: [], stream: true })).text();
    dmr.options.midStreamError = false;
    expect(text).toContain('data: {"error"');
    expect(text).not.toContain("[DONE]");
  });
});

describe("silence and disconnects", () => {
  test("a cold load longer than the server idle timeout is waited for with zero bytes", async () => {
    dmr.unloadAll();
    dmr.options.loadDelayMs = 2500;
    const started = performance.now();
    const res = await chat({ model: "ai/qwen3", messages: [], stream: true });
    const headersAt = performance.now() - started;
    const text = await res.text();
    dmr.options.loadDelayMs = 0;
    expect(res.status).toBe(200);
    expect(headersAt).toBeGreaterThan(2400);
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  test("a silent gap mid-stream longer than the server idle timeout does not cut the stream", async () => {
    // Role chunk, then 1.5 s of silence (slow prefill), then finish and [DONE].
    dmr.options.chunkDelayMs = 1500;
    dmr.options.tokens = [];
    const text = await (await chat({ model: "smollm2", messages: [], stream: true })).text();
    dmr.options.chunkDelayMs = 0;
    dmr.options.tokens = ["Hello", " from", " DMR"];
    expect(text).toContain('"finish_reason":"stop"');
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  }, 10_000);

  test("a client that disconnects mid-stream aborts the backend request within a second", async () => {
    dmr.options.chunkDelayMs = 200;
    dmr.options.tokens = Array.from({ length: 50 }, (_, i) => `t${i}`);
    const controller = new AbortController();
    const res = await chat({ model: "smollm2", messages: [], stream: true }, { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    const abortedAt = performance.now();
    controller.abort();
    // The stream would run 10 s more; 3 s leaves room for a loaded machine.
    const recorded = await dmr.waitForAbort("/chat/completions", 3000);
    expect(performance.now() - abortedAt).toBeLessThan(3000);
    expect(recorded.completed).toBe(false);
    dmr.options.chunkDelayMs = 0;
    dmr.options.tokens = ["Hello", " from", " DMR"];
    const line = await server.waitForLog((l) => l.msg === "request ended early" && l.outcome === "client_closed");
    expect(line.status).toBe(200);
  });

  test("a client that disconnects during a cold load aborts the backend request too", async () => {
    dmr.unloadAll();
    dmr.options.loadDelayMs = 3000;
    const controller = new AbortController();
    const posts = dmr.requests.filter((r) => r.method === "POST").length;
    const pending = chat({ model: "smollm2", messages: [], stream: true }, { signal: controller.signal }).catch(() => null);
    // Abort once the request is at the backend (a fixed 300 ms was not always enough under load).
    await until(() => dmr.requests.filter((r) => r.method === "POST").length > posts, 2000);
    const before = dmr.requests.filter((r) => r.aborted).length;
    controller.abort();
    await pending;
    const started = performance.now();
    while (dmr.requests.filter((r) => r.aborted).length === before) {
      // The load would end ~3 s after the request; 2 s leaves room for a loaded machine.
      if (performance.now() - started > 2000) throw new Error("backend request was not aborted within 2 s");
      await Bun.sleep(10);
    }
    dmr.options.loadDelayMs = 0;
  });
});
