/**
 * @module
 * oMLX (multi-model MLX server for Apple Silicon, port 8000): `/health`, models at
 * `/v1/models`, which are loaded at `/v1/models/status`. Low concurrency per model.
 */
import { COUNT_TOKENS, MESSAGES, openAiFamily, RERANK, RESPONSES } from "./openai_family.ts";

/** Read `/v1/models/status`: entries with an id (or model/name) and a loaded flag or status. */
export function parseOmlxStatus(body: unknown): string[] {
  const root = body as { data?: unknown; models?: unknown } | unknown[];
  const list = Array.isArray(root)
    ? root
    : Array.isArray(root?.data)
    ? root.data
    : Array.isArray(root?.models)
    ? root.models
    : null;
  if (!list) throw new SyntaxError("Cannot read /v1/models/status: expected a list of models");
  const loaded: string[] = [];
  for (const item of list as Array<Record<string, unknown>>) {
    const name = [item?.id, item?.model, item?.name].find((v): v is string => typeof v === "string" && v !== "");
    if (name && (item.loaded === true || item.status === "loaded" || item.state === "loaded")) loaded.push(name);
  }
  return loaded;
}

export const OMLX_PROFILE = openAiFamily({
  type: "omlx",
  label: "oMLX",
  prefixes: ["omlx"],
  defaultPort: 8000,
  healthPath: "/health",
  loaded: { path: "/v1/models/status", parse: parseOmlxStatus },
  extraPaths: [RESPONSES, MESSAGES, COUNT_TOKENS, RERANK],
  nativeApis: {
    anthropicMessages: "/v1/messages",
    anthropicCountTokens: "/v1/messages/count_tokens",
    responses: "/v1/responses",
    rerank: "/v1/rerank",
  },
});
