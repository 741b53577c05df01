/**
 * server.rate_limits end to end: 429 JSON with Retry-After and X-RateLimit-*, a stream in
 * flight is never cut, per-key limits on top, X-Forwarded-For believed only from trusted
 * proxies, and the health bucket.
 */
import { describe, expect, test } from "bun:test";
import type { ServerUnderTest } from "../_server.ts";
import { dmrBehindProxy } from "./_setup.ts";

const setup = (extra: Record<string, any>) => dmrBehindProxy(extra, { dmr: { chunkDelayMs: 30 } });

function chat(server: ServerUnderTest, headers: Record<string, string> = {}, stream = false): Promise<Response> {
  return fetch(`${server.url}/olla/dmr/engines/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model: "ai/smollm2", messages: [{ role: "user", content: "hi" }], stream }),
  });
}

describe("server.rate_limits", () => {
  test("per client: the burst passes with X-RateLimit-*, the next is a 429 JSON with Retry-After; nothing reaches a backend", async () => {
    const { server, posts } = await setup({ server: { rate_limits: { per_ip_requests_per_minute: 6, burst_size: 2 } } });
    const first = await chat(server);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-limit")).toBe("6");
    expect(first.headers.get("x-ratelimit-remaining")).toBe("1");
    expect(Number(first.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000 - 1);
    expect((await chat(server)).status).toBe(200);
    const limited = await chat(server);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    const { error } = await limited.json();
    expect(error.type).toBe("rate_limit_error");
    expect(error.code).toBe("rate_limit_exceeded");
    expect(posts()).toBe(2);
    const metrics = await (await fetch(`${server.url}/internal/metrics`)).text();
    expect(metrics).toContain('tureen_rate_limit_refusals_total{scope="ip"} 1\n');
    // Limits apply to proxied routes, not to the status API.
    expect((await fetch(`${server.url}/internal/status`)).status).toBe(200);
  });

  test("a stream in flight is never cut when the limit is reached", async () => {
    const { server } = await setup({ server: { rate_limits: { global_requests_per_minute: 1, burst_size: 1 } } });
    const stream = await chat(server, {}, true);
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    await reader.read();
    expect((await chat(server)).status).toBe(429);
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain("[DONE]");
  });

  test("a key's requests_per_minute applies on top of the server limits", async () => {
    const { server } = await setup({ auth: { keys: [{ name: "small", key: "small-0123456789abcdef", requests_per_minute: 1 }, { name: "big", key: "big-0123456789abcdef00" }] } });
    expect((await chat(server, { "x-api-key": "small-0123456789abcdef" })).status).toBe(200);
    const limited = await chat(server, { "x-api-key": "small-0123456789abcdef" });
    expect(limited.status).toBe(429);
    expect((await limited.json()).error.message).toContain('key "small"');
    expect((await chat(server, { "x-api-key": "big-0123456789abcdef00" })).status).toBe(200);
  });

  test("X-Forwarded-For names the client only behind a trusted proxy", async () => {
    const limits = { per_ip_requests_per_minute: 1, burst_size: 1, trust_proxy_headers: true };
    const trusted = await setup({ server: { rate_limits: { ...limits, trusted_proxy_cidrs: ["127.0.0.0/8"] } } });
    expect((await chat(trusted.server, { "x-forwarded-for": "203.0.113.1" })).status).toBe(200);
    expect((await chat(trusted.server, { "x-forwarded-for": "203.0.113.2" })).status).toBe(200);
    expect((await chat(trusted.server, { "x-forwarded-for": "203.0.113.1" })).status).toBe(429);
    const untrusted = await setup({ server: { rate_limits: { ...limits, trusted_proxy_cidrs: ["10.0.0.0/8"] } } });
    expect((await chat(untrusted.server, { "x-forwarded-for": "203.0.113.1" })).status).toBe(200);
    // Spoofing another address does not buy a fresh bucket.
    expect((await chat(untrusted.server, { "x-forwarded-for": "203.0.113.2" })).status).toBe(429);
  });

  test("health_requests_per_minute limits /internal/health", async () => {
    const { server } = await setup({ server: { rate_limits: { health_requests_per_minute: 2, burst_size: 2 } } });
    expect((await fetch(`${server.url}/internal/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/internal/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/internal/health`)).status).toBe(429);
  });
});
