import { describe, expect, test } from "bun:test";
import { TokenBuckets } from "../../../src/limits/token_bucket.ts";

describe("TokenBuckets", () => {
  test("TokenBuckets.take() allows the burst, then refills at the per-minute rate", () => {
    const buckets = new TokenBuckets(300_000);
    expect(buckets.take("a", 60, 2, 0)).toMatchObject({ allowed: true, remaining: 1, limit: 60 });
    expect(buckets.take("a", 60, 2, 0)).toMatchObject({ allowed: true, remaining: 0 });
    const denied = buckets.take("a", 60, 2, 0);
    expect(denied).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 1000 });
    expect(denied.resetAt).toBe(2000);
    expect(buckets.take("a", 60, 2, 999).allowed).toBe(false);
    expect(buckets.take("a", 60, 2, 2000).allowed).toBe(true);
    // Other ids have their own bucket.
    expect(buckets.take("b", 60, 2, 0).allowed).toBe(true);
  });

  test("TokenBuckets drops buckets that have refilled, once per cleanup interval", () => {
    const buckets = new TokenBuckets(1000);
    buckets.take("a", 60, 1, 1000);
    buckets.take("b", 60, 1, 1000);
    expect(buckets.size).toBe(2);
    buckets.take("c", 60, 1, 1500);
    expect(buckets.size).toBe(3);
    buckets.take("c", 60, 1, 2100);
    expect(buckets.size).toBe(1);
  });
});
