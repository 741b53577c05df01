/**
 * @module
 * One backend: identity from config, its type's profile, and the live state the health
 * loop and the proxy keep. State changes only through the methods here, so every writer
 * is named: `health/` reports probes, `models/` reports lists, `endpoints/slots.ts` takes
 * and gives back slots.
 */
import type { EndpointConfig } from "../config/load.ts";
import { CircuitBreaker } from "../health/breaker.ts";
import type { BreakerOptions } from "../health/breaker.ts";
import type { Clock } from "../clock.ts";
import { DmrState } from "../models/dmr_state.ts";
import type { EndpointModel, Profile } from "../profiles/profile.ts";

export type { EndpointModel } from "../profiles/profile.ts";

/**
 * `healthy` and `busy` (answering, but slowly) take traffic; `unhealthy` (answers with an
 * error) and `offline` (no answer) do not; `unknown` until the first probe ends.
 */
export type EndpointStatus = "unknown" | "healthy" | "busy" | "unhealthy" | "offline";

export class Endpoint {
  readonly config: EndpointConfig;
  readonly profile: Profile;
  readonly breaker: CircuitBreaker;
  /** Where backend paths (inference, state reads) are appended: the URL's origin, or the whole URL with preserve_path or on a unix socket. */
  readonly proxyBase: string;
  /** Engines, model formats and loaded runners, as a Docker Model Runner reports them. */
  readonly dmr = new DmrState();
  /** Settles once the first health probe (with its model and state reads) has finished. */
  readonly firstCheck: Promise<void>;
  #status: EndpointStatus = "unknown";
  #lastError: string | null = null;
  #lastCheckAt: number | null = null;
  #lastCheckMs: number | null = null;
  #nextCheckAt: number | null = null;
  #consecutiveFailures = 0;
  #models: ReadonlyMap<string, EndpointModel> = new Map();
  #modelsUpdatedAt: number | null = null;
  #loaded: ReadonlySet<string> | null = null;
  #inFlight = 0;
  #checked = false;
  #resolveFirstCheck!: () => void;

  constructor(config: EndpointConfig, profile: Profile, breaker: BreakerOptions, clock: Clock) {
    this.config = config;
    this.profile = profile;
    this.breaker = new CircuitBreaker(breaker, clock);
    // A unix URL's path after the socket is the API's base (Docker Desktop's /exp/vDD4.40), so it always stays.
    this.proxyBase = config.preservePath || config.url.startsWith("unix:") ? config.url : new URL(config.url).origin;
    this.firstCheck = new Promise((resolve) => (this.#resolveFirstCheck = resolve));
  }

  get name(): string {
    return this.config.name;
  }
  get status(): EndpointStatus {
    return this.#status;
  }
  get lastError(): string | null {
    return this.#lastError;
  }
  get lastCheckAt(): number | null {
    return this.#lastCheckAt;
  }
  get lastCheckMs(): number | null {
    return this.#lastCheckMs;
  }
  get nextCheckAt(): number | null {
    return this.#nextCheckAt;
  }
  /** Failed probes in a row; drives the re-check backoff. */
  get consecutiveFailures(): number {
    return this.#consecutiveFailures;
  }
  /** Models by canonical key, in the backend's order. */
  get models(): ReadonlyMap<string, EndpointModel> {
    return this.#models;
  }
  get modelsUpdatedAt(): number | null {
    return this.#modelsUpdatedAt;
  }
  /** Requests holding a slot here now. */
  get inFlight(): number {
    return this.#inFlight;
  }
  /** Whether `firstCheck` has settled. */
  get checked(): boolean {
    return this.#checked;
  }

  /** The health loop says it answers. */
  isRoutable(): boolean {
    return this.#status === "healthy" || this.#status === "busy";
  }

  /** Whether the proxy may send traffic here now: routable and not shut out by its breaker. */
  isAvailable(): boolean {
    return this.isRoutable() && this.breaker.isAdmissible();
  }

  /** Whether a slot is free under `max_concurrent_requests`. */
  hasCapacity(): boolean {
    const cap = this.config.maxConcurrentRequests;
    return cap === null || this.#inFlight < cap;
  }

  /** This endpoint's canonical key for a model name a client sent. */
  keyOf(name: string): string {
    // Routes pass canonical keys already: skip the normalising on the hot path.
    return this.#models.has(name) ? name : this.profile.modelKey(name);
  }

  /** Whether it lists the model `name` (a client's name or a canonical key of this type). */
  serves(name: string): boolean {
    if (this.#models.has(name)) return true;
    const key = this.profile.modelKey(name);
    if (this.#models.has(key)) return true;
    // A short 12-hex ID names the model whose digest starts with it (docs/DMR.md §2).
    if (key.startsWith("sha256:") && key.length === 19) {
      for (const listed of this.#models.keys()) if (listed.startsWith(key)) return true;
    }
    return false;
  }

  /**
   * Whether the backend reports the model loaded: from its loaded-model report, the list's
   * own state, or DMR's runners; null when this type cannot say.
   */
  isLoaded(name: string): boolean | null {
    const key = this.keyOf(name);
    if (this.#loaded) return this.#loaded.has(key);
    const listed = this.#models.get(key)?.loaded;
    if (listed !== undefined) return listed;
    if (this.profile.type === "docker-model-runner" && this.dmr.psUpdatedAt !== null) {
      return this.dmr.isLoaded(key, "completion") || this.dmr.isLoaded(key, "embedding");
    }
    return null;
  }

  /** A probe finished: its outcome, and how long it took. */
  recordProbe(at: number, tookMs: number, ok: boolean): void {
    this.#lastCheckAt = at;
    this.#lastCheckMs = tookMs;
    this.#consecutiveFailures = ok ? 0 : this.#consecutiveFailures + 1;
  }

  /** Live traffic failed to connect: counts like a failed probe. */
  recordLiveFailure(): void {
    this.#consecutiveFailures++;
  }

  /** @returns the previous status */
  setStatus(status: EndpointStatus, reason: string | null): EndpointStatus {
    const previous = this.#status;
    this.#status = status;
    this.#lastError = reason;
    return previous;
  }

  scheduleCheck(at: number | null): void {
    this.#nextCheckAt = at;
  }

  /** A fresh model list; the first entry wins where two name the same model. */
  setModels(models: readonly EndpointModel[], at: number | null): void {
    const byKey = new Map<string, EndpointModel>();
    for (const model of models) if (!byKey.has(model.key)) byKey.set(model.key, model);
    this.#models = byKey;
    this.#modelsUpdatedAt = at;
  }

  /** Model keys the backend reports loaded now. */
  setLoaded(keys: Iterable<string>): void {
    this.#loaded = new Set(keys);
  }

  takeSlot(): void {
    this.#inFlight++;
  }

  releaseSlot(): void {
    this.#inFlight--;
  }

  markChecked(): void {
    this.#checked = true;
    this.#resolveFirstCheck();
  }
}
