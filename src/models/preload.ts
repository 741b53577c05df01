/**
 * @module
 * Warm-up: ask each Docker Model Runner to load the configured models before the first
 * user waits for a cold load. DMR loads on `X-Preload-Only: true` and answers 200 with
 * an empty body once the model is ready (docs/DMR.md §4).
 */
import type { Endpoint } from "../endpoints/endpoint.ts";
import type { Logger } from "../log/logger.ts";
import { displayModelName, normaliseModelRef } from "./dmr_names.ts";
import type { DmrMode } from "./dmr_state.ts";

export interface PreloadEntry {
  readonly name: string;
  readonly mode: DmrMode;
}

export interface PreloaderOptions {
  readonly entries: readonly PreloadEntry[];
  readonly fetch: (url: string, init: RequestInit) => Promise<Response>;
  readonly logger: Logger;
  /** How long one load may take (the proxy's response_header_timeout). */
  readonly timeoutMs: number;
}

export class Preloader {
  readonly #options: PreloaderOptions;
  readonly #running = new Set<string>();

  constructor(options: PreloaderOptions) {
    this.#options = options;
  }

  /** Load every configured model this endpoint lists and does not have loaded; never throws. */
  async warm(endpoint: Endpoint): Promise<void> {
    if (endpoint.profile.type !== "docker-model-runner") return;
    await Promise.all(this.#options.entries.map((entry) => this.#load(endpoint, entry)));
  }

  async #load(endpoint: Endpoint, entry: PreloadEntry): Promise<void> {
    const key = normaliseModelRef(entry.name);
    const id = `${endpoint.name}|${key}|${entry.mode}`;
    if (!endpoint.serves(key) || endpoint.dmr.isLoaded(key, entry.mode) || this.#running.has(id)) return;
    this.#running.add(id);
    const path = entry.mode === "embedding" ? "/engines/v1/embeddings" : "/engines/v1/chat/completions";
    const body = entry.mode === "embedding" ? { model: entry.name, input: "" } : { model: entry.name, messages: [] };
    const done = endpoint.dmr.trackRequest(key, entry.mode);
    const started = Date.now();
    try {
      const headers = new Headers(endpoint.config.headers as Array<[string, string]>);
      headers.set("content-type", "application/json");
      headers.set("x-preload-only", "true");
      const response = await this.#options.fetch(endpoint.proxyBase + path, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
      await response.body?.cancel();
      done(response.ok);
      const fields = { endpoint: endpoint.name, model: displayModelName(key), mode: entry.mode, ms: Date.now() - started };
      if (response.ok) this.#options.logger.info("model preloaded", fields);
      else this.#options.logger.warn("model preload refused", { ...fields, status: response.status });
    } catch (error) {
      done(false);
      this.#options.logger.warn("model preload failed", { endpoint: endpoint.name, model: entry.name, error });
    } finally {
      this.#running.delete(id);
    }
  }
}
