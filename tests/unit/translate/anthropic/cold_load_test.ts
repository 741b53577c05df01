import { describe, expect, test } from "bun:test";
import { pingWhileLoading, settledWithin } from "../../../../src/translate/anthropic/cold_load.ts";
import type { Upstream } from "../../../../src/translate/anthropic/stream_pipe.ts";
import { FakeClock, tick } from "../../_fake_clock.ts";

const PING_MS = 15_000;

function read(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  let text = "";
  const done = (async () => {
    const decoder = new TextDecoder();
    for (;;) {
      const result = await reader.read();
      if (result.done) return;
      text += decoder.decode(result.value);
    }
  })();
  return { reader, done, text: () => text };
}

describe("settledWithin", () => {
  test("the value when the promise settles in time, null when the time runs out first", async () => {
    const clock = new FakeClock();
    expect(await settledWithin(Promise.resolve(7), 100, clock)).toBe(7);
    expect(clock.pending).toBe(0);
    const slow = settledWithin(new Promise(() => {}), 100, clock);
    await clock.advance(100);
    expect(await slow).toBeNull();
  });
});

describe("pingWhileLoading", () => {
  test("a ping at once and one per interval until the backend answers, then its bytes untouched", async () => {
    const clock = new FakeClock();
    let answer!: (u: Upstream) => void;
    const ends: string[] = [];
    const out = read(pingWhileLoading({
      upstream: new Promise((resolve) => (answer = resolve)),
      clock,
      pingIntervalMs: PING_MS,
      onEnd: (end) => ends.push(end),
    }));
    await tick();
    expect(out.text()).toBe("event: ping\ndata: {\"type\":\"ping\"}\n\n");
    await clock.advance(2 * PING_MS);
    expect(out.text().match(/event: ping/g)).toHaveLength(3);
    const backend = "event: message_start\ndata: {\"type\":\"message_start\"}\n\n";
    answer({ kind: "stream", body: new Response(backend).body! });
    await out.done;
    expect(out.text().endsWith(backend)).toBe(true);
    expect(ends).toEqual(["complete"]);
    expect(clock.pending).toBe(0);
  });

  test("a backend error after the pings is one error event: the backend's Anthropic body verbatim, or built", async () => {
    const verbatim = '{"type":"error","error":{"type":"overloaded_error","message":"busy"},"request_id":"req_1"}';
    for (const [upstream, data] of [
      [{ kind: "error", status: 529, type: "overloaded_error", message: "busy", body: verbatim }, verbatim],
      [{ kind: "error", status: 500, type: "api_error", message: "load failed" }, '{"type":"error","error":{"type":"api_error","message":"load failed"}}'],
    ] as const) {
      const out = read(pingWhileLoading({ upstream: Promise.resolve(upstream), clock: new FakeClock(), pingIntervalMs: PING_MS }));
      await out.done;
      expect(out.text()).toEndWith(`event: error\ndata: ${data}\n\n`);
    }
  });

  test("a client that leaves stops the pings and cancels a backend that answers later", async () => {
    const clock = new FakeClock();
    let answer!: (u: Upstream) => void;
    let cancelled = false;
    const out = read(pingWhileLoading({ upstream: new Promise((resolve) => (answer = resolve)), clock, pingIntervalMs: PING_MS }));
    await tick();
    await out.reader.cancel();
    expect(clock.pending).toBe(0);
    answer({ kind: "stream", body: new ReadableStream({ cancel: () => void (cancelled = true) }) });
    await tick();
    expect(cancelled).toBe(true);
  });
});
