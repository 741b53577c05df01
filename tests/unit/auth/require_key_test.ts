import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { KeyRing } from "../../../src/auth/key_ring.ts";
import type { InternalAccess } from "../../../src/auth/keys_config.ts";
import { assertModelAllowed, internalAccess } from "../../../src/auth/require_key.ts";
import { BodyDeadline } from "../../../src/http/body.ts";
import { admission } from "../../../src/http/admission.ts";
import { RateLimiter } from "../../../src/limits/rate_limit.ts";
import { systemClock } from "../../../src/clock.ts";
import { rateLimits } from "../_rate_limits.ts";
import type { AppEnv } from "../../../src/http/context.ts";
import { ProxyError } from "../../../src/http/errors.ts";

const KEY = "k-0123456789abcdef0123";

async function app(internal: InternalAccess, keys = true): Promise<Hono<AppEnv>> {
  const ring = new KeyRing();
  await ring.replace({
    keys: keys ? [{ name: "k", key: KEY, models: ["docker.io/ai/smollm2:latest"], requestsPerMinute: null }] : [],
    internal,
  });
  const hono = new Hono<AppEnv>();
  hono.onError((error) => (error as ProxyError).toResponse());
  hono.use("/internal/*", internalAccess(ring));
  hono.use("/olla/*", admission(ring, new RateLimiter(rateLimits(), systemClock), new BodyDeadline(0, systemClock)));
  hono.get("/internal/:what", (c) => c.text("ok"));
  hono.post("/olla/chat", (c) => {
    assertModelAllowed(c, c.req.query("model")!);
    return c.text(`ok ${c.get("apiKey")?.name}`);
  });
  return hono;
}

const from = (remoteAddress: string) => ({ remoteAddress, disableIdleTimeout() {}, canonicalTarget: true });

describe("keys on proxied routes", () => {
  test("admission() lets a known key through and names it; 401 otherwise", async () => {
    const hono = await app("loopback");
    const ok = await hono.request("/olla/chat?model=smollm2", { method: "POST", headers: { "x-api-key": KEY } }, from("10.0.0.1"));
    expect(await ok.text()).toBe("ok k");
    const denied = await hono.request("/olla/chat?model=smollm2", { method: "POST" }, from("10.0.0.1"));
    expect(denied.status).toBe(401);
  });

  test("assertModelAllowed() refuses a model outside the allow-list with 403", async () => {
    const hono = await app("loopback");
    const res = await hono.request("/olla/chat?model=ai/qwen3", { method: "POST", headers: { "x-api-key": KEY } }, from("10.0.0.1"));
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe("model_not_allowed");
  });

  test("without keys nothing is required", async () => {
    const hono = await app("open", false);
    expect((await hono.request("/olla/chat?model=x", { method: "POST" }, from("10.0.0.1"))).status).toBe(200);
  });
});

describe("internalAccess()", () => {
  test("loopback: status from the host only; health from anywhere", async () => {
    const hono = await app("loopback");
    expect((await hono.request("/internal/status", {}, from("127.0.0.1"))).status).toBe(200);
    expect((await hono.request("/internal/status", {}, from("::ffff:127.0.0.1"))).status).toBe(200);
    const remote = await hono.request("/internal/status", {}, from("192.168.1.9"));
    expect(remote.status).toBe(403);
    expect((await remote.json()).error.code).toBe("internal_forbidden");
    expect((await hono.request("/internal/health", {}, from("192.168.1.9"))).status).toBe(200);
  });

  test("keys: a key from anywhere; open: anyone", async () => {
    const keys = await app("keys");
    expect((await keys.request("/internal/status", {}, from("192.168.1.9"))).status).toBe(401);
    expect((await keys.request("/internal/status", { headers: { authorization: `Bearer ${KEY}` } }, from("192.168.1.9"))).status).toBe(200);
    const open = await app("open");
    expect((await open.request("/internal/status", {}, from("192.168.1.9"))).status).toBe(200);
  });
});
