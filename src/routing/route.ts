/**
 * @module
 * Request → ordered candidates: which endpoints can serve this model now, best first.
 * A miss re-reads model lists once before answering 404, so a model pulled a moment ago
 * is found without waiting for the next discovery tick. Endpoints whose DMR cannot run the
 * engine the request needs are left out; among equals, the one with the model already
 * loaded (or loading) comes first, so a cold load is not started on every machine at once.
 */
import type { BalancerName, Policy } from "../balancing/policy.ts";
import { createPolicy } from "../balancing/policy.ts";
import type { Clock } from "../clock.ts";
import type { Endpoint } from "../endpoints/endpoint.ts";
import { Failure } from "../failure.ts";
import { locateModel } from "../models/catalog.ts";
import { displayModelName } from "../models/dmr_names.ts";
import type { DmrMode } from "../models/dmr_state.ts";

/** What a request needs beyond the model: the engine its path names and the runner mode. */
export interface Need {
  /** `llama.cpp` or `vllm` from `/engines/{engine}/...`, null for automatic selection. */
  readonly engine: string | null;
  readonly mode: DmrMode;
  /** Only these endpoints may serve it (a type's prefix route); default every endpoint. */
  readonly pool?: (endpoints: readonly Endpoint[]) => readonly Endpoint[];
  /** How messages name the place the model was looked for; default Docker Model Runner's. */
  readonly scope?: Scope;
  /** Backend names of a model alias: an endpoint serving any of them qualifies. */
  readonly aliases?: readonly string[];
}

/** The name to use on `endpoint`: the first alias it serves, else the one requested. */
export function nameOn(endpoint: Endpoint, modelKey: string, aliases: readonly string[] | undefined): string {
  return aliases?.find((name) => endpoint.serves(name)) ?? modelKey;
}

/** Words for error messages: which servers were searched, where the list is, how to get a model. */
export interface Scope {
  readonly label: string;
  readonly listPath: string;
  /** Shows a model name the way the user should read it. */
  readonly show: (key: string) => string;
  /** e.g. `pull it with "docker model pull x"`; null when there is no one way. */
  readonly fetchHint: ((shown: string) => string) | null;
}

export const DMR_SCOPE: Scope = {
  label: "Docker Model Runner",
  listPath: "/olla/dmr/engines/v1/models",
  show: displayModelName,
  fetchHint: (shown) => `pull it with "docker model pull ${shown}"`,
};

const ANY: Need = { engine: null, mode: "completion" };

export interface RouterOptions {
  readonly endpoints: readonly Endpoint[];
  readonly balancer: BalancerName;
  readonly clock: Clock;
  /** Re-read model lists of healthy endpoints. */
  readonly refreshModels: () => Promise<void>;
  /** Do not re-read on a miss more often than this. */
  readonly refreshOnMissEveryMs?: number;
}

export class Router {
  readonly #options: RouterOptions;
  readonly #policy: Policy;
  #lastRefreshAt = -Infinity;
  #refreshing: Promise<void> | null = null;

  constructor(options: RouterOptions) {
    this.#options = options;
    this.#policy = createPolicy(options.balancer);
  }

