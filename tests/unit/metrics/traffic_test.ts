import { describe, expect, test } from "bun:test";
import { type FinishedRequest, routeOfPath, TrafficMetrics } from "../../../src/metrics/traffic.ts";

const request = (over: Partial<FinishedRequest> = {}): FinishedRequest => ({
  id: "req-1",
  route: "chat",
  model: "ai/m",
  endpoint: "e1",
  status: 200,
  outcome: "success",
  startedAt: 1000,
  endedAt: 3000,
  firstByteAt: 1100,
  firstTokenAt: 1500,
  bytes: 100,
  usage: { input: 10, output: 31, outputPerSecond: null },
  path: "/olla/dmr/engines/v1/chat/completions",
  ...over,
});

describe("TrafficMetrics", () => {
  test("a finished request lands in every family it touches", () => {
    const m = new TrafficMetrics();
    m.finished(request());
    expect(m.requests.get(["chat", "ai/m", "e1", "200", "success"])).toBe(1);
    expect(m.promptTokens.get(["e1", "ai/m"])).toBe(10);
    expect(m.completionTokens.get(["e1", "ai/m"])).toBe(31);
    const text = m.registry.render();
    expect(text).toContain('tureen_request_duration_seconds_sum{route="chat",model="ai/m",endpoint="e1"} 2');
    expect(text).toContain('tureen_time_to_first_token_seconds_sum{route="chat",model="ai/m",endpoint="e1"} 0.5');
    expect(text).toContain('tureen_time_to_first_byte_seconds_sum{route="chat",model="ai/m",endpoint="e1"} 0.1');
    // 31 tokens over the 1.5 s after the first token.
    expect(m.byModel.get("ai/m")!.tokensPerSecond.percentile(50)).toBeCloseTo(31 / 1.5, 5);
    expect(m.trafficBytes.get("e1")).toBe(100);
    expect(m.recentErrors()).toEqual([]);
  });

  test("the backend's own speed wins over the measured one; no speed from one token", () => {
    const m = new TrafficMetrics();
    m.finished(request({ usage: { input: 1, output: 5, outputPerSecond: 88 } }));
    m.finished(request({ usage: { input: 1, output: 1, outputPerSecond: null } }));
    expect(m.byModel.get("ai/m")!.tokensPerSecond.summary().max_ms).toBe(88);
    expect(m.registry.render()).toContain('tureen_output_tokens_per_second_count{endpoint="e1",model="ai/m"} 1');
  });

  test("errors keep their request id and message, newest first, at most 20", () => {
    const m = new TrafficMetrics();
    for (let i = 0; i < 25; i++) m.finished(request({ id: `r${i}`, status: 502, outcome: "failure", error: `boom ${i}`, endedAt: 3000 + i }));
    m.finished(request({ id: "broken", outcome: "failure", usage: null }));
    const errors = m.recentErrors();
    expect(errors).toHaveLength(20);
    expect(errors[0]).toMatchObject({ request_id: "broken", status: 200, message: "HTTP 200" });
    expect(errors[1]).toMatchObject({ request_id: "r24", status: 502, message: "boom 24", model: "ai/m", endpoint: "e1" });
  });

  test("413s count as size-limit refusals; refusal and failover hooks count by label", () => {
    const m = new TrafficMetrics();
    m.finished(request({ status: 413, endpoint: undefined, usage: null, firstTokenAt: null }));
    m.authRefused("unknown_key");
    m.authRefused("unknown_key");
    m.rateLimited("ip");
    m.failover("e1", "connection_refused");
    m.coldLoad("e1", "ai/m", false);
    m.coldLoad("e1", "ai/m", true);
    expect(m.sizeLimitRefusals).toBe(1);
    expect(m.authRefusals.get(["unknown_key"])).toBe(2);
    expect(m.rateLimitRefusals.total()).toBe(1);
    expect(m.failovers.get(["e1", "connection_refused"])).toBe(1);
    expect(m.coldLoads.get(["e1", "ai/m"])).toBe(1);
    expect(m.coldLoadsJoined.get(["e1", "ai/m"])).toBe(1);
  });

  test("a client that left is counted but not in the latency window", () => {
    const m = new TrafficMetrics();
    m.finished(request({ outcome: "client_closed", status: 200 }));
    expect(m.requests.get(["chat", "ai/m", "e1", "200", "client_closed"])).toBe(1);
    expect(m.byModel.get("ai/m")!.duration.percentile(50)).toBeNull();
  });
});

describe("routeOfPath()", () => {
  test("names the API a proxied path used", () => {
    expect(routeOfPath("/olla/dmr/engines/v1/chat/completions")).toBe("chat");
    expect(routeOfPath("/olla/dmr/engines/llama.cpp/v1/embeddings")).toBe("embeddings");
    expect(routeOfPath("/olla/dmr/anthropic/v1/messages")).toBe("messages");
    expect(routeOfPath("/olla/dmr/engines/v1/responses/resp_123")).toBe("responses");
    expect(routeOfPath("/olla/dmr/rerank")).toBe("rerank");
    expect(routeOfPath("/")).toBe("other");
  });
});
