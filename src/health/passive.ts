/**
 * @module
 * What live traffic teaches about an endpoint. Connection failures, header timeouts and
 * retryable 5xx count against its breaker; a refused connection also takes it offline
 * until the health loop sees it again. A client that left teaches nothing.
 */
import type { Endpoint } from "../endpoints/endpoint.ts";
import type { Logger } from "../log/logger.ts";

export type LiveFailure = "connection_refused" | "connection_error" | "header_timeout" | "status" | "stream_error";

export interface PassiveHealthOptions {
  readonly logger: Logger;
  /** Take the endpoint out until a probe succeeds (the health loop re-checks it with backoff). */
  readonly markOffline: (endpoint: Endpoint, reason: string) => void;
}

export class PassiveHealth {
  readonly #options: PassiveHealthOptions;

  constructor(options: PassiveHealthOptions) {
    this.#options = options;
  }

  success(endpoint: Endpoint): void {
    const before = endpoint.breaker.snapshot().state;
    endpoint.breaker.recordSuccess();
    if (before !== "closed") this.#options.logger.info("circuit closed", { endpoint: endpoint.name });
  }

  failure(endpoint: Endpoint, kind: LiveFailure, reason: string): void {
    const before = endpoint.breaker.snapshot();
    endpoint.breaker.recordFailure();
    const after = endpoint.breaker.snapshot();
    if (after.state === "open" && after.trips > before.trips) {
      this.#options.logger.warn("circuit opened", {
        endpoint: endpoint.name,
        reason,
        consecutive_failures: after.consecutive_failures,
        retry_in_ms: endpoint.breaker.remainingMs(),
      });
    }
    if (kind === "connection_refused") this.#options.markOffline(endpoint, reason);
  }

  neutral(endpoint: Endpoint): void {
    endpoint.breaker.recordNeutral();
  }
}
