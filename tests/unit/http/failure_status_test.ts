import { describe, expect, test } from "bun:test";
import { Failure } from "../../../src/failure.ts";
import { asProxyError, statusOf, toProxyError } from "../../../src/http/errors.ts";

describe("failure → status", () => {
  test("toProxyError() gives each reason its status and turns retryAfterSeconds into Retry-After headers", () => {
    const error = toProxyError(new Failure("model_unavailable", "down", 4));
    expect([error.status, error.code, error.message]).toEqual([503, "model_unavailable", "down"]);
    expect(error.headers).toEqual({ "retry-after": "4", "retry-after-ms": "4000" });
    expect(toProxyError(new Failure("model_not_found", "x")).headers).toEqual({});
  });

  test("statusOf() maps routing, queue and upstream reasons to the statuses clients act on", () => {
    expect(statusOf("model_not_found")).toBe(404);
    expect(statusOf("management_not_supported")).toBe(501);
    expect(statusOf("client_closed_request")).toBe(499);
    expect(statusOf("upstream_timeout")).toBe(504);
    expect(statusOf("upstream_unreachable")).toBe(502);
    expect(statusOf("queue_full")).toBe(503);
  });

  test("asProxyError() is null for errors the proxy did not make", () => {
    expect(asProxyError(new Error("boom"))).toBeNull();
  });
});
