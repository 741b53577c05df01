import { describe, expect, test } from "bun:test";
import { holderEndpoint } from "../../../src/http/responses_routes.ts";
import { newEndpoint } from "../_endpoints.ts";
import { rejection } from "../_rejection.ts";

function healthy(name: string, url = `http://${name}:12434`) {
  const endpoint = newEndpoint(name, { url });
  endpoint.setStatus("healthy", null);
  return endpoint;
}

describe("holderEndpoint", () => {
  test("finds the endpoint by name and URL", () => {
    const a = healthy("a");
    expect(holderEndpoint([healthy("b"), a], { name: "a", url: a.config.url }, "resp_1", 409)).toBe(a);
  });

  test("an endpoint that left the config, or now has another URL, lost the state: the given status", async () => {
    const gone = await rejection(Promise.resolve().then(() => holderEndpoint([healthy("b")], { name: "a", url: "http://a:12434" }, "resp_1", 409)));
    expect(gone.status).toBe(409);
    expect(gone.code).toBe("response_state_lost");
    expect(gone.message).toContain('endpoint "a"');
    const moved = await rejection(Promise.resolve().then(() => holderEndpoint([healthy("a", "http://new:12434")], { name: "a", url: "http://a:12434" }, "resp_1", 404)));
    expect(moved.status).toBe(404);
  });

  test("a holder that is down is a 503 with Retry-After, not another endpoint", async () => {
    const down = healthy("a");
    down.setStatus("offline", "down");
    const error = await rejection(Promise.resolve().then(() => holderEndpoint([down, healthy("b")], { name: "a", url: down.config.url }, "resp_1", 409)));
    expect(error.status).toBe(503);
    expect(error.code).toBe("response_endpoint_unavailable");
    expect(error.headers["retry-after"]).toBe("1");
  });
});
