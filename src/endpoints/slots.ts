/**
 * @module
 * Request slots under `max_concurrent_requests`. When every candidate endpoint is full a
 * request waits in one bounded FIFO queue instead of being refused; a full queue or a
 * wait past the timeout is a 503 with Retry-After.
 */
import type { Clock } from "../clock.ts";
import { Failure } from "../failure.ts";
import type { Endpoint } from "./endpoint.ts";

export interface SlotsOptions {
  readonly clock: Clock;
  /** Waiting requests allowed; beyond it a request gets 503 at once. */
  readonly maxQueue: number;
  readonly timeoutMs: number;
}

interface Waiter {
  readonly candidates: readonly Endpoint[];
  readonly grant: (endpoint: Endpoint) => void;
}

export class Slots {
  readonly #options: SlotsOptions;
  readonly #waiters: Waiter[] = [];

  constructor(options: SlotsOptions) {
    this.#options = options;
  }

  /** Requests waiting for a slot now. */
  get depth(): number {
    return this.#waiters.length;
  }

  /**
   * Take a slot on the first candidate, in order, that is available and has room; wait in
   * line when all available ones are full.
   *
   * @returns the endpoint holding the slot, or null when no candidate is available at all
   * @throws {Failure} queue_full, queue_timeout, or client_closed_request when the client leaves
   */
  acquire(candidates: readonly Endpoint[], signal: AbortSignal): Promise<Endpoint | null> {
    const now = this.#take(candidates);
    if (now) return Promise.resolve(now);
    if (!candidates.some((e) => e.isAvailable())) return Promise.resolve(null);
    if (this.#waiters.length >= this.#options.maxQueue) {
      return Promise.reject(this.#unavailable("queue_full", "every endpoint for this model is at its concurrency limit and the queue is full"));
    }
    const { clock, timeoutMs } = this.#options;
    return new Promise((resolve, reject) => {
      const leave = () => {
        const index = this.#waiters.indexOf(waiter);
        if (index !== -1) this.#waiters.splice(index, 1);
        clock.clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
      };
      const waiter: Waiter = {
        candidates,
        grant: (endpoint) => {
          leave();
          resolve(endpoint);
        },
      };
      const timer = clock.setTimeout(() => {
        leave();
        reject(this.#unavailable("queue_timeout", `no slot freed up within ${timeoutMs}ms`));
      }, timeoutMs);
      const onAbort = () => {
        leave();
        reject(new Failure("client_closed_request", "The client closed the connection while queued"));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Give the slot back and hand it to the longest-waiting request that can use it. */
  release(endpoint: Endpoint): void {
    endpoint.releaseSlot();
    this.drain();
  }

  /** Serve waiters in arrival order while slots are free (also called when an endpoint recovers). */
  drain(): void {
    for (let i = 0; i < this.#waiters.length;) {
      const waiter = this.#waiters[i]!;
      const endpoint = this.#take(waiter.candidates);
      if (endpoint) waiter.grant(endpoint);
      else i++;
    }
  }

  #take(candidates: readonly Endpoint[]): Endpoint | null {
    for (const endpoint of candidates) {
      if (!endpoint.isAvailable() || !endpoint.hasCapacity()) continue;
      if (!endpoint.breaker.admit()) continue;
      endpoint.takeSlot();
      return endpoint;
    }
    return null;
  }

  #unavailable(code: "queue_full" | "queue_timeout", why: string): Failure {
    const seconds = Math.max(1, Math.ceil(this.#options.timeoutMs / 10_000));
    return new Failure(code, `Cannot serve this request now: ${why}; retry shortly`, seconds);
  }
}
