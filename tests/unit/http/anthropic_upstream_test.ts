import { describe, expect, test } from "bun:test";
import { outcomeWithin, upstreamOf } from "../../../src/http/anthropic_upstream.ts";
import { ProxyError } from "../../../src/http/errors.ts";
import type { ForwardOutcome } from "../../../src/proxying/forward.ts";
import { FakeClock } from "../_fake_clock.ts";

const outcome = (response: Response) => Promise.resolve({ response } as ForwardOutcome);

describe("upstreamOf", () => {
  test("a 2xx event stream is relayed", async () => {
    const up = await upstreamOf(outcome(new Response("data: x\n\n", { headers: { "content-type": "text/event-stream" } })));
    expect(up.kind).toBe("stream");
  });

  test("an Anthropic-shaped backend error keeps its body, status and type", async () => {
    const body = '{"type":"error","error":{"type":"overloaded_error","message":"busy"}}';
    expect(await upstreamOf(outcome(new Response(body, { status: 529 })))).toEqual({
      kind: "error",
      status: 529,
      type: "overloaded_error",
      message: "busy",
      body,
    });
  });

  test("DMR's text/plain error keeps its wording; a 2xx that is not a stream is a 502", async () => {
    expect(await upstreamOf(outcome(new Response("model not found\n", { status: 404 })))).toEqual({
      kind: "error",
      status: 404,
      type: "not_found_error",
      message: "model not found",
    });
    const notStream = await upstreamOf(outcome(new Response("{}", { headers: { "content-type": "application/json" } })));
    expect(notStream).toMatchObject({ kind: "error", status: 502, type: "api_error" });
  });

  test("a ProxyError (no endpoint, timeout) maps to its status", async () => {
    const up = await upstreamOf(Promise.reject(new ProxyError(503, "model_unavailable", "all down")));
    expect(up).toEqual({ kind: "error", status: 503, type: "overloaded_error", message: "all down" });
  });
});

describe("outcomeWithin", () => {
  test("the outcome in time, a failure in time rethrown, null while the backend is silent", async () => {
    const clock = new FakeClock();
    const answered = { response: new Response("") } as ForwardOutcome;
    expect(await outcomeWithin(Promise.resolve(answered), 100, clock)).toBe(answered);
    const failure = new ProxyError(404, "model_not_found", "no");
    await expect(outcomeWithin(Promise.reject(failure), 100, clock)).rejects.toBe(failure);
    const silent = outcomeWithin(new Promise(() => {}), 100, clock);
    await clock.advance(100);
    expect(await silent).toBeNull();
  });
});
