/**
 * @module
 * The active health loop: each endpoint probed at exactly its own `check_interval`
 * (Olla's shared 30 s ticker makes shorter intervals inert), failing ones re-checked with
 * a capped backoff, model lists read at start, on recovery and periodically. A failing
 * probe is logged and never stops the loop.
 */
import { redactUrl } from "../config/redact.ts";
import type { Clock } from "../clock.ts";
import type { Endpoint, EndpointStatus } from "../endpoints/endpoint.ts";
import { describeFetchError } from "../endpoints/fetch_error.ts";
import type { Logger } from "../log/logger.ts";
import { parseDmrModelList } from "../models/discovery.ts";
import { DmrProbe } from "./dmr_probe.ts";

export interface HealthCheckerOptions {
  readonly endpoints: readonly Endpoint[];
  readonly fetch: (url: string, init: RequestInit) => Promise<Response>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Re-read model lists this often even when health is steady. */
  readonly discoveryIntervalMs: number;
  readonly discoveryTimeoutMs: number;
  readonly discoveryEnabled: boolean;
  /** Called after an endpoint's status changes (queued requests may now have somewhere to go). */
  readonly onStatusChange?: (endpoint: Endpoint) => void;
  /** Called once an endpoint that was not taking traffic is healthy again and its models are read. */
  readonly onRecovered?: (endpoint: Endpoint) => void;
}

/** Failing endpoints are re-checked at interval × 2^(failures-1), never later than this. */
export const MAX_RECHECK_BACKOFF_MS = 30_000;

const MAX_MODEL_LIST_BYTES = 10 * 1024 * 1024;

export class HealthChecker {
  readonly #options: HealthCheckerOptions;
  readonly #timers = new Map<Endpoint, unknown>();
  readonly #discoveries = new Map<Endpoint, Promise<void>>();
  readonly #removed = new WeakSet<Endpoint>();
  readonly #dmr: DmrProbe;
  #stopped = false;

  constructor(options: HealthCheckerOptions) {
    this.#options = options;
    this.#dmr = new DmrProbe((url, endpoint, timeoutMs) => this.#get(url, endpoint, timeoutMs), options.logger, () =>
      options.clock.now());
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

  /** Re-read model lists of every healthy endpoint; concurrent callers share one read per endpoint. */
  refreshModels(): Promise<void> {
    const healthy = this.#options.endpoints.filter((e) => e.isRoutable());
    return Promise.all(healthy.map((e) => this.discover(e))).then(() => {});
  }

  /** Read one endpoint's model list; a read already under way is shared. */
  discover(endpoint: Endpoint): Promise<void> {
    const running = this.#discoveries.get(endpoint);
    if (running) return running;
    const task = this.#readModels(endpoint).finally(() => this.#discoveries.delete(endpoint));
    this.#discoveries.set(endpoint, task);
    return task;
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
    endpoint.nextCheckAt = clock.now() + delay;
    this.#timers.set(endpoint, clock.setTimeout(() => void this.#tick(endpoint), delay));
  }

  /**
   * Live traffic could not connect: stop routing here now and probe again after the
   * backoff instead of waiting for the regular tick.
   */
  markOffline(endpoint: Endpoint, reason: string): void {
    if (this.#stopped || this.#removed.has(endpoint) || !endpoint.isRoutable()) return;
    endpoint.consecutiveFailures++;
    this.#setStatus(endpoint, "offline", reason);
    this.#schedule(endpoint, this.#options.clock.now() + recheckDelay(endpoint));
  }

  #setStatus(endpoint: Endpoint, status: EndpointStatus, reason: string | null): void {
    const previous = endpoint.status;
    endpoint.status = status;
    endpoint.lastError = reason;
    if (previous === status) return;
    const fields = { endpoint: endpoint.name, url: redactUrl(endpoint.config.url), status, previous, reason: reason ?? undefined };
    if (status === "healthy") this.#options.logger.info("endpoint healthy", fields);
    else if (status === "busy") this.#options.logger.warn("endpoint busy", fields);
    else this.#options.logger.warn("endpoint unhealthy", fields);
    this.#options.onStatusChange?.(endpoint);
  }

