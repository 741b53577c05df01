/**
 * @module
 * What a Docker Model Runner knows that its model list does not say: which engines run
 * (`GET /engines/status`), each model's format (`GET /models`: GGUF runs on llama.cpp,
 * safetensors on vLLM) and which models are loaded or loading (`GET /engines/ps`)
 * (docs/DMR.md §1c, §3). Any of these may be missing on an older DMR; missing means
 * "unknown", and unknown never excludes an endpoint.
 */
import { normaliseModelRef } from "./dmr_names.ts";

/** A DMR runner mode: chat, completions and Anthropic messages share one; embeddings and reranking each run a separate process. */
export type DmrMode = "completion" | "embedding" | "reranking";

export type ModelFormat = "gguf" | "safetensors" | "other";

/** Live DMR facts for one endpoint. */
export class DmrState {
  /** Engine name → status text ("Running: ..."); null until read. */
  engines: ReadonlyMap<string, string> | null = null;
  /** Canonical model key → format; null until read. */
  formats: ReadonlyMap<string, ModelFormat> | null = null;
  /** `key|mode` of runners DMR reports loaded, plus ones this proxy has just used. */
  loaded: Set<string> = new Set();
  /** `key|mode` DMR reports loading. */
  loadingReported: Set<string> = new Set();
  /** `key|mode` → cold loads this proxy has started and not yet seen answered. */
  readonly loadsStarted = new Map<string, number>();
  psUpdatedAt: number | null = null;
  /** When engines and formats were last read. */
  inventoryAt: number | null = null;

  /** Engines and formats as `/engines/status` and `/models` report them; undefined keeps what was known. */
  applyInventory(engines: ReadonlyMap<string, string> | undefined, formats: ReadonlyMap<string, ModelFormat> | undefined, at: number): void {
    if (engines) this.engines = engines;
    if (formats) this.formats = formats;
    this.inventoryAt = at;
  }

  /** Runners as `/engines/ps` reports them. */
  applyRunners(runners: { loaded: Set<string>; loading: Set<string> }, at: number): void {
    this.loaded = runners.loaded;
    this.loadingReported = runners.loading;
    this.psUpdatedAt = at;
  }

  /** Whether `engine` can take a request here; unknown status counts as yes. */
  engineAvailable(engine: string): boolean {
    const status = this.engines?.get(engine);
    if (this.engines === null) return true;
    if (status === undefined) return false;
    if (status.startsWith("Running")) return true;
    // llama.cpp is installed on demand inside the first request on macOS and Windows (§4).
    return engine === "llama.cpp" && !status.startsWith("Error");
  }

  /** Engines DMR would run this model on, after its format override (§3). */
  enginesFor(key: string, pathEngine: string | null): string[] {
    const format = this.formats?.get(key);
    if (format === "safetensors") return ["vllm", "mlx", "sglang"];
    return [pathEngine ?? "llama.cpp"];
  }

  /** Whether any engine that would run this model is available here. */
  canRun(key: string, pathEngine: string | null): boolean {
    return this.enginesFor(key, pathEngine).some((engine) => this.engineAvailable(engine));
  }

  /**
   * Note that this proxy is sending a request for the model here. Until the backend
   * answers, a model that was not loaded counts as loading, so concurrent first requests
   * join this cold load; a 2xx answer means DMR has it loaded now.
   *
   * @returns a callback for when the backend answered (or failed)
   */
  trackRequest(key: string, mode: DmrMode): (answered: boolean) => void {
    const id = `${key}|${mode}`;
    const cold = !this.loaded.has(id);
    if (cold) this.loadsStarted.set(id, (this.loadsStarted.get(id) ?? 0) + 1);
    let settled = false;
    return (answered) => {
      if (settled) return;
      settled = true;
      if (cold) {
        const left = (this.loadsStarted.get(id) ?? 1) - 1;
        if (left > 0) this.loadsStarted.set(id, left);
        else this.loadsStarted.delete(id);
      }
      if (answered) this.loaded.add(id);
    };
  }

  isLoaded(key: string, mode: DmrMode): boolean {
    return this.loaded.has(`${key}|${mode}`);
  }

  isLoading(key: string, mode: DmrMode): boolean {
    const id = `${key}|${mode}`;
    return this.loadingReported.has(id) || (this.loadsStarted.get(id) ?? 0) > 0;
  }
}

/** The status prefixes DMR uses (docs/DMR.md §1c). */
const ENGINE_STATUS = /^(Running|Error|Not Installed|Installing)\b/;

/** Parse `GET /engines/status`: `{"llama.cpp":"Running: ...","vllm":"Not Installed: ..."}`. */
export function parseEngineStatus(body: unknown): Map<string, string> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new SyntaxError("Cannot read /engines/status: expected an object of engine statuses");
  }
  const engines = new Map<string, string>();
  for (const [name, status] of Object.entries(body)) {
    if (typeof status === "string" && ENGINE_STATUS.test(status)) engines.set(name, status);
  }
  // Something else answered 200 (a catch-all, another server): knowing nothing beats a wrong "not running".
  if (engines.size === 0) throw new SyntaxError("Cannot read /engines/status: no engine status in the answer");
  return engines;
}

/** Parse `GET /models`: `[{"tags":["docker.io/ai/x:latest"],"config":{"format":"gguf"}}]`. */
export function parseModelFormats(body: unknown): Map<string, ModelFormat> {
  if (!Array.isArray(body)) throw new SyntaxError("Cannot read /models: expected an array");
  const formats = new Map<string, ModelFormat>();
  for (const item of body) {
    const raw = (item as { config?: { format?: unknown } })?.config?.format;
    const format: ModelFormat = raw === "gguf" || raw === "safetensors" ? raw : "other";
    const tags = (item as { tags?: unknown })?.tags;
    const id = (item as { id?: unknown })?.id;
    const names = Array.isArray(tags) ? tags : [];
    if (typeof id === "string") names.push(id);
    for (const name of names) if (typeof name === "string" && name) formats.set(normaliseModelRef(name), format);
  }
  return formats;
}

/** Parse `GET /engines/ps` into loaded and loading `key|mode` sets. */
export function parseRunners(body: unknown): { loaded: Set<string>; loading: Set<string> } {
  if (!Array.isArray(body)) throw new SyntaxError("Cannot read /engines/ps: expected an array");
  const loaded = new Set<string>();
  const loading = new Set<string>();
  for (const runner of body) {
    const name = (runner as { model_name?: unknown })?.model_name;
    if (typeof name !== "string" || !name) continue;
    const mode = (runner as { mode?: unknown }).mode === "embedding" ? "embedding" : "completion";
    const id = `${normaliseModelRef(name)}|${mode}`;
    ((runner as { loading?: unknown }).loading === true ? loading : loaded).add(id);
  }
  return { loaded, loading };
}
