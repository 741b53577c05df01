/**
 * @module
 * What most OpenAI-compatible servers share: the `/v1/models` list shape (with each
 * server's extra fields for context length and ownership), the `/v1/...` inference paths,
 * and a profile builder so each type's file states only where it differs.
 */
import {
  byPath,
  type EndpointModel,
  type HealthVerdict,
  type ListingPath,
  type PathKind,
  plainModelKey,
  type Profile,
  type ProxiedPath,
} from "./profile.ts";

/** Inference paths every OpenAI-compatible type takes. */
export const OPENAI_INFERENCE: readonly ProxiedPath[] = [
  { path: "/v1/chat/completions", kind: "chat" },
  { path: "/v1/completions", kind: "completions" },
  { path: "/v1/embeddings", kind: "embeddings" },
];

export const RESPONSES: ProxiedPath = { path: "/v1/responses", kind: "responses" };
export const MESSAGES: ProxiedPath = { path: "/v1/messages", kind: "messages" };
export const COUNT_TOKENS: ProxiedPath = { path: "/v1/messages/count_tokens", kind: "messages" };
export const RERANK: ProxiedPath = { path: "/v1/rerank", kind: "rerank" };

/** `/v1/models` answered from the catalogue in OpenAI's list shape. */
export const OPENAI_LISTING: ListingPath = { path: "/v1/models", format: "openai" };

const firstNumber = (...values: unknown[]): number | undefined =>
  values.find((v): v is number => typeof v === "number" && Number.isFinite(v) && v > 0);

/**
 * Parse an OpenAI list `{"data":[{"id",...}]}`. Reads the context length wherever a server
 * puts it (vLLM and SGLang `max_model_len`, llama-server `meta.n_ctx_train`, Lemonade
 * `max_context_window`) and llama-server router mode's `status.value` as loaded state.
 * A `data: null` (Ollama with no models) is an empty list.
 *
 * @throws {SyntaxError} when the body is not that shape
 */
export function parseOpenAiModelList(body: unknown, options: { allLoaded?: boolean } = {}): EndpointModel[] {
  const data = (body as { data?: unknown })?.data;
  if (data === null && typeof body === "object") return [];
  if (!Array.isArray(data)) throw new SyntaxError('Cannot read model list: expected {"data": [...]}');
  const models: EndpointModel[] = [];
  for (const item of data as Array<Record<string, unknown>>) {
    const id = item?.id;
    if (typeof id !== "string" || id.trim() === "") continue;
    const meta = (item.meta ?? {}) as Record<string, unknown>;
    const status = (item.status as { value?: unknown } | undefined)?.value;
    const contextLength = firstNumber(
      item.max_model_len,
      item.max_context_length,
      item.max_context_window,
      item.context_length,
      meta.n_ctx_train,
    );
    const loaded = typeof status === "string" ? status === "loaded" : options.allLoaded ? true : undefined;
    models.push({
      key: plainModelKey(id),
      id,
      created: typeof item.created === "number" ? item.created : 0,
      ...(contextLength ? { contextLength } : {}),
      ...(typeof meta.size === "number" ? { sizeBytes: meta.size } : {}),
      ...(loaded !== undefined ? { loaded } : {}),
    });
  }
  return models;
}

/** A health answer must be a JSON model list: LM Studio and some generic servers answer 200 to any path. */
export function readListHealth(body: string): HealthVerdict {
  try {
    const parsed = JSON.parse(body) as { data?: unknown };
    if (Array.isArray(parsed?.data) || parsed?.data === null) return { healthy: true };
  } catch {
    // fall through
  }
  return { healthy: false, reason: "health check answered 2xx but not with a model list" };
}

/** llama-server style `{"status":"ok"}`; anything else that is 2xx is not ready. */
export function readStatusOk(body: string): HealthVerdict {
  try {
    if ((JSON.parse(body) as { status?: unknown })?.status === "ok") return { healthy: true };
  } catch {
    // fall through
  }
  return { healthy: false, reason: `health check answered 2xx without {"status":"ok"}` };
}

export interface FamilyProfile {
  readonly type: string;
  readonly label: string;
  readonly prefixes: readonly string[];
  readonly configAliases?: readonly string[];
  readonly defaultPort: number | null;
  readonly healthPath: string;
  readonly readHealth?: Profile["readHealth"];
  readonly modelsPath?: string;
  readonly parseModels?: Profile["parseModels"];
  readonly loaded?: Profile["loaded"];
  /** Inference paths beyond chat, completions and embeddings. */
  readonly extraPaths?: readonly ProxiedPath[];
  readonly listings?: readonly ListingPath[];
  readonly management?: readonly string[];
  readonly nativeApis?: Profile["nativeApis"];
}

/** An OpenAI-compatible type: `/v1/models` listed, chat, completions and embeddings forwarded, plus its extras. */
export function openAiFamily(spec: FamilyProfile): Profile {
  return {
    type: spec.type,
    configAliases: spec.configAliases ?? [],
    label: spec.label,
    prefixes: spec.prefixes,
    defaultPort: spec.defaultPort,
    streaming: "sse",
    openaiCompatible: true,
    healthPath: spec.healthPath,
    ...(spec.readHealth ? { readHealth: spec.readHealth } : {}),
    modelsPath: spec.modelsPath ?? "/v1/models",
    parseModels: spec.parseModels ?? ((body) => parseOpenAiModelList(body)),
    modelKey: plainModelKey,
    showModel: (key) => key,
    ...(spec.loaded ? { loaded: spec.loaded } : {}),
    proxied: byPath([...OPENAI_INFERENCE, ...(spec.extraPaths ?? [])]),
    listings: byPath(spec.listings ?? [OPENAI_LISTING]),
    passthroughGets: new Set(),
    mergedGets: new Map(),
    management: spec.management ?? [],
    nativeApis: spec.nativeApis ?? {},
  };
}

/** A path of a given kind, for type files that add native routes. */
export const path = (p: string, kind: PathKind): ProxiedPath => ({ path: p, kind });