  /**
   * Wait, briefly, for endpoints whose first probe has not finished (start-up, or just added
   * by a reload): status alone is not enough, the engines and runners are read after it.
   */
  async ready(): Promise<void> {
    const pending = this.#options.endpoints.filter((e) => !e.checked);
    if (pending.length === 0) return;
    // A probe is the health check then the DMR state reads, each bounded by the check timeout.
    const longest = 2 * Math.max(...pending.map((e) => e.config.checkTimeoutMs)) + 100;
    let timer: unknown;
    await Promise.race([
      Promise.all(pending.map((e) => e.firstCheck)),
      new Promise<void>((resolve) => (timer = this.#options.clock.setTimeout(resolve, longest))),
    ]);
    this.#options.clock.clearTimeout(timer);
  }

  /**
   * The endpoints to try for `modelKey`, in order.
   *
   * @throws {Failure} model_not_found when no endpoint lists the model; model_unavailable, engine_unavailable or
   *   circuit_open when none that does can take it now
   */
  async candidates(modelKey: string, requested: string, need: Need = ANY): Promise<Endpoint[]> {
    await this.ready();
    const endpoints = need.pool ? need.pool(this.#options.endpoints) : this.#options.endpoints;
    const scope = need.scope ?? DMR_SCOPE;
    const wanted = need.aliases ?? [modelKey];
    let location = locateModel(endpoints, wanted);
    if (location.routable.length === 0 && location.down.length === 0) {
      await this.#refreshOnMiss();
      location = locateModel(endpoints, wanted);
    }
    const on = (e: Endpoint) => nameOn(e, modelKey, need.aliases);
    const capable = location.routable.filter((e) => !isDmr(e) || e.dmr.canRun(e.keyOf(on(e)), need.engine));
    if (location.routable.length > 0 && capable.length === 0) {
      const first = location.routable[0]!;
      const engines = first.dmr.enginesFor(first.keyOf(on(first)), need.engine);
      throw new Failure(
        "engine_unavailable",
        `Model "${requested}" needs the ${engines.join(" or ")} engine, which is not running on ` +
          `${names(location.routable)}: install it there (docker model install-runner --backend ${engines[0]}) ` +
          (need.engine ? "or use /olla/dmr/engines/v1/ to let DMR choose" : "or pull a GGUF build of the model"),
      );
    }
    const admissible = capable.filter((e) => e.breaker.isAdmissible());
    if (admissible.length > 0) return this.#policy(admissible, (e) => affinity(e, on(e), need.mode));
    if (capable.length > 0) {
      const wait = Math.max(1, Math.ceil(Math.min(...capable.map((e) => e.breaker.remainingMs())) / 1000));
      throw new Failure(
        "circuit_open",
        `Model "${requested}" cannot be served now: ${names(capable)} failed repeatedly and ` +
          `${capable.length === 1 ? "is" : "are"} paused; retry in ${wait}s`,
        wait,
      );
    }
    const routable = endpoints.filter((e) => e.isRoutable());
    if (location.down.length > 0 || routable.length === 0) {
      const down = location.down.length > 0 ? location.down : endpoints;
      const wait = this.#secondsToNextCheck(down);
      const what = endpoints.length === 0
        ? `no ${scope.label} endpoint is configured`
        : `no healthy endpoint can serve it now (${names(down)} ${down.length === 1 ? "is" : "are"} down)`;
      throw new Failure("model_unavailable", `Model "${requested}" cannot be served: ${what}; retry shortly`, wait);
    }
    const shown = scope.show(modelKey);
    throw new Failure(
      "model_not_found",
      `Model "${requested}" (${shown}) is not pulled on any healthy ${scope.label} endpoint ` +
        `(${names(routable)}): see GET ${scope.listPath} for the models available` +
        (scope.fetchHint ? `, or ${scope.fetchHint(shown)}` : ""),
    );
  }

  #refreshOnMiss(): Promise<void> {
    if (this.#refreshing) return this.#refreshing;
    const { clock } = this.#options;
    if (clock.now() - this.#lastRefreshAt < (this.#options.refreshOnMissEveryMs ?? 1000)) return Promise.resolve();
    this.#lastRefreshAt = clock.now();
    this.#refreshing = this.#options.refreshModels().finally(() => (this.#refreshing = null));
    return this.#refreshing;
  }

  #secondsToNextCheck(endpoints: readonly Endpoint[]): number {
    const now = this.#options.clock.now();
    const next = Math.min(...endpoints.map((e) => e.nextCheckAt ?? now + e.config.checkIntervalMs));
    return Number.isFinite(next) ? Math.max(1, Math.ceil((next - now) / 1000)) : 1;
  }
}

function isDmr(endpoint: Endpoint): boolean {
  return endpoint.profile.type === "docker-model-runner";
}

function names(endpoints: readonly Endpoint[]): string {
  return endpoints.map((e) => e.name).join(", ");
}

/**
 * llama-server's default parallel slots per runner (docs/DMR.md §8): past this many
 * requests a loaded endpoint queues, and a cold endpoint is worth starting.
 */
export const RUNNER_SLOTS = 4;

/**
 * How ready an endpoint is for this model, lower is better: 0 loaded with a free slot,
 * 1 a cold load already under way (join it rather than start another), 2 cold,
 * 3 loaded but every slot busy (spill over to a cold peer, which then loads once).
 */
function affinity(endpoint: Endpoint, name: string, mode: DmrMode): number {
  // Other types: loaded, or unable to say (listed means available) is ready; reported not loaded is cold.
  if (!isDmr(endpoint)) return endpoint.isLoaded(name) === false ? 2 : 0;
  const key = endpoint.keyOf(name);
  if (endpoint.dmr.isLoaded(key, mode)) return endpoint.inFlight < RUNNER_SLOTS ? 0 : 3;
  return endpoint.dmr.isLoading(key, mode) ? 1 : 2;
}
