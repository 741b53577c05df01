/**
 * @module
 * A passive circuit breaker per endpoint, driven only by live traffic: consecutive
 * failures open it, a cool-down that doubles with each repeated trip half-opens it, one
 * live request probes, and success closes it. A passing health probe does not close it:
 * a backend can list its models and still fail every inference (Olla #144).
 */
import type { Clock } from "../clock.ts";

export interface BreakerOptions {
  /** Consecutive live failures that open the breaker. @default 3 */
  readonly failureThreshold: number;
  /** First cool-down after opening. @default 5000 */
  readonly cooldownMs: number;
  /** Longest cool-down, however often it trips. @default 60000 */
  readonly maxCooldownMs: number;
}

export type BreakerState = "closed" | "open" | "half_open";

export interface BreakerSnapshot {
  readonly state: BreakerState;
  readonly consecutive_failures: number;
  /** Times it opened since it was last closed by a success. */
  readonly trips: number;
  /** When an open breaker lets a probe through (epoch ms), else null. */
  readonly retry_at: number | null;
}

export class CircuitBreaker {
  readonly #options: BreakerOptions;
  readonly #clock: Clock;
  #state: BreakerState = "closed";
  #failures = 0;
  #trips = 0;
  #openUntil = 0;
  #probeInFlight = false;

  constructor(options: BreakerOptions, clock: Clock) {
    this.#options = options;
    this.#clock = clock;
  }

  /** Whether a request could be admitted now; does not take the half-open probe. */
  isAdmissible(): boolean {
    if (this.#state === "closed") return true;
    if (this.#probeInFlight) return false;
    return this.#clock.now() >= this.#openUntil;
  }

  /** Milliseconds until an open breaker admits a probe (0 when it admits now). */
  remainingMs(): number {
    if (this.#state === "closed" || this.#probeInFlight) return 0;
    return Math.max(0, this.#openUntil - this.#clock.now());
  }

  /**
   * Take the right to send one request. Past the cool-down this makes the request the
   * half-open probe; no other request passes until it reports.
   *
   * @returns false when the breaker refuses the request
   */
  admit(): boolean {
    if (this.#state === "closed") return true;
    if (!this.isAdmissible()) return false;
    this.#state = "half_open";
    this.#probeInFlight = true;
    return true;
  }

  recordSuccess(): void {
    this.#state = "closed";
    this.#failures = 0;
    this.#trips = 0;
    this.#probeInFlight = false;
  }

  recordFailure(): void {
    this.#failures++;
    if (this.#state === "half_open" || this.#failures >= this.#options.failureThreshold) this.#open();
  }

  /** The request ended with no verdict on the backend (the client left): free the probe slot. */
  recordNeutral(): void {
    this.#probeInFlight = false;
  }

  snapshot(): BreakerSnapshot {
    return {
      state: this.#state === "open" && this.isAdmissible() ? "half_open" : this.#state,
      consecutive_failures: this.#failures,
      trips: this.#trips,
      retry_at: this.#state === "closed" ? null : this.#openUntil,
    };
  }

  #open(): void {
    const cooldown = Math.min(this.#options.maxCooldownMs, this.#options.cooldownMs * 2 ** this.#trips);
    this.#trips++;
    this.#state = "open";
    this.#probeInFlight = false;
    this.#openUntil = this.#clock.now() + cooldown;
  }
}
