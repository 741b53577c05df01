import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import type { AppEnv } from "../../../src/http/context.ts";
import { canonicalTarget, isCanonicalPath } from "../../../src/http/canonical_target.ts";
import { ProxyError } from "../../../src/http/errors.ts";

describe("canonicalTarget()", () => {
  test("isCanonicalPath() refuses what a parser would change or could read two ways", () => {
    for (const path of ["/a/../b", "/a/%2e%2e/b", "/a/%2E/b", "/a%5Cb", "/a\\b", "/a//b", "/a/./b", "/a/."]) {
      expect({ path, ok: isCanonicalPath(path) }).toEqual({ path, ok: false });
    }
    expect(isCanonicalPath("/olla/dmr/engines/v1/chat/completions")).toBe(true);
    // How SDKs send a model id with a slash; routes match exact paths, so it is never a separator.
    expect(isCanonicalPath("/olla/anthropic/v1/models/ai%2Fsmollm2")).toBe(true);
    expect(isCanonicalPath("/a/b.c/..d")).toBe(false);
  });

  test("the middleware answers 404 JSON when the runtime flagged the target or it carries a fragment", async () => {
    const app = new Hono<AppEnv>();
    app.onError((error) => (error as ProxyError).toResponse());
    app.use(canonicalTarget());
    app.get("*", (c) => c.text("routed"));
    const env = (canonicalTarget: boolean) => ({ remoteAddress: "", disableIdleTimeout() {}, canonicalTarget });
    expect(await (await app.request("/olla/dmr/x", {}, env(true))).text()).toBe("routed");
    const flagged = await app.request("/olla/dmr/x", {}, env(false));
    expect(flagged.status).toBe(404);
    expect((await flagged.json()).error.code).toBe("route_not_found");
    expect((await app.request(new Request("http://h/olla/dmr/x#f"), {}, env(true))).status).toBe(404);
  });
});
