/**
 * @module
 * What Tureen knows about one kind of inference server, as data plus a few small functions:
 * where it is probed and how to read the answer, where it lists models and how to parse the
 * list, how it reports loaded models, and the exact paths Tureen forwards to it. A path not
 * listed here never reaches a backend of that type. One file per type in this folder.
 */

/** How a type frames a streamed answer on its native routes. */
export type Streaming = "sse" | "ndjson";

/** What a proxied path does; decides the runner mode and which model list a client sees. */
export type PathKind =
  | "chat"
  | "completions"
  | "embeddings"
  | "responses"
  | "messages"
  | "rerank"
  | "native";

/** One path forwarded byte for byte to the same path on the backend, routed by the body's `model`. */
export interface ProxiedPath {
  readonly path: string;
  readonly kind: PathKind;
  /** DMR only: the engine the path names (`/engines/llama.cpp/...`), null for automatic. */
  readonly engine?: "llama.cpp" | "vllm" | null;
}

/** The shape a listing route answers in (answered from the catalogue, never proxied). */
export type ListFormat = "openai" | "ollama" | "lmstudio";

/** A GET route under the prefix answered from Tureen's own catalogue of this type's models. */
export interface ListingPath {
  readonly path: string;
  readonly format: ListFormat;
  /** DMR only: list just the models this engine runs. */
  readonly engine?: "llama.cpp" | "vllm" | null;
}

/** A model as one endpoint lists it, with what the list says about it. */
export interface EndpointModel {
  /** Canonical key for matching (see {@link Profile.modelKey}). */
  readonly key: string;
  /** The id exactly as the backend listed it. */
  readonly id: string;
  readonly created: number;
  /** Content digest, bare hex, when the backend reports one (Ollama). */
  readonly digest?: string;
  readonly contextLength?: number;
  readonly sizeBytes?: number;
  readonly family?: string;
  readonly parameterSize?: string;
  readonly quantization?: string;
  /** `llm`, `vlm` or `embeddings` where the backend says. */
  readonly kind?: "llm" | "vlm" | "embeddings";
  /** True or false where the list itself says whether it is loaded (LM Studio `state`). */
  readonly loaded?: boolean;
}

/** Reads one JSON document from the endpoint (a path under its proxy base); undefined when unavailable. */
export type ReadJson = (path: string) => Promise<unknown>;

/** What the health probe's answer means for this type. */
export type HealthVerdict = { readonly healthy: true } | { readonly healthy: false; readonly reason: string };

/** APIs other than OpenAI's that a type serves natively, for translators to pass through to. */
export interface NativeApis {
  /** Anthropic Messages path on the backend, e.g. `/v1/messages`. */
  readonly anthropicMessages?: string;
  readonly anthropicCountTokens?: string;
  /** OpenAI Responses API path. */
  readonly responses?: string;
  readonly rerank?: string;
}

export interface Profile {
  /** Olla's type name, used in config `type:` and in X-Olla-Backend-Type. */
  readonly type: string;
  /** Other names config accepts for this type (Olla's short forms). */
  readonly configAliases: readonly string[];
  /** Human name, for messages. */
  readonly label: string;
  /** Route prefixes under `/olla/`; the first is the main one. Empty: reached only through `/olla/proxy/`. */
  readonly prefixes: readonly string[];
  readonly defaultPort: number | null;
  /** Framing of streamed answers on the type's native routes. */
  readonly streaming: Streaming;
  /** Whether `/olla/proxy/v1/...` may route OpenAI-shaped requests here. */
  readonly openaiCompatible: boolean;
  readonly healthPath: string;
  /**
   * Read a 2xx health answer: some servers answer 200 to any path (LM Studio), so where the
   * status alone lies the body is checked. Absent: any 2xx is healthy.
   */
  readonly readHealth?: (body: string) => HealthVerdict;
  readonly modelsPath: string;
  /** @throws {SyntaxError} when the body is not this type's model list */
  readonly parseModels: (body: unknown) => EndpointModel[];
  /** Canonical form of a model name, for matching requests to listed models. */
  readonly modelKey: (name: string) => string;
  /** The name clients see for a model key of this type. */
  readonly showModel: (key: string) => string;
  /** Where loaded models are reported, and how to read the report into model keys. */
  readonly loaded?: { readonly path: string; readonly parse: (body: unknown) => string[] };
  /** POST paths forwarded (inference only); keyed by path under the prefix. */
  readonly proxied: ReadonlyMap<string, ProxiedPath>;
  /** GET paths answered from the catalogue; keyed by path under the prefix. */
  readonly listings: ReadonlyMap<string, ListingPath>;
  /** GET paths forwarded as they are to one endpoint (cheap, read-only; e.g. Ollama's `/api/version`). */
  readonly passthroughGets: ReadonlySet<string>;
  /**
   * GET paths read from every healthy endpoint of the type and answered as one list: path →
   * the field holding the array (Ollama's `/api/ps` → `models`).
   */
  readonly mergedGets: ReadonlyMap<string, string>;
  /** Known management paths, refused with 501 and a clear message rather than a bare 404. */
  readonly management: readonly string[];
  readonly nativeApis: NativeApis;
}

/** Lower-case, trimmed, `:latest` dropped: Ollama-style names where `x` and `x:latest` are one model. */
export function plainModelKey(name: string): string {
  return name.trim().toLowerCase().replace(/:latest$/, "");
}

/** Paths keyed by themselves. */
export function byPath<T extends { readonly path: string }>(items: readonly T[]): ReadonlyMap<string, T> {
  return new Map(items.map((item) => [item.path, item]));
}
