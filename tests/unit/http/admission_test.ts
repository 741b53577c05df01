import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { KeyRing } from "../../../src/auth/key_ring.ts";
import { BodyDeadline } from "../../../src/http/body.ts";
import { admission } from "../../../src/http/admission.ts";
import type { AppEnv } from "../../../src/http/context.ts";
import type { ProxyError } from "../../../src/http/errors.ts";
import { RateLimiter } from "../../../src/limits/rate_limit.ts";
import { FakeClock } from "../_fake_clock.ts";
import { rateLimits } from "../_rate_limits.ts";

const KEY = "k-0123456789abcdef0123";
const from = (remoteAddress: string) => ({ remoteAddress, disableIdleTimeout() {}, canonicalTarget: true });

function app(ring: KeyRing, limiter: RateLimiter, clock: FakeClock): Hono<AppEnv> {
  const hono = new Hono<AppEnv>();
  hono.onError((error) => (error as ProxyError).toResponse());
  hono.use("/olla/*", admission(ring, limiter, new BodyDeadline(1234, clock)));
  hono.post("/olla/chat", (c) => c.json({ deadline: c.get("bodyDeadline")?.ms, client: c.get("client")?.ip ?? null }));
  return hono;
}

const post = (hono: Hono<AppEnv>, headers: Record<string, string> = {}) =>
  hono.request("/olla/chat", { method: "POST", headers }, from("10.0.0.7"));

describe("admission()", () => {
  test("with no keys and no limits: the request passes with its body deadline and nothing else", async () => {
    const clock = new FakeClock();
    const res = await post(app(new KeyRing(), new RateLimiter(rateLimits(), clock), clock));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ deadline: 1234, client: null });
    expect(res.headers.get("x-ratelimit-limit")).toBeNull();
  });

  test("limits and keys turned on by a reload apply to the next request", async () => {
    const clock = new FakeClock();
    const ring = new KeyRing();
    const limiter = new RateLimiter(rateLimits(), clock);
    const hono = app(ring, limiter, clock);
    expect((await post(hono)).status).toBe(200);
    limiter.configure(rateLimits({ per_ip_requests_per_minute: 60, burst_size: 1 }));
    const first = await post(hono);
    expect(first.status).toBe(200);
    expect((await first.json()).client).toBe("10.0.0.7");
    expect(first.headers.get("x-ratelimit-remaining")).toBe("0");
    expect((await post(hono)).status).toBe(429);
    limiter.configure(rateLimits());
    await ring.replace({ keys: [{ name: "k", key: KEY, models: null, requestsPerMinute: null }], internal: "open" });
    expect((await post(hono)).status).toBe(401);
    expect((await post(hono, { "x-api-key": KEY })).status).toBe(200);
  });

  test("a key refused after the client's bucket admitted it carries that bucket's headers", async () => {
    const clock = new FakeClock();
    const ring = new KeyRing();
    await ring.replace({ keys: [{ name: "k", key: KEY, models: null, requestsPerMinute: null }], internal: "open" });
    const hono = app(ring, new RateLimiter(rateLimits({ global_requests_per_minute: 60, burst_size: 5 }), clock), clock);
    const refused = await post(hono, { "x-api-key": "wrong-0123456789abcdef" });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe("Bearer");
    expect(refused.headers.get("x-ratelimit-limit")).toBe("60");
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("4");
  });

  test("a key's own limit: its 429 shows its own empty bucket, not the roomier client bucket", async () => {
    const clock = new FakeClock();
    const ring = new KeyRing();
    await ring.replace({ keys: [{ name: "k", key: KEY, models: null, requestsPerMinute: 1 }], internal: "open" });
    const hono = app(ring, new RateLimiter(rateLimits({ per_ip_requests_per_minute: 600 }), clock), clock);
    const admitted = await post(hono, { "x-api-key": KEY });
    expect(admitted.status).toBe(200);
    expect(admitted.headers.get("x-ratelimit-limit")).toBe("1");
    const limited = await post(hono, { "x-api-key": KEY });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("x-ratelimit-limit")).toBe("1");
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
  });
});
