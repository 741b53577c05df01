/**
 * HealthChecker.add/remove, used by hot reload: an added endpoint is probed at once and on
 * its interval; a removed one is never probed again, even when a probe was under way.
 */
import { describe, expect, test } from "bun:test";
import type { Endpoint } from "../../../src/endpoints/endpoint.ts";
import { HealthChecker } from "../../../src/health/checker.ts";
import { ModelDiscovery } from "../../../src/models/discovery.ts";
import { newEndpoint, recordingLogger } from "../_endpoints.ts";
import { deferred, FakeClock, tick } from "../_fake_clock.ts";

const okList = () => Response.json({ object: "list", data: [] });

function setup(endpoints: Endpoint[], answer: (url: string) => Promise<Response> = () => Promise.resolve(okList())) {
  const clock = new FakeClock();
  const calls: string[] = [];
  const fetch = (url: string) => {
    calls.push(url);
    return answer(url);
  };
  const logger = recordingLogger();
  const discovery = new ModelDiscovery({ endpoints, fetch, clock, logger, intervalMs: 60_000, timeoutMs: 1_000, enabled: true });
  const checker = new HealthChecker({ endpoints, fetch, clock, logger, discovery });
  // Health probes only (a probe may also read other DMR paths).
  const count = (name: string) => calls.filter((u) => u === `http://${name}:12434/engines/v1/models`).length;
  return { clock, checker, count };
}

describe("HealthChecker.add/remove", () => {
  test("an added endpoint is probed at once, then on its own interval", async () => {
    const a = newEndpoint("a");
    const endpoints = [a];
    const { clock, checker, count } = setup(endpoints);
    checker.start();
    await tick();
    const b = newEndpoint("b", { checkIntervalMs: 300 });
    endpoints.push(b);
    checker.add(b);
    expect(count("b")).toBe(1);
    await tick();
    expect(b.status).toBe("healthy");
    await clock.advance(900);
    expect(count("b")).toBe(4);
    checker.stop();
  });

  test("add does nothing after stop", () => {
    const { checker, count } = setup([]);
    checker.stop();
    checker.add(newEndpoint("b"));
    expect(count("b")).toBe(0);
  });

  test("a removed endpoint is not probed again", async () => {
    const a = newEndpoint("a");
    const { clock, checker, count } = setup([a]);
    checker.start();
    await tick();
    checker.remove(a);
    const before = count("a");
    await clock.advance(10_000);
    expect(count("a")).toBe(before);
    expect(a.nextCheckAt).toBeNull();
    checker.stop();
  });

  test("a probe under way when the endpoint is removed does not schedule another", async () => {
    const a = newEndpoint("a");
    const slow = deferred<Response>();
    let first = true;
    const { clock, checker, count } = setup([a], (url) => {
      if (first && url.endsWith("/engines/v1/models")) {
        first = false;
        return slow.promise;
      }
      return Promise.resolve(okList());
    });
    checker.start();
    expect(count("a")).toBe(1);
    checker.remove(a);
    slow.resolve(okList()); // the probe ends after removal and re-arms its timer
    await tick();
    await clock.advance(10_000);
    expect(count("a")).toBe(1);
    checker.stop();
  });

  test("live traffic still on a removed endpoint cannot restart its probes via markOffline", async () => {
    const a = newEndpoint("a");
    const { clock, checker, count } = setup([a]);
    checker.start();
    await tick();
    a.takeSlot();
    checker.remove(a);
    await clock.advance(5_000);
    checker.markOffline(a, "connection refused");
    await clock.advance(10_000);
    a.releaseSlot();
    await clock.advance(10_000);
    expect(count("a")).toBe(1);
    checker.stop();
  });
});
