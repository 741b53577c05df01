/**
 * @module
 * Docker Model Runner (docs/PROFILES.md): models listed at `/engines/v1/models`, which is also
 * the health check (DMR has no `/health`); inference at `/engines[/llama.cpp|/vllm]/v1/...`.
 * Loaded runners come from `/engines/ps`, engines and formats from `/engines/status` and
 * `/models` (read by models/dmr_probe.ts). Nothing outside this table reaches a DMR.
 */
import { displayModelName, normaliseModelRef } from "../models/dmr_names.ts";
import { parseRunners } from "../models/dmr_state.ts";
import { byPath, type EndpointModel, type ListingPath, type Profile, type ProxiedPath } from "./profile.ts";

const ENGINE_PREFIXES = [
  ["/engines", null],
  ["/engines/llama.cpp", "llama.cpp"],
  ["/engines/vllm", "vllm"],
] as const;

const INFERENCE_SUFFIXES = [
  ["/v1/chat/completions", "chat"],
  ["/v1/completions", "completions"],
  ["/v1/embeddings", "embeddings"],
] as const;

/**
 * Parse `GET /engines/v1/models`. An empty `data: []` is valid: DMR lists pulled models
 * only, and a fresh install has none.
 *
 * @throws {SyntaxError} when the body is not that shape
 */
export function parseDmrModelList(body: unknown): EndpointModel[] {
  const data = (body as { data?: unknown })?.data;
  if (!Array.isArray(data)) throw new SyntaxError('Cannot read model list: expected {"data": [...]}');
  const models: EndpointModel[] = [];
  for (const item of data) {
    const id = (item as { id?: unknown })?.id;
    if (typeof id !== "string" || id.trim() === "") continue;
    const created = (item as { created?: unknown }).created;
    const context = (item as { dmr?: { context_window?: unknown } }).dmr?.context_window;
    models.push({
      key: normaliseModelRef(id),
      id,
      created: typeof created === "number" ? created : 0,
      ...(typeof context === "number" ? { contextLength: context } : {}),
    });
  }
  return models;
}

export const DMR_PROFILE: Profile = {
  type: "docker-model-runner",
  configAliases: ["dmr"],
  label: "Docker Model Runner",
  prefixes: ["dmr"],
  defaultPort: 12434,
  streaming: "sse",
  openaiCompatible: true,
  healthPath: "/engines/v1/models",
  modelsPath: "/engines/v1/models",
  parseModels: parseDmrModelList,
  modelKey: normaliseModelRef,
  showModel: displayModelName,
  // Read with engines and formats by models/dmr_probe.ts, which also keeps the loading runners.
  loaded: { path: "/engines/ps", parse: (body) => [...parseRunners(body).loaded].map((id) => id.slice(0, id.lastIndexOf("|"))) },
  proxied: byPath<ProxiedPath>(
    ENGINE_PREFIXES.flatMap(([prefix, engine]) =>
      INFERENCE_SUFFIXES.map(([suffix, kind]) => ({ path: `${prefix}${suffix}`, kind, engine }))
    ),
  ),
  listings: byPath<ListingPath>(
    ENGINE_PREFIXES.map(([prefix, engine]) => ({ path: `${prefix}/v1/models`, format: "openai", engine })),
  ),
  passthroughGets: new Set(),
  mergedGets: new Map(),
  management: [],
  nativeApis: {
    anthropicMessages: "/anthropic/v1/messages",
    anthropicCountTokens: "/anthropic/v1/messages/count_tokens",
    responses: "/engines/v1/responses",
    // DMR reads `/engines/v1/rerank` as an engine named v1; its own path is `/engines/rerank`.
    rerank: "/engines/rerank",
  },
};
