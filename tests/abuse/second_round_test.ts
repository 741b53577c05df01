/**
 * A second round of probes, written after the first suite passed, to try what it had not:
 * chunk-size tricks, non-ASCII and ;-parameter paths, case games, a 100 KB model name, ways
 * around a key's model list, two Authorization headers, and ways around the /internal gate.
 */
import { describe, expect, test } from "bun:test";
import { TEST_RUNTIME } from "../_server.ts";
import { errorOf, rawRequest } from "./_raw.ts";
import { dmrBehindProxy } from "./_setup.ts";

const KEY = "akey-0123456789abcdef";
const AUTH = `Authorization: Bearer ${KEY}\r\n`;
const BODY = '{"model":"ai/smollm2","messages":[]}';
const CHAT = "/olla/dmr/engines/v1/chat/completions";

const post = (path: string, body: string, headers = AUTH) =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\n${headers}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
const chunked = (size: string) =>
  `POST ${CHAT} HTTP/1.1\r\nHost: x\r\n${AUTH}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${size}\r\n${BODY}\r\n0\r\n\r\n`;
const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;

/** Deno's parser closes the connection without an answer where Bun answers 400 (0: no answer). */
const BAD_FRAMING = TEST_RUNTIME === "deno" ? 0 : 400;

/** name → [request, status, error code or null, requests the backend should see] */
const PROBES: Record<string, [string, number, string | null, number]> = {
  "a chunk extension (legal)": [chunked(`${BODY.length.toString(16)};ext=1`), 200, null, 1],
  "a negative chunk size": [chunked("-1"), BAD_FRAMING, null, 0],
  "a chunk size past 2^64": [chunked("ffffffffffffffffff"), BAD_FRAMING, null, 0],
  "a non-ASCII path": [post(`${CHAT.replace("completions", "complétions")}`, BODY), 404, "route_not_found", 0],
  "a ;parameter": [post(`${CHAT};x=1`, BODY), 404, "route_not_found", 0],
  "an upper-case prefix": [post(CHAT.toUpperCase(), BODY), 404, "route_not_found", 0],
  "a 100 KB model name": [post(CHAT, JSON.stringify({ model: `ai/${"m".repeat(100_000)}` })), 400, "invalid_model", 0],
  "another model in upper case": [post(CHAT, '{"model":"AI/QWEN3"}'), 403, "model_not_allowed", 0],
  "the allowed model as a duplicate key before another": [post(CHAT, '{"model":"ai/smollm2","model":"ai/qwen3"}'), 403, "model_not_allowed", 0],
  "the allowed model fully qualified": [post(CHAT, '{"model":"docker.io/ai/smollm2:latest"}'), 200, null, 1],
  "a right and a wrong Authorization header": [post(CHAT, BODY, `${AUTH}Authorization: Bearer wrong\r\n`), 401, "invalid_api_key", 0],
  "a method-override header": [post(CHAT, BODY, `${AUTH}X-HTTP-Method-Override: DELETE\r\n`), 200, null, 1],
  "/internal/status without a key": [get("/internal/status"), 401, "invalid_api_key", 0],
  "/internal/health/../status": [get("/internal/health/../status"), 404, "route_not_found", 0],
  "/internal/health%2f..%2fstatus": [get("/internal/health%2f..%2fstatus"), 404, "route_not_found", 0],
  "/INTERNAL/status": [get("/INTERNAL/status"), 404, "route_not_found", 0],
};

describe("second-round probes", () => {
  test("each gets its exact answer and the backend sees only what it should", async () => {
    const { server, posts, dmr } = await dmrBehindProxy(
      { auth: { keys: [{ name: "a", key: KEY, models: ["ai/smollm2"] }], internal: "keys" } },
      { statusHeaders: { "x-api-key": KEY }, dmr: { models: [{ tag: "docker.io/ai/smollm2:latest" }, { tag: "docker.io/ai/qwen3:latest" }] } },
    );
    for (const [name, [request, status, code, reached]] of Object.entries(PROBES)) {
      const before = posts();
      const answer = await rawRequest(server.port, request, { timeoutMs: 2000 });
      expect({ name, status: answer.status, code: code && errorOf(answer)?.code, reached: posts() - before })
        .toEqual({ name, status, code, reached });
      expect(answer.text.length).toBeLessThan(4096);
    }
    for (const request of dmr.requests) expect(JSON.stringify(request.headers)).not.toContain(KEY);
  });
});
