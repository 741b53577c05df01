/**
 * A hand-driven Clock for unit tests: time moves only when a test calls `advance`.
 * Timers fire in due-time order (ties in scheduling order), and microtasks are flushed
 * before and after each one, so async loops that re-arm a timer after an `await` keep
 * running inside a single `advance`.
 */
import type { Clock } from "../../src/clock.ts";

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, Timer>();

  constructor(start = 1_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Timers scheduled and not yet fired or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Due times of pending timers, soonest first (relative to now). */
  pendingDelays(): number[] {
    return [...this.#timers.values()].map((t) => t.at - this.#now).sort((a, b) => a - b);
  }

  /**
   * Move time forward by `ms`, firing every timer that falls due on the way, in order,
   * with time set to each timer's due time while it runs. Microtasks are flushed before
   * the first timer and after each, so timers re-armed after an await also fire.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await tick();
    for (;;) {
      const next = this.#nextDue(target);
      if (!next) break;
      this.#timers.delete(next.id);
      this.#now = next.at;
      next.callback();
      await tick();
    }
    this.#now = target;
    await tick();
  }

  #nextDue(limit: number): Timer | undefined {
    let best: Timer | undefined;
    for (const timer of this.#timers.values()) {
      if (timer.at > limit) continue;
      if (!best || timer.at < best.at || (timer.at === best.at && timer.id < best.id)) best = timer;
    }
    return best;
  }
}

/** Let every queued promise reaction (and the event-loop turn behind it) run; no real waiting. */
export async function tick(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A promise with its settle functions exposed, to hold a fake fetch open. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
