/**
 * @module
 * One backend: identity from config plus the live state the health loop and the proxy
 * write. `health/` owns `status` and the breaker's verdicts; `endpoints/slots.ts` owns
 * `inFlight`.
 */
import type { EndpointConfig } from "../config/load.ts";
import { CircuitBreaker } from "../health/breaker.ts";
import type { BreakerOptions } from "../health/breaker.ts";
import type { Clock } from "../clock.ts";
import { DmrState } from "../models/dmr_state.ts";

/**
 * `healthy` and `busy` (answering, but slowly) take traffic; `unhealthy` (answers with an
 * error) and `offline` (no answer) do not; `unknown` until the first probe ends.
 */
export type EndpointStatus = "unknown" | "healthy" | "busy" | "unhealthy" | "offline";

/** A model as one endpoint lists it. */
export interface EndpointModel {
  /** Canonical reference (see models/dmr_names.ts). */
  readonly key: string;
  /** The id exactly as the backend listed it. */
  readonly id: string;
  readonly created: number;
}

export class Endpoint {
  readonly config: EndpointConfig;
  readonly breaker: CircuitBreaker;
  /** Where DMR paths (inference, preload, state reads) are appended: the URL's origin, or the whole URL with preserve_path or on a unix socket. */
  readonly proxyBase: string;
  status: EndpointStatus = "unknown";
  lastCheckAt: number | null = null;
  nextCheckAt: number | null = null;
  lastCheckMs: number | null = null;
  lastError: string | null = null;
  /** Failed probes in a row; drives the re-check backoff. */
  consecutiveFailures = 0;
  /** Models by canonical key, in the backend's order. */
  models: ReadonlyMap<string, EndpointModel> = new Map();
  modelsUpdatedAt: number | null = null;
  /** Engines, model formats and loaded runners, as DMR reports them. */
  readonly dmr = new DmrState();
  /** Requests holding a slot here now. */
  inFlight = 0;
  /** Settles once the first health probe (with its model and DMR state reads) has finished. */
  readonly firstCheck: Promise<void>;
  /** Whether `firstCheck` has settled. */
  checked = false;
  #resolveFirstCheck!: () => void;

  constructor(config: EndpointConfig, breaker: BreakerOptions, clock: Clock) {
    this.config = config;
    this.breaker = new CircuitBreaker(breaker, clock);
    // A unix URL's path after the socket is the API's base (Docker Desktop's /exp/vDD4.40), so it always stays.
    this.proxyBase = config.preservePath || config.url.startsWith("unix:") ? config.url : new URL(config.url).origin;
    this.firstCheck = new Promise((resolve) => (this.#resolveFirstCheck = resolve));
  }

  get name(): string {
    return this.config.name;
  }

  /** The health loop says it answers. */
  isRoutable(): boolean {
    return this.status === "healthy" || this.status === "busy";
  }

  /** Whether the proxy may send traffic here now: routable and not shut out by its breaker. */
  isAvailable(): boolean {
    return this.isRoutable() && this.breaker.isAdmissible();
  }

  /** Whether a slot is free under `max_concurrent_requests`. */
  hasCapacity(): boolean {
    const cap = this.config.maxConcurrentRequests;
    return cap === null || this.inFlight < cap;
  }

  serves(modelKey: string): boolean {
    if (this.models.has(modelKey)) return true;
    // A short 12-hex ID names the model whose digest starts with it (dmr-wire.md §2).
    if (modelKey.startsWith("sha256:") && modelKey.length === 19) {
      for (const key of this.models.keys()) if (key.startsWith(modelKey)) return true;
    }
    return false;
  }

  markChecked(): void {
    this.checked = true;
    this.#resolveFirstCheck();
  }
}
