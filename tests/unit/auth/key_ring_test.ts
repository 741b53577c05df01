import { describe, expect, test } from "bun:test";
import { KeyRing, presentedKey } from "../../../src/auth/key_ring.ts";
import type { InboundAuth } from "../../../src/auth/keys_config.ts";

const auth = (...keys: Array<[string, string]>): InboundAuth => ({
  keys: keys.map(([name, key]) => ({ name, key, models: null, requestsPerMinute: null })),
  internal: "loopback",
});

describe("KeyRing", () => {
  test("KeyRing.identify() finds the matching key and refuses any other", async () => {
    const ring = new KeyRing();
    expect(ring.enabled).toBe(false);
    await ring.replace(auth(["alice", "a-key-0123456789abcdef"], ["bob", "b-key-0123456789abcdef"]));
    expect(ring.enabled).toBe(true);
    expect((await ring.identify("b-key-0123456789abcdef"))?.name).toBe("bob");
    expect(await ring.identify("b-key-0123456789abcdeF")).toBeNull();
    expect(await ring.identify("")).toBeNull();
  });

  test("KeyRing.replace() revokes keys that are gone and adds new ones", async () => {
    const ring = new KeyRing();
    await ring.replace(auth(["alice", "a-key-0123456789abcdef"]));
    await ring.replace(auth(["carol", "c-key-0123456789abcdef"]));
    expect(await ring.identify("a-key-0123456789abcdef")).toBeNull();
    expect((await ring.identify("c-key-0123456789abcdef"))?.name).toBe("carol");
    expect(ring.internal).toBe("loopback");
  });

  test("KeyRing.replace() calls that finish out of order leave the last one in force", async () => {
    const ring = new KeyRing();
    const first = ring.replace(auth(["old", "o-key-0123456789abcdef"]));
    const second = ring.replace(auth(["new", "n-key-0123456789abcdef"]));
    await Promise.all([second, first]);
    expect((await ring.identify("n-key-0123456789abcdef"))?.name).toBe("new");
    expect(await ring.identify("o-key-0123456789abcdef")).toBeNull();
  });
});

describe("presentedKey()", () => {
  test("presentedKey() reads Bearer (any case) and x-api-key, and nothing else", () => {
    expect(presentedKey(new Headers({ authorization: "Bearer abc" }))).toBe("abc");
    expect(presentedKey(new Headers({ authorization: "bearer   abc  " }))).toBe("abc");
    expect(presentedKey(new Headers({ "x-api-key": " abc " }))).toBe("abc");
    expect(presentedKey(new Headers({ authorization: "Basic abc" }))).toBeNull();
    expect(presentedKey(new Headers({ authorization: "Bearer a b" }))).toBeNull();
    expect(presentedKey(new Headers())).toBeNull();
  });
});
