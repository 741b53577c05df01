/**
 * @module
 * Ollama (port 11434). `GET /` answers `Ollama is running`; `/api/tags` lists every pulled
 * model (with digest, size and details), `/api/ps` the loaded ones. Native calls stream
 * NDJSON (one JSON object per line, the last with `"done":true`) and load models on demand
 * before the first byte. Ollama 403s a `Host` it does not know, so the backend request
 * always carries the backend's own authority. Pull, push, create, copy, delete, blobs and
 * the account routes never reach it: Tureen answers them 501.
 */
import { MESSAGES, OPENAI_INFERENCE, RESPONSES } from "./openai_family.ts";
import { byPath, type EndpointModel, type HealthVerdict, plainModelKey, type Profile } from "./profile.ts";

/**
 * Parse `GET /api/tags`: `{"models":[{name, model, modified_at, size, digest, details{...}}]}`.
 *
 * @throws {SyntaxError} when the body is not that shape
 */
export function parseOllamaTags(body: unknown): EndpointModel[] {
  const list = (body as { models?: unknown })?.models;
  if (list === null && typeof body === "object") return [];
  if (!Array.isArray(list)) throw new SyntaxError('Cannot read /api/tags: expected {"models": [...]}');
  const models: EndpointModel[] = [];
  for (const item of list as Array<Record<string, unknown>>) {
    const name = typeof item?.name === "string" && item.name ? item.name : item?.model;
    if (typeof name !== "string" || name.trim() === "") continue;
    const details = (item.details ?? {}) as Record<string, unknown>;
    const modified = typeof item.modified_at === "string" ? Date.parse(item.modified_at) : NaN;
    const context = details.context_length ?? item.context_length;
    models.push({
      key: plainModelKey(name),
      id: name,
      created: Number.isFinite(modified) ? Math.floor(modified / 1000) : 0,
      ...(typeof item.digest === "string" && item.digest ? { digest: item.digest.replace(/^sha256:/, "") } : {}),
      ...(typeof item.size === "number" ? { sizeBytes: item.size } : {}),
      ...(typeof details.family === "string" ? { family: details.family } : {}),
      ...(typeof details.parameter_size === "string" ? { parameterSize: details.parameter_size } : {}),
      ...(typeof details.quantization_level === "string" ? { quantization: details.quantization_level } : {}),
      ...(typeof context === "number" ? { contextLength: context } : {}),
    });
  }
  return models;
}

/** Read `GET /api/ps` into the names of loaded models. */
export function parseOllamaPs(body: unknown): string[] {
  const list = (body as { models?: unknown })?.models;
  if (list === null && typeof body === "object") return [];
  if (!Array.isArray(list)) throw new SyntaxError('Cannot read /api/ps: expected {"models": [...]}');
  return list
    .map((m) => (m as { name?: unknown; model?: unknown })?.name ?? (m as { model?: unknown })?.model)
    .filter((name): name is string => typeof name === "string" && name !== "");
}

function readOllamaHealth(body: string): HealthVerdict {
  return body.includes("Ollama is running")
    ? { healthy: true }
    : { healthy: false, reason: 'health check answered 2xx without "Ollama is running"' };
}

/** Ollama's native API paths Tureen forwards, routed by the body's `model`. */
export const OLLAMA_NATIVE = ["/api/chat", "/api/generate", "/api/embed", "/api/embeddings", "/api/show"] as const;

export const OLLAMA_PROFILE: Profile = {
  type: "ollama",
  configAliases: [],
  label: "Ollama",
  prefixes: ["ollama"],
  defaultPort: 11434,
  streaming: "ndjson",
  openaiCompatible: true,
  healthPath: "/",
  readHealth: readOllamaHealth,
  modelsPath: "/api/tags",
  parseModels: parseOllamaTags,
  modelKey: plainModelKey,
  showModel: (key) => key,
  loaded: { path: "/api/ps", parse: parseOllamaPs },
  proxied: byPath([
    { path: "/api/chat", kind: "chat" },
    { path: "/api/generate", kind: "completions" },
    { path: "/api/embed", kind: "embeddings" },
    { path: "/api/embeddings", kind: "embeddings" },
    { path: "/api/show", kind: "native" },
    ...OPENAI_INFERENCE,
    RESPONSES,
    MESSAGES,
  ]),
  listings: byPath([{ path: "/api/tags", format: "ollama" }, { path: "/v1/models", format: "openai" }]),
  passthroughGets: new Set(["/api/version"]),
  // Open WebUI reads the loaded badge (expires_at) from here: every Ollama's loaded models, not one's.
  mergedGets: new Map([["/api/ps", "models"]]),
  management: [
    "/api/pull",
    "/api/push",
    "/api/create",
    "/api/copy",
    "/api/delete",
    "/api/blobs",
    "/api/me",
    "/api/signout",
    "/api/user",
    "/api/experimental",
  ],
  nativeApis: { anthropicMessages: "/v1/messages", responses: "/v1/responses" },
};
