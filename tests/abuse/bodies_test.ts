/**
 * Request bodies that are not what they claim: malformed, deeply nested, over the limit,
 * not UTF-8, compressed, a model name with CR/LF. Each is a clear JSON error and none is
 * forwarded.
 */
import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { errorOf, rawRequest } from "./_raw.ts";
import { dmrBehindProxy } from "./_setup.ts";

const HEAD = "POST /olla/dmr/engines/v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n";
const encoder = new TextEncoder();

function post(body: Uint8Array | string, extra = ""): Uint8Array {
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  return new Uint8Array([...encoder.encode(`${HEAD}${extra}Content-Length: ${bytes.length}\r\n\r\n`), ...bytes]);
}

const NESTED = `{"model":"ai/smollm2","x":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;

/** name → [body, extra headers, status, error code] */
const CASES: Record<string, [Uint8Array | string, string, number, string]> = {
  "truncated JSON": ['{"model":', "", 400, "invalid_json"],
  "a JSON array": ['[{"model":"ai/smollm2"}]', "", 400, "invalid_request"],
  "no model": ['{"messages":[]}', "", 400, "model_required"],
  "100,000 levels of nesting": [NESTED, "", 400, "invalid_json"],
  "bytes that are not UTF-8": [new Uint8Array([...encoder.encode('{"model":"ai/smollm2'), 0xff, 0xfe, 0x22, 0x7d]), "", 400, "invalid_encoding"],
  "a gzip body": [gzipSync('{"model":"ai/smollm2"}'), "Content-Encoding: gzip\r\n", 415, "unsupported_content_encoding"],
  "a model with CR/LF": ['{"model":"ai/smollm2\\r\\nX-Evil: 1"}', "", 404, "model_not_found"],
};

describe("hostile request bodies", () => {
  test("each is a JSON error with its exact status and code, and none reaches a backend", async () => {
    const { server, posts } = await dmrBehindProxy({ server: { request_limits: { max_body_size: "1MB" } } });
    for (const [name, [body, extra, status, code]] of Object.entries(CASES)) {
      const answer = await rawRequest(server.port, post(body, extra));
      expect({ name, status: answer.status, code: errorOf(answer)?.code }).toEqual({ name, status, code });
      expect(answer.text).not.toContain("X-Evil: 1\r\n");
    }
    const huge = await fetch(`${server.url}/olla/dmr/engines/v1/chat/completions`, { method: "POST", body: "x".repeat(2 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    expect(posts()).toBe(0);
  });
});
