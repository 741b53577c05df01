/**
 * Backends that answer what no backend should: impossible statuses, ids that are not valid
 * header values, garbage, a close mid-stream, megabytes of headers. The client gets a clear
 * answer and the endpoint's slot always comes back (with max_concurrent_requests: 2, two
 * leaked slots used to wedge it until restart).
 */
import { describe, expect, test } from "bun:test";
import { activeConnections, chat, hostile, proxyFor } from "./_setup.ts";

describe("a backend that breaks the rules", () => {
  test("a streamed answer with status 799 is a 502 JSON, and the slot comes back", async () => {
    const backend = hostile({ mode: "sse_status_700" });
    const server = await proxyFor(backend, { max_concurrent_requests: 2 });
    for (let i = 0; i < 3; i++) {
      const res = await chat(server, "ai/smollm2", true);
      expect(res.status).toBe(502);
      const body = await res.json();
      expect(body.error.code).toBe("upstream_bad_status");
      expect(body.error.message).toBe("target answered with an invalid HTTP status");
    }
    expect(backend.received.length).toBe(3);
    expect(await activeConnections(server)).toBe(0);
    // Not wedged: a good answer still gets through at once.
    backend.mode = "sse";
    const res = await chat(server, "ai/smollm2", true);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("[DONE]");
  });

  test("a non-streamed answer with status 700 is a 502 JSON too", async () => {
    const backend = hostile({ mode: "status_700" });
    const server = await proxyFor(backend, { max_concurrent_requests: 1 });
    const res = await chat(server, "ai/smollm2");
    expect(res.status).toBe(502);
    expect((await res.json()).error.code).toBe("upstream_bad_status");
    expect(await activeConnections(server)).toBe(0);
  });

  test("a model id that is not a valid header value is percent-encoded in X-Olla-Model; nothing leaks", async () => {
    const backend = hostile({ mode: "ok", models: ["docker.io/ai/模型:latest"] });
    const server = await proxyFor(backend, { max_concurrent_requests: 2 });
    for (let i = 0; i < 3; i++) {
      const res = await chat(server, "ai/模型");
      expect(res.status).toBe(200);
      expect(res.headers.get("x-olla-model")).toBe("ai/%E6%A8%A1%E5%9E%8B");
      await res.text();
    }
    expect(await activeConnections(server)).toBe(0);
  });

  test("a model id with CR/LF cannot inject a header", async () => {
    const backend = hostile({ mode: "sse", models: ["docker.io/ai/evil\r\nx-injected:latest"] });
    const server = await proxyFor(backend, { max_concurrent_requests: 1 });
    const res = await chat(server, "ai/evil\r\nx-injected", true);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-olla-model")).toBe("ai/evil%0D%0Ax-injected");
    await res.text();
    expect(await activeConnections(server)).toBe(0);
  });

  test("garbage instead of HTTP is a 502 naming the endpoint only", async () => {
    const backend = hostile({ mode: "garbage" });
    const server = await proxyFor(backend, { max_concurrent_requests: 1 }, { proxy: { max_attempts: 1 } });
    const res = await chat(server, "ai/smollm2");
    expect(res.status).toBe(502);
    const { error } = await res.json();
    expect(error.code).toBe("upstream_unreachable");
    expect(error.message).toContain("target");
    expect(error.message).not.toContain("127.0.0.1");
    expect(error.message).not.toContain(String(backend.port));
    expect(await activeConnections(server)).toBe(0);
  });

  test("a stream that ends without its last chunk ends the client's stream and frees the slot", async () => {
    const backend = hostile({ mode: "mid_stream_close" });
    const server = await proxyFor(backend, { max_concurrent_requests: 1 });
    const res = await chat(server, "ai/smollm2", true);
    expect(res.status).toBe(200);
    const text = await res.text().catch(() => "cut");
    expect(text.includes("[DONE]")).toBe(false);
    await server.waitForLog((l) => l.msg === "request ended early");
    expect(await activeConnections(server)).toBe(0);
  });

  test("10 MB of response headers is refused with 502, not buffered into the client", async () => {
    const backend = hostile({ mode: "huge_headers" });
    const server = await proxyFor(backend, { max_concurrent_requests: 1 }, { proxy: { max_attempts: 1 } });
    const res = await chat(server, "ai/smollm2");
    expect(res.status).toBe(502);
    expect((await res.json()).error.message).not.toContain("127.0.0.1");
    expect(await activeConnections(server)).toBe(0);
  });
});
