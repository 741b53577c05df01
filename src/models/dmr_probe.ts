/**
 * @module
 * Extra reads of a healthy Docker Model Runner: engines and model formats when its models
 * are (re)discovered, runners on every probe. Each is one small local GET; a failure keeps
 * the previous state and is logged at debug, since older DMR builds lack some of these routes.
 */
import type { Endpoint } from "../endpoints/endpoint.ts";
import type { Logger } from "../log/logger.ts";
import { parseEngineStatus, parseModelFormats, parseRunners } from "./dmr_state.ts";

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
    endpoint.dmr.applyInventory(
      this.#parse(endpoint, "/engines/status", engines, parseEngineStatus),
      this.#parse(endpoint, "/models", formats, parseModelFormats),
      this.#now(),
    );
  }

  /** Loaded and loading runners: change with traffic, read on every probe. */
  async readRunners(endpoint: Endpoint, timeoutMs: number): Promise<void> {
    const body = await this.#json(endpoint, `${endpoint.proxyBase}/engines/ps`, timeoutMs);
    const runners = this.#parse(endpoint, "/engines/ps", body, parseRunners);
    if (runners) endpoint.dmr.applyRunners(runners, this.#now());
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

  #parse<T>(endpoint: Endpoint, what: string, body: unknown, parse: (body: unknown) => T): T | undefined {
    if (body === undefined) return undefined;
    try {
      return parse(body);
    } catch (error) {
      this.#logger.debug("dmr state unreadable", { endpoint: endpoint.name, what, error });
      return undefined;
    }
  }
}
