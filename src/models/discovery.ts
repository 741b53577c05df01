/**
 * @module
 * Model discovery: read what each endpoint serves through its profile (model list, loaded
 * models, and for Docker Model Runner its engines and formats), at start, on recovery, when
 * the list is stale, and on a routing miss. Concurrent reads of one endpoint are shared; a
 * failed read keeps the previous list and is logged.
 */
import { redactUrl } from "../config/redact.ts";
import type { Clock } from "../clock.ts";
import { backendGet, type Fetch, readJson } from "../endpoints/backend_get.ts";
import type { Endpoint } from "../endpoints/endpoint.ts";
import { describeFetchError } from "../endpoints/fetch_error.ts";
import type { Logger } from "../log/logger.ts";
import type { EndpointModel, Profile } from "../profiles/profile.ts";
import { DmrProbe } from "./dmr_probe.ts";

export interface DiscoveryOptions {
  readonly endpoints: readonly Endpoint[];
  readonly fetch: Fetch;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly enabled: boolean;
  /** Re-read model lists this often even when health is steady. */
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/** Parse a model list with a profile, keyed by canonical name, first entry winning. */
export function parseModelList(profile: Profile, body: unknown): Map<string, EndpointModel> {
  const models = new Map<string, EndpointModel>();
  for (const model of profile.parseModels(body)) if (!models.has(model.key)) models.set(model.key, model);
  return models;
}

export class ModelDiscovery {
  readonly #options: DiscoveryOptions;
  readonly #running = new Map<Endpoint, Promise<void>>();
  readonly #dmr: DmrProbe;

  constructor(options: DiscoveryOptions) {
    this.#options = options;
    this.#dmr = new DmrProbe((url, endpoint, timeoutMs) => this.#get(url, endpoint, timeoutMs), options.logger, () =>
      options.clock.now());
  }

  get enabled(): boolean {
    return this.#options.enabled;
  }

  /** Re-read model lists of every healthy endpoint; concurrent callers share one read per endpoint. */
  refreshModels(): Promise<void> {
    const healthy = this.#options.endpoints.filter((e) => e.isRoutable());
    return Promise.all(healthy.map((e) => this.discover(e))).then(() => {});
  }

  /** Read one endpoint's model list; a read already under way is shared. */
  discover(endpoint: Endpoint): Promise<void> {
    const running = this.#running.get(endpoint);
    if (running) return running;
    const task = this.#readModels(endpoint).finally(() => this.#running.delete(endpoint));
    this.#running.set(endpoint, task);
    return task;
  }

  /**
   * After a healthy probe: read loaded models (every probe), and the model list when the
   * endpoint just recovered or its list is stale. `listBody` is the probe's own answer when
   * the health path is the model path (DMR), so the list is not fetched twice.
   */
  async afterHealthyProbe(endpoint: Endpoint, recovered: boolean, listBody: unknown): Promise<void> {
    const { clock } = this.#options;
    const timeoutMs = endpoint.config.checkTimeoutMs;
    const loaded = this.#readLoaded(endpoint, timeoutMs);
    const stale = endpoint.modelsUpdatedAt === null ||
      clock.now() - endpoint.modelsUpdatedAt >= this.#options.intervalMs;
    if (listBody !== undefined) {
      const changed = this.apply(endpoint, listBody);
      if (isDmr(endpoint)) {
        const inventoryAt = endpoint.dmr.inventoryAt;
        const inventoryStale = inventoryAt === null || clock.now() - inventoryAt >= this.#options.intervalMs;
        if (recovered || inventoryStale || changed) await this.#dmr.readInventory(endpoint, timeoutMs);
      }
    } else if (recovered || stale) {
      await this.discover(endpoint);
    }
    await loaded;
  }

  /** Apply a model list body. @returns whether the endpoint's model set changed */
  apply(endpoint: Endpoint, body: unknown): boolean {
    try {
      const models = parseModelList(endpoint.profile, body);
      const before = [...endpoint.models.keys()].join(",");
      endpoint.setModels([...models.values()], this.#options.clock.now());
      if (before === [...models.keys()].join(",")) return false;
      this.#options.logger.info("models discovered", { endpoint: endpoint.name, models: [...models.keys()] });
      return true;
    } catch (error) {
      this.#options.logger.warn("model list unreadable", { endpoint: endpoint.name, error });
      return false;
    }
  }

  async #readModels(endpoint: Endpoint): Promise<void> {
    const { timeoutMs } = this.#options;
    try {
      const response = await this.#get(endpoint.config.modelUrl, endpoint, timeoutMs);
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`model list answered ${response.status}`);
      }
      this.apply(endpoint, await readJson(response));
      if (isDmr(endpoint)) await this.#dmr.readInventory(endpoint, timeoutMs);
    } catch (error) {
      this.#options.logger.warn("model discovery failed", {
        endpoint: endpoint.name,
        url: redactUrl(endpoint.config.modelUrl),
        error: describeFetchError(error, timeoutMs),
      });
    }
  }

  /** Loaded models from the type's report (Ollama `/api/ps`, DMR `/engines/ps`); a failure keeps what was known. */
  async #readLoaded(endpoint: Endpoint, timeoutMs: number): Promise<void> {
    if (isDmr(endpoint)) return this.#dmr.readRunners(endpoint, timeoutMs);
    const report = endpoint.profile.loaded;
    if (!report) return;
    const url = endpoint.proxyBase + report.path;
    try {
      const response = await this.#get(url, endpoint, timeoutMs);
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`answered ${response.status}`);
      }
      endpoint.setLoaded(report.parse(await readJson(response)).map((name) => endpoint.keyOf(name)));
    } catch (error) {
      this.#options.logger.debug("loaded models not available", { endpoint: endpoint.name, url, error });
    }
  }

  #get(url: string, endpoint: Endpoint, timeoutMs: number): Promise<Response> {
    return backendGet(this.#options.fetch, url, endpoint, timeoutMs);
  }
}

function isDmr(endpoint: Endpoint): boolean {
  return endpoint.profile.type === "docker-model-runner";
}
