/**
 * @module
 * Extra reads the health loop makes of a healthy Docker Model Runner: engines and model
 * formats when its models are (re)discovered, runners on every probe. Each is one small
 * local GET; a failure keeps the previous state and is logged at debug, since older DMR
 * builds lack some of these routes.
 */
import type { Endpoint } from "../endpoints/endpoint.ts";
import type { Logger } from "../log/logger.ts";
import { parseEngineStatus, parseModelFormats, parseRunners } from "../models/dmr_state.ts";

export type Get = (url: string, endpoint: Endpoint, timeoutMs: number) => Promise<Response>;

export class DmrProbe {
  readonly #get: Get;
  readonly #logger: Logger;
  readonly #now: () => number;

  constructor(get: Get, logger: Logger, now: () => number) {
    this.#get = get;
    this.#logger = logger;
    this.#now = now;
  }

  /** Engines and model formats: rarely change, read with the model list. */
  async readInventory(endpoint: Endpoint, timeoutMs: number): Promise<void> {
    const base = endpoint.proxyBase;
    const [engines, formats] = await Promise.all([
      this.#json(endpoint, `${base}/engines/status`, timeoutMs),
      this.#json(endpoint, `${base}/models`, timeoutMs),
    ]);
    this.#apply(endpoint, "/engines/status", () => {
      if (engines !== undefined) endpoint.dmr.engines = parseEngineStatus(engines);
    });
    this.#apply(endpoint, "/models", () => {
      if (formats !== undefined) endpoint.dmr.formats = parseModelFormats(formats);
    });
    endpoint.dmr.inventoryAt = this.#now();
  }

  /** Loaded and loading runners: change with traffic, read on every probe. */
  async readRunners(endpoint: Endpoint, timeoutMs: number): Promise<void> {
    const base = endpoint.proxyBase;
    const body = await this.#json(endpoint, `${base}/engines/ps`, timeoutMs);
    if (body === undefined) return;
    this.#apply(endpoint, "/engines/ps", () => {
      const { loaded, loading } = parseRunners(body);
      endpoint.dmr.loaded = loaded;
      endpoint.dmr.loadingReported = loading;
      endpoint.dmr.psUpdatedAt = this.#now();
    });
  }

  async #json(endpoint: Endpoint, url: string, timeoutMs: number): Promise<unknown> {
    try {
      const response = await this.#get(url, endpoint, timeoutMs);
      if (!response.ok) {
        await response.body?.cancel();
        this.#logger.debug("dmr state not available", { endpoint: endpoint.name, url, status: response.status });
        return undefined;
      }
      return await response.json();
    } catch (error) {
      this.#logger.debug("dmr state not available", { endpoint: endpoint.name, url, error });
      return undefined;
    }
  }

  #apply(endpoint: Endpoint, what: string, apply: () => void): void {
    try {
      apply();
    } catch (error) {
      this.#logger.debug("dmr state unreadable", { endpoint: endpoint.name, what, error });
    }
  }
}
