import { describe, expect, test } from "bun:test";
import { ResponseAffinity } from "../../../src/routing/response_affinity.ts";
import { FakeClock } from "../_fake_clock.ts";

const a = { name: "a", url: "http://a:12434" };
const b = { name: "b", url: "http://b:12434" };

function store(maxEntries = 3, ttlMs = 1_000) {
  const clock = new FakeClock();
  return { clock, affinity: new ResponseAffinity({ clock, maxEntries, ttlMs }) };
}

describe("ResponseAffinity", () => {
  test("remembers which endpoint holds a response, and forgets on request", () => {
    const { affinity } = store();
    affinity.remember("resp_1", a);
    affinity.remember("resp_2", b);
    expect(affinity.lookup("resp_1")).toEqual(a);
    expect(affinity.lookup("resp_2")).toEqual(b);
    expect(affinity.lookup("resp_3")).toBeNull();
    affinity.forget("resp_1");
    expect(affinity.lookup("resp_1")).toBeNull();
  });

  test("an entry expires after the TTL without use; each use extends it", async () => {
    const { clock, affinity } = store(10, 1_000);
    affinity.remember("used", a);
    affinity.remember("idle", b);
    await clock.advance(600);
    expect(affinity.lookup("used")).toEqual(a);
    await clock.advance(600);
    expect(affinity.lookup("idle")).toBeNull();
    expect(affinity.lookup("used")).toEqual(a);
    await clock.advance(1_000);
    expect(affinity.lookup("used")).toBeNull();
    expect(affinity.size).toBe(0);
  });

  test("the least recently used entry goes first past the bound", () => {
    const { affinity } = store(3);
    affinity.remember("r1", a);
    affinity.remember("r2", a);
    affinity.remember("r3", a);
    affinity.lookup("r1");
    affinity.remember("r4", b);
    expect(affinity.size).toBe(3);
    expect(affinity.lookup("r2")).toBeNull();
    expect(affinity.lookup("r1")).toEqual(a);
    expect(affinity.lookup("r4")).toEqual(b);
  });

  test("expired entries are swept on insert, so idle ones do not hold memory", async () => {
    const { clock, affinity } = store(100, 1_000);
    for (let i = 0; i < 50; i++) affinity.remember(`old${i}`, a);
    await clock.advance(1_001);
    affinity.remember("new", b);
    expect(affinity.size).toBe(1);
  });
});
