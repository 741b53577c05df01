/**
 * @module
 * LM Studio (app or headless, port 1234). It has no health route and answers **200** to any
 * unknown path (`{"error":"Unexpected endpoint or method..."}`), so health is `/v1/models`
 * and must be a JSON model list. Models come from `/api/v0/models`, whose `state` says
 * loaded or not-loaded and which gives the context length; JIT loading makes a cold request
 * wait in silence. Model load, unload and download never reach it.
 */
import { MESSAGES, OPENAI_LISTING, openAiFamily, path, readListHealth, RESPONSES } from "./openai_family.ts";
import { type EndpointModel, plainModelKey } from "./profile.ts";

/**
 * Parse `GET /api/v0/models`: `data[{id, type, publisher, arch, compatibility_type, quantization,
 * state, max_context_length}]`.
 *
 * @throws {SyntaxError} when the body is not that shape
 */
export function parseLmStudioModels(body: unknown): EndpointModel[] {
  const data = (body as { data?: unknown })?.data;
  if (!Array.isArray(data)) throw new SyntaxError('Cannot read model list: expected {"data": [...]}');
  const models: EndpointModel[] = [];
  for (const item of data as Array<Record<string, unknown>>) {
    const id = item?.id;
    if (typeof id !== "string" || id.trim() === "") continue;
    const type = item.type;
    const kind = type === "llm" || type === "vlm"
      ? type
      : type === "embeddings" || type === "embedding"
      ? "embeddings"
      : undefined;
    models.push({
      key: plainModelKey(id),
      id,
      created: 0,
      ...(typeof item.max_context_length === "number" ? { contextLength: item.max_context_length } : {}),
      ...(typeof item.arch === "string" ? { family: item.arch } : {}),
      ...(typeof item.quantization === "string" ? { quantization: item.quantization } : {}),
      ...(kind ? { kind } : {}),
      ...(typeof item.state === "string" ? { loaded: item.state === "loaded" } : {}),
    });
  }
  return models;
}

export const LM_STUDIO_PROFILE = openAiFamily({
  type: "lm-studio",
  label: "LM Studio",
  prefixes: ["lmstudio", "lm-studio", "lm_studio"],
  configAliases: ["lmstudio", "lm_studio"],
  defaultPort: 1234,
  healthPath: "/v1/models",
  readHealth: readListHealth,
  modelsPath: "/api/v0/models",
  parseModels: parseLmStudioModels,
  extraPaths: [
    RESPONSES,
    MESSAGES,
    path("/api/v0/chat/completions", "chat"),
    path("/api/v0/completions", "completions"),
    path("/api/v0/embeddings", "embeddings"),
  ],
  listings: [OPENAI_LISTING, { path: "/api/v0/models", format: "lmstudio" }, {
    path: "/api/v1/models",
    format: "openai",
  }],
  management: ["/api/v1/models/load", "/api/v1/models/unload", "/api/v1/models/download"],
  nativeApis: { anthropicMessages: "/v1/messages", responses: "/v1/responses" },
});
