/**
 * @module
 * Token buckets keyed by client, key or scope: `burst` requests at once, refilled at
 * `perMinute`. Buckets that have refilled completely carry no state worth keeping and are
 * dropped every `cleanupMs`, so a scan from many addresses cannot grow memory for good.
 */

export interface Verdict {
  readonly allowed: boolean;
  /** The per-minute limit that applied. */
  readonly limit: number;
  /** Whole requests left right now. */
  readonly remaining: number;
  /** When the bucket is full again, epoch ms. */
  readonly resetAt: number;
  /** When denied: how long until one request is allowed, ms. */
  readonly retryAfterMs: number;
}

interface Bucket {
  tokens: number;
  at: number;
  capacity: number;
  perMs: number;
}

export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();
  #lastSweep = 0;

  constructor(private readonly cleanupMs: number) {}

  /** Take one request from the bucket `id`. */
  take(id: string, perMinute: number, burst: number, now: number): Verdict {
    this.#sweep(now);
    const perMs = perMinute / 60_000;
    let bucket = this.#buckets.get(id);
    if (!bucket || bucket.capacity !== burst || bucket.perMs !== perMs) {
      bucket = { tokens: burst, at: now, capacity: burst, perMs };
      this.#buckets.set(id, bucket);
    }
    bucket.tokens = Math.min(bucket.capacity, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    return {
      allowed,
      limit: perMinute,
      remaining: Math.floor(bucket.tokens),
      resetAt: now + Math.ceil((bucket.capacity - bucket.tokens) / perMs),
      retryAfterMs: allowed ? 0 : Math.ceil((1 - bucket.tokens) / perMs),
    };
  }

  /** Buckets held now (for tests and the soak report). */
  get size(): number {
    return this.#buckets.size;
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < this.cleanupMs) return;
    this.#lastSweep = now;
    for (const [id, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.at) * bucket.perMs >= bucket.capacity) this.#buckets.delete(id);
    }
  }
}
