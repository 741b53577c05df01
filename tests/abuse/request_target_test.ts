/**
 * Request targets sent as raw bytes (a URL parser would normalise them first): anything not
 * already in canonical form is a JSON 404 on every runtime and never reaches a backend, and
 * an HTTP/1.0 request without Host keeps its whole path.
 */
import { describe, expect, test } from "bun:test";
import type { ServerUnderTest } from "../_server.ts";
import { errorOf, rawPost, rawRequest } from "./_raw.ts";
import { dmrBehindProxy } from "./_setup.ts";

const CHAT = JSON.stringify({ model: "ai/smollm2", messages: [{ role: "user", content: "hi" }] });

async function setup(): Promise<{ server: ServerUnderTest; inference: () => number }> {
  const { server, posts } = await dmrBehindProxy();
  return { server, inference: posts };
}

const NOT_CANONICAL = [
  "/olla/dmr/x/../engines/v1/chat/completions",
  "/olla/dmr/engines\\v1\\chat\\completions",
  "/a/b/c/../../../olla/dmr/engines/v1/embeddings",
  "/olla/dmr/engines/v1/./chat/completions",
  "/olla/dmr/%2e%2e/dmr/engines/v1/chat/completions",
  "/olla/dmr/engines/v1/chat/.%2E/chat/completions",
  "/olla/dmr/engines/v1/chat%2fcompletions",
  "/olla/dmr/engines/v1/chat%5ccompletions",
  "/olla/dmr/engines/v1/chat/completions%252e%252e",
  "/olla/dmr//engines/v1/chat/completions",
  "/olla/dmr/engines/v1/chat/completions#frag",
  "/olla/x/../dmr/engines/v1/chat/completions%E0%A4%A",
  "/internal/x/../ui/",
];

describe("request targets not in canonical form", () => {
  test("each is a JSON 404 and none reaches the backend", async () => {
    const { server, inference } = await setup();
    for (const target of NOT_CANONICAL) {
      const answer = await rawRequest(server.port, rawPost(target, CHAT));
      expect({ target, status: answer.status }).toEqual({ target, status: 404 });
      expect(answer.headers.get("content-type")).toContain("application/json");
      expect(errorOf(answer)?.code).toBe("route_not_found");
    }
    expect(inference()).toBe(0);
  });

  test("the canonical spelling of the same request is served", async () => {
    const { server, inference } = await setup();
    const answer = await rawRequest(server.port, rawPost("/olla/dmr/engines/v1/chat/completions", CHAT));
    expect(answer.status).toBe(200);
    expect(inference()).toBe(1);
  });

  test("an absolute-form target is served by its path only, never fetched from its host", async () => {
    const { server, inference } = await setup();
    const answer = await rawRequest(server.port, rawPost("http://169.254.169.254/olla/dmr/engines/v1/chat/completions", CHAT));
    // Bun routes by the path; Deno answers 400 to absolute-form (either way nothing goes elsewhere).
    expect([200, 400]).toContain(answer.status);
    expect(inference()).toBeLessThanOrEqual(1);
  });

  test("a path of 2,000 segments or a 60 KB query is refused cleanly", async () => {
    const { server, inference } = await setup();
    const deep = await rawRequest(server.port, rawPost(`/olla/dmr/${"a/".repeat(2000)}x`, CHAT));
    expect(deep.status).toBe(404);
    const long = await rawRequest(server.port, rawPost(`/olla/dmr/engines/v1/chat/completions?q=${"a".repeat(60_000)}`, CHAT));
    expect([200, 414, 431]).toContain(long.status);
    expect(inference()).toBeLessThanOrEqual(1);
  });
});

describe("HTTP/1.0 without a Host header", () => {
  test("a model list keeps its /olla prefix", async () => {
    const { server } = await setup();
    const answer = await rawRequest(server.port, "GET /olla/dmr/engines/v1/models HTTP/1.0\r\n\r\n");
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).data[0].id).toBe("ai/smollm2");
  });

  test("an inference request is served", async () => {
    const { server, inference } = await setup();
    const answer = await rawRequest(server.port, rawPost("/olla/dmr/engines/v1/chat/completions", CHAT, "", "1.0").replace("Host: 127.0.0.1\r\n", ""));
    expect(answer.status).toBe(200);
    expect(inference()).toBe(1);
  });

  test("dot segments are refused there too", async () => {
    const { server, inference } = await setup();
    const answer = await rawRequest(server.port, "GET /olla/x/../dmr/engines/v1/models HTTP/1.0\r\n\r\n");
    expect(answer.status).toBe(404);
    expect(inference()).toBe(0);
  });
});
