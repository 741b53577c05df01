/**
 * Framing and header probes sent as raw bytes: request smuggling (CL+TE, TE+CL, duplicate
 * Content-Length, obs-fold, unknown Transfer-Encoding), oversized headers and URLs, broken
 * request lines, CR in a request id. Each gets its exact answer on each runtime (the
 * runtimes' parsers differ: Bun answers 431 and 505 where Deno answers 400), the connection
 * closes, and nothing reaches a backend.
 */
import { describe, expect, test } from "bun:test";
import { TEST_RUNTIME } from "../_server.ts";
import { rawRequest } from "./_raw.ts";
import { dmrBehindProxy } from "./_setup.ts";

const BODY = '{"model":"ai/smollm2","messages":[]}';
const HEAD = "POST /olla/dmr/engines/v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
const CHUNKED = `${BODY.length.toString(16)}\r\n${BODY}\r\n0\r\n\r\n`;
const bun = TEST_RUNTIME !== "deno";

/** name → [request bytes, status on Bun (and the binary), status on Deno] */
const PROBES: Record<string, [string, number, number]> = {
  "Content-Length and Transfer-Encoding": [`${HEAD}Content-Length: ${BODY.length}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${CHUNKED}`, 400, 400],
  "Transfer-Encoding then a short Content-Length": [`${HEAD}Transfer-Encoding: chunked\r\nContent-Length: 4\r\nConnection: close\r\n\r\n${CHUNKED}`, 400, 400],
  "two different Content-Lengths": [`${HEAD}Content-Length: ${BODY.length}\r\nContent-Length: ${BODY.length + 1}\r\nConnection: close\r\n\r\n${BODY} `, 400, 400],
  "two equal Content-Lengths": [`${HEAD}Content-Length: ${BODY.length}\r\nContent-Length: ${BODY.length}\r\nConnection: close\r\n\r\n${BODY}`, 400, 400],
  "obs-fold header continuation": [`${HEAD}Content-Length: ${BODY.length}\r\nX-A: 1\r\n  folded\r\nConnection: close\r\n\r\n${BODY}`, 400, 400],
  "unknown Transfer-Encoding": [`${HEAD}Transfer-Encoding: xchunked\r\nConnection: close\r\n\r\n${BODY}`, 400, 400],
  "a 100 KB header": [`${HEAD}Content-Length: ${BODY.length}\r\nX-Big: ${"a".repeat(100_000)}\r\nConnection: close\r\n\r\n${BODY}`, 431, 400],
  "500 headers": [`${HEAD}Content-Length: ${BODY.length}\r\n${Array.from({ length: 500 }, (_, i) => `X-H${i}: v\r\n`).join("")}Connection: close\r\n\r\n${BODY}`, 431, 400],
  "a 200 KB URL": [`POST /olla/dmr/engines/v1/chat/completions?${"q".repeat(200_000)} HTTP/1.1\r\nHost: x\r\nContent-Length: ${BODY.length}\r\nConnection: close\r\n\r\n${BODY}`, 431, 400],
  "a bare CR in X-Request-ID": [`${HEAD}Content-Length: ${BODY.length}\r\nX-Request-ID: abc\rdef\r\nConnection: close\r\n\r\n${BODY}`, 400, 400],
  "an HTTP/0.9 request line": ["GET /olla/dmr/engines/v1/models\r\n\r\n", 505, 400],
  "HTTP/9.9": ["GET /olla/dmr/engines/v1/models HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n", 505, 400],
  "a NUL in the path": ["GET /olla/dmr/engines/v1/mod\0els HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 505, 400],
};

describe("framing and header probes", () => {
  test("each gets its exact answer, the connection closes, and no backend sees a request", async () => {
    const { server, posts } = await dmrBehindProxy();
    for (const [name, [bytes, onBun, onDeno]] of Object.entries(PROBES)) {
      const answer = await rawRequest(server.port, bytes, { timeoutMs: 2000 });
      expect({ name, statuses: answer.statuses, closed: answer.closed }).toEqual({ name, statuses: [bun ? onBun : onDeno], closed: true });
    }
    expect(posts()).toBe(0);
    // Still serving.
    const ok = await fetch(`${server.url}/olla/dmr/engines/v1/chat/completions`, { method: "POST", body: BODY });
    expect(ok.status).toBe(200);
  });

  test("a request id that is unsafe to echo is replaced, never reflected", async () => {
    const { server, dmr } = await dmrBehindProxy();
    const answer = await rawRequest(server.port, `${HEAD}Content-Length: ${BODY.length}\r\nX-Request-ID: <script>alert(1)</script>\r\nConnection: close\r\n\r\n${BODY}`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-olla-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.text).not.toContain("<script>");
    expect(dmr.requests.at(-1)!.headers["x-olla-request-id"]).toBe(answer.headers.get("x-olla-request-id")!);
  });
});
