/**
 * @module
 * The active health loop: each endpoint probed at exactly its own `check_interval`
 * (Olla's shared 30 s ticker makes shorter intervals inert), failing ones re-checked with
 * a capped backoff. What a 2xx means is the endpoint's profile's call (some servers answer
 * 200 to anything); after a healthy probe, model discovery (models/discovery.ts) reads what
 * changed. A failing probe is logged and never stops the loop.
 */
import { redactUrl } from "../config/redact.ts";
import type { Clock } from "../clock.ts";
import { backendGet, readJson } from "../endpoints/backend_get.ts";
import type { Endpoint, EndpointStatus } from "../endpoints/endpoint.ts";
import { describeFetchError } from "../endpoints/fetch_error.ts";
import type { Logger } from "../log/logger.ts";
import type { ModelDiscovery } from "../models/discovery.ts";

export interface HealthCheckerOptions {
  readonly endpoints: readonly Endpoint[];
  readonly fetch: (url: string, init: RequestInit) => Promise<Response>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly discovery: ModelDiscovery;
  /** Called after an endpoint's status changes (queued requests may now have somewhere to go). */
  readonly onStatusChange?: (endpoint: Endpoint) => void;
  /** Called once an endpoint that was not taking traffic is healthy again and its models are read. */
  readonly onRecovered?: (endpoint: Endpoint) => void;
}

/** Failing endpoints are re-checked at interval × 2^(failures-1), never later than this. */
export const MAX_RECHECK_BACKOFF_MS = 30_000;

export class HealthChecker {
  readonly #options: HealthCheckerOptions;
  readonly #timers = new Map<Endpoint, unknown>();
  readonly #removed = new WeakSet<Endpoint>();
  #stopped = false;

  constructor(options: HealthCheckerOptions) {
    this.#options = options;
  }

  /** Probe every endpoint now, then keep probing each on its own interval. */
  start(): void {
    for (const endpoint of this.#options.endpoints) void this.#tick(endpoint);
  }

  stop(): void {
    this.#stopped = true;
    for (const handle of this.#timers.values()) this.#options.clock.clearTimeout(handle);
    this.#timers.clear();
  }

  async #tick(endpoint: Endpoint): Promise<void> {
    if (this.#stopped || this.#removed.has(endpoint)) return;
    const { clock } = this.#options;
    const startedAt = clock.now();
    try {
      await this.#probe(endpoint);
    } catch (error) {
      this.#options.logger.error("health probe crashed", { endpoint: endpoint.name, error });
    } finally {
      endpoint.markChecked();
    }
    // Start-to-start scheduling keeps the configured interval exact even when probes are slow.
    this.#schedule(endpoint, startedAt + recheckDelay(endpoint));
  }

  #schedule(endpoint: Endpoint, at: number): void {
    if (this.#stopped || this.#removed.has(endpoint)) return;
    const { clock } = this.#options;
    clock.clearTimeout(this.#timers.get(endpoint));
    const delay = Math.max(0, at - clock.now());
    endpoint.scheduleCheck(clock.now() + delay);
    this.#timers.set(endpoint, clock.setTimeout(() => void this.#tick(endpoint), delay));
  }

  /**
   * Live traffic could not connect: stop routing here now and probe again after the
   * backoff instead of waiting for the regular tick.
   */
  markOffline(endpoint: Endpoint, reason: string): void {
    if (this.#stopped || this.#removed.has(endpoint) || !endpoint.isRoutable()) return;
    endpoint.recordLiveFailure();
    this.#setStatus(endpoint, "offline", reason);
    this.#schedule(endpoint, this.#options.clock.now() + recheckDelay(endpoint));
  }

  #setStatus(endpoint: Endpoint, status: EndpointStatus, reason: string | null): void {
    const previous = endpoint.setStatus(status, reason);
    if (previous === status) return;
    const fields = { endpoint: endpoint.name, url: redactUrl(endpoint.config.url), status, previous, reason: reason ?? undefined };
    if (status === "healthy") this.#options.logger.info("endpoint healthy", fields);
    else if (status === "busy") this.#options.logger.warn("endpoint busy", fields);
    else this.#options.logger.warn("endpoint unhealthy", fields);
    this.#options.onStatusChange?.(endpoint);
  }

  async #probe(endpoint: Endpoint): Promise<void> {
    const { clock, logger, discovery } = this.#options;
    const { config, profile } = endpoint;
    const startedAt = clock.now();
    let body: unknown;
    let failure: { status: "unhealthy" | "offline"; reason: string } | null = null;
    const sameUrl = config.healthUrl === config.modelUrl && discovery.enabled;
    try {
      const response = await backendGet(this.#options.fetch, config.healthUrl, endpoint, config.checkTimeoutMs);
      if (response.status < 200 || response.status > 299) {
        failure = { status: "unhealthy", reason: `health check answered ${response.status}` };
        await response.body?.cancel();
      } else if (profile.readHealth) {
        const verdict = profile.readHealth(await response.text());
        if (!verdict.healthy) failure = { status: "unhealthy", reason: verdict.reason };
      } else if (sameUrl) {
        // A 2xx is healthy even if its body is unreadable; discovery just learns nothing.
        body = await readJson(response).catch((error) => {
          logger.warn("model list unreadable", { endpoint: endpoint.name, error });
          return undefined;
        });
      } else {
        await response.body?.cancel();
      }
    } catch (error) {
      failure = { status: "offline", reason: describeFetchError(error, config.checkTimeoutMs) };
    }
    const now = clock.now();
    endpoint.recordProbe(now, now - startedAt, failure === null);
    const recovered = !endpoint.isRoutable();
    if (failure) {
      this.#setStatus(endpoint, failure.status, failure.reason);
      return;
    }
    // Answering, but slower than half the timeout: still routable, preferred less.
    const tookMs = now - startedAt;
    const slow = tookMs > config.checkTimeoutMs / 2;
    this.#setStatus(endpoint, slow ? "busy" : "healthy", slow ? `health check took ${tookMs}ms` : null);
    if (!discovery.enabled || this.#stopped) return;
    await discovery.afterHealthyProbe(endpoint, recovered, sameUrl ? body : undefined);
    if (recovered) this.#options.onRecovered?.(endpoint);
  }

  /** Start probing an endpoint a reload added: once now, then on its own interval. */
  add(endpoint: Endpoint): void {
    this.#removed.delete(endpoint);
    if (!this.#stopped && !this.#timers.has(endpoint)) void this.#tick(endpoint);
  }

  /**
   * Stop probing an endpoint a reload removed. Its in-flight requests keep their reference
   * and finish; a probe already under way, or `markOffline` from that traffic, finds it
   * removed and schedules nothing.
   */
  remove(endpoint: Endpoint): void {
    this.#removed.add(endpoint);
    this.#options.clock.clearTimeout(this.#timers.get(endpoint));
    this.#timers.delete(endpoint);
    endpoint.scheduleCheck(null);
  }
}

/** Start-to-start delay before the next probe: the interval, or a capped backoff while failing. */
export function recheckDelay(endpoint: Endpoint): number {
  const interval = endpoint.config.checkIntervalMs;
  if (endpoint.consecutiveFailures <= 1) return interval;
  const cap = Math.max(interval, MAX_RECHECK_BACKOFF_MS);
  return Math.min(cap, interval * 2 ** (endpoint.consecutiveFailures - 1));
}
