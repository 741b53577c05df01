import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { accessLog } from "../../../src/http/access_log.ts";
import type { AppEnv, BodyEnd } from "../../../src/http/context.ts";
import { Stats } from "../../../src/metrics/stats.ts";
import { TrafficMetrics } from "../../../src/metrics/traffic.ts";
import { recordingLogger } from "../_endpoints.ts";
import { FakeClock, tick } from "../_fake_clock.ts";

function setup(enabled = true) {
  const clock = new FakeClock(1_000);
  const logger = recordingLogger();
  const stats = new Stats(clock.now());
  let finished = 0;
  const app = new Hono<AppEnv>();
  app.use(accessLog({ logger, clock, stats, enabled, inFlight: { begin: () => () => void finished++ } }));
  return { app, clock, logger, stats, finishedCount: () => finished };
}

describe("accessLog()", () => {
  test("accessLog() writes one info line with id, method, path, model, endpoint, status, duration and ttfb", async () => {
    const { app, clock, logger, stats, finishedCount } = setup();
    app.post("/olla/dmr/x", (c) => {
      const record = c.get("record");
      record.model = "ai/smollm2";
      record.endpoint = "gpu";
      clock.now = () => 1_030;
      return c.text("ok");
    });
    const res = await app.request("/olla/dmr/x", { method: "POST", headers: { "x-request-id": "req-1" } });
    expect(res.headers.get("x-olla-request-id")).toBe("req-1");
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatchObject({
      level: "info",
      message: "request",
      fields: { request_id: "req-1", method: "POST", path: "/olla/dmr/x", model: "ai/smollm2", endpoint: "gpu", status: 200, duration_ms: 30, ttfb_ms: 30 },
    });
    expect(stats.byModel.get("ai/smollm2")!.counters.successes).toBe(1);
    expect(finishedCount()).toBe(1);
  });

  test("accessLog() waits for a relayed body to end, then logs ttfb and outcome; an early end is a warning and a failure", async () => {
    const { app, clock, logger, stats, finishedCount } = setup();
    let end!: (value: BodyEnd) => void;
    app.post("/stream", (c) => {
      const record = c.get("record");
      record.model = "ai/smollm2";
      record.bodyEnd = new Promise((resolve) => (end = resolve));
      return c.text("streaming");
    });
    await app.request("/stream", { method: "POST" });
    expect(logger.lines).toHaveLength(0);
    expect(finishedCount()).toBe(0);
    clock.now = () => 1_500;
    end({ end: "upstream_error", bytes: 42, firstByteAt: 1_100, error: new Error("reset") });
    await tick();
    expect(logger.lines[0]).toMatchObject({
      level: "warn",
      message: "request ended early",
      fields: { ttfb_ms: 100, duration_ms: 500, bytes: 42, outcome: "upstream_error" },
    });
    expect(stats.byModel.get("ai/smollm2")!.counters.failures).toBe(1);
    expect(finishedCount()).toBe(1);
  });

  test("accessLog() logs liveness probes at debug, and nothing when request logging is off, while still counting stats", async () => {
    const quiet = setup();
    quiet.app.get("/internal/health", (c) => c.json({ status: "healthy" }));
    await quiet.app.request("/internal/health");
    expect(quiet.logger.lines.map((l) => l.level)).toEqual(["debug"]);

    const off = setup(false);
    off.app.post("/x", (c) => {
      c.get("record").model = "ai/x";
      return c.text("ok");
    });
    await off.app.request("/x", { method: "POST" });
    expect(off.logger.lines).toHaveLength(0);
    expect(off.stats.total.requests).toBe(1);
  });

  test("accessLog() counts a client that left as neither success nor failure", async () => {
    const { app, stats } = setup();
    app.post("/x", (c) => {
      c.get("record").model = "ai/x";
      return c.json({ error: {} }, 499 as 400);
    });
    await app.request("/x", { method: "POST" });
    const counters = stats.byModel.get("ai/x")!.counters;
    expect([counters.requests, counters.successes, counters.failures]).toEqual([1, 0, 0]);
  });

  test("accessLog() adds tokens, ttft and the key name, and counts a proxy route's request in the traffic metrics once", async () => {
    const clock = new FakeClock(1_000);
    const logger = recordingLogger();
    const traffic = new TrafficMetrics();
    const app = new Hono<AppEnv>();
    app.use(accessLog({ logger, clock, stats: new Stats(clock.now()), traffic, enabled: true }));
    let end!: (value: BodyEnd) => void;
    app.post("/olla/dmr/engines/v1/chat/completions", (c) => {
      const record = c.get("record");
      Object.assign(record, { model: "ai/smollm2", endpoint: "gpu", route: "chat", keyName: "ci-bot" });
      record.bodyEnd = new Promise((resolve) => (end = resolve));
      return c.text("streaming");
    });
    await app.request("/olla/dmr/engines/v1/chat/completions", { method: "POST" });
    expect(traffic.requests.total()).toBe(0);
    clock.now = () => 1_400;
    const usage = { firstTokenAt: 1_150, read: () => ({ input: 12, output: 7, outputPerSecond: null }) };
    end({ end: "complete", bytes: 300, firstByteAt: 1_100, usage });
    await tick();
    expect(logger.lines[0]!.fields).toMatchObject({ tokens_in: 12, tokens_out: 7, ttft_ms: 150, ttfb_ms: 100, key: "ci-bot" });
    expect(traffic.requests.get(["chat", "ai/smollm2", "gpu", "200", "success"])).toBe(1);
    expect(traffic.completionTokens.get(["gpu", "ai/smollm2"])).toBe(7);
  });
});