  async #probe(endpoint: Endpoint): Promise<void> {
    const { clock, logger } = this.#options;
    const { config } = endpoint;
    const startedAt = clock.now();
    let body: unknown;
    let failure: { status: "unhealthy" | "offline"; reason: string } | null = null;
    const sameUrl = config.healthUrl === config.modelUrl && this.#options.discoveryEnabled;
    try {
      const response = await this.#get(config.healthUrl, endpoint, config.checkTimeoutMs);
      if (response.status < 200 || response.status > 299) {
        failure = { status: "unhealthy", reason: `health check answered ${response.status}` };
        await response.body?.cancel();
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
    endpoint.lastCheckAt = clock.now();
    endpoint.lastCheckMs = endpoint.lastCheckAt - startedAt;
    const recovered = !endpoint.isRoutable();
    if (failure) {
      endpoint.consecutiveFailures++;
      this.#setStatus(endpoint, failure.status, failure.reason);
      return;
    }
    endpoint.consecutiveFailures = 0;
    // Answering, but slower than half the timeout: still routable, preferred less.
    const slow = endpoint.lastCheckMs > config.checkTimeoutMs / 2;
    this.#setStatus(endpoint, slow ? "busy" : "healthy", slow ? `health check took ${endpoint.lastCheckMs}ms` : null);
    if (!this.#options.discoveryEnabled || this.#stopped) return;
    const stale = endpoint.modelsUpdatedAt === null ||
      clock.now() - endpoint.modelsUpdatedAt >= this.#options.discoveryIntervalMs;
    const runners = this.#dmr.readRunners(endpoint, config.checkTimeoutMs);
    if (sameUrl && body !== undefined) {
      const changed = this.#applyModels(endpoint, body);
      const inventoryAt = endpoint.dmr.inventoryAt;
      const inventoryStale = inventoryAt === null || clock.now() - inventoryAt >= this.#options.discoveryIntervalMs;
      if (recovered || inventoryStale || changed) await this.#dmr.readInventory(endpoint, config.checkTimeoutMs);
    } else if (recovered || stale) {
      await this.discover(endpoint);
    }
    await runners;
    if (recovered) this.#options.onRecovered?.(endpoint);
  }

  async #readModels(endpoint: Endpoint): Promise<void> {
    try {
      const response = await this.#get(endpoint.config.modelUrl, endpoint, this.#options.discoveryTimeoutMs);
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`model list answered ${response.status}`);
      }
      this.#applyModels(endpoint, await readJson(response));
      await this.#dmr.readInventory(endpoint, this.#options.discoveryTimeoutMs);
    } catch (error) {
      this.#options.logger.warn("model discovery failed", {
        endpoint: endpoint.name,
        url: redactUrl(endpoint.config.modelUrl),
        error: describeFetchError(error, this.#options.discoveryTimeoutMs),
      });
    }
  }

  /** @returns whether the endpoint's model set changed */
  #applyModels(endpoint: Endpoint, body: unknown): boolean {
    try {
      const models = parseDmrModelList(body);
      const before = [...endpoint.models.keys()].join(",");
      endpoint.models = models;
      endpoint.modelsUpdatedAt = this.#options.clock.now();
      if (before === [...models.keys()].join(",")) return false;
      this.#options.logger.info("models discovered", { endpoint: endpoint.name, models: [...models.keys()] });
      return true;
    } catch (error) {
      this.#options.logger.warn("model list unreadable", { endpoint: endpoint.name, error });
      return false;
    }
  }

  #get(url: string, endpoint: Endpoint, timeoutMs: number): Promise<Response> {
    const headers = new Headers(endpoint.config.headers as Array<[string, string]>);
    if (!headers.has("user-agent")) headers.set("user-agent", "tureen-health");
    headers.set("accept", "application/json");
    return this.#options.fetch(url, {
      method: "GET",
      headers,
      signal: AbortSignal.timeout(timeoutMs),
    });
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
    endpoint.nextCheckAt = null;
  }
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text.length > MAX_MODEL_LIST_BYTES) throw new RangeError("Cannot read model list: larger than 10 MiB");
  try {
    return JSON.parse(text);
  } catch {
    throw new SyntaxError("Cannot read model list: the body is not JSON");
  }
}

/** Start-to-start delay before the next probe: the interval, or a capped backoff while failing. */
export function recheckDelay(endpoint: Endpoint): number {
  const interval = endpoint.config.checkIntervalMs;
  if (endpoint.consecutiveFailures <= 1) return interval;
  const cap = Math.max(interval, MAX_RECHECK_BACKOFF_MS);
  return Math.min(cap, interval * 2 ** (endpoint.consecutiveFailures - 1));
}
