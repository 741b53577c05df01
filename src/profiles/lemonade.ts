/**
 * @module
 * Lemonade Server (port 13305; older installs 8000). Every API route exists under
 * `/api/v1/`, `/api/v0/`, `/v1/` and `/v0/`; Tureen uses `/api/v1/`, which old and new
 * builds share. Health is `/api/v1/health`, which also names the loaded models
 * (`all_models_loaded`); the list at `/api/v1/models` holds downloaded models only. Models
 * load on the first request (LRU, one per kind by default). Pull, load, unload, install
 * and the internal routes never reach it.
 */
import { openAiFamily } from "./openai_family.ts";
import { byPath, type ProxiedPath } from "./profile.ts";

/** Read `/api/v1/health`'s `all_models_loaded[].model_name` (older builds: `model_loaded`). */
export function parseLemonadeLoaded(body: unknown): string[] {
  const health = body as { all_models_loaded?: unknown; model_loaded?: unknown };
  if (Array.isArray(health?.all_models_loaded)) {
    return health.all_models_loaded
      .map((m) => (m as { model_name?: unknown })?.model_name)
      .filter((name): name is string => typeof name === "string" && name !== "");
  }
  if (typeof health?.model_loaded === "string" && health.model_loaded) return [health.model_loaded];
  if (typeof health === "object" && health !== null) return [];
  throw new SyntaxError("Cannot read /api/v1/health: expected an object");
}

const PREFIXES = ["/api/v1", "/v1"];
const SUFFIXES: ReadonlyArray<[string, ProxiedPath["kind"]]> = [
  ["/chat/completions", "chat"],
  ["/completions", "completions"],
  ["/embeddings", "embeddings"],
  ["/responses", "responses"],
  ["/reranking", "rerank"],
  ["/rerank", "rerank"],
  ["/messages", "messages"],
];

const base = openAiFamily({
  type: "lemonade",
  label: "Lemonade",
  prefixes: ["lemonade"],
  defaultPort: 13305,
  healthPath: "/api/v1/health",
  modelsPath: "/api/v1/models",
  loaded: { path: "/api/v1/health", parse: parseLemonadeLoaded },
  listings: [{ path: "/v1/models", format: "openai" }, { path: "/api/v1/models", format: "openai" }],
  management: [
    "pull",
    "delete",
    "load",
    "unload",
    "install",
    "uninstall",
    "cloud/auth",
    "models/register",
    "downloads/control",
    "jobs",
  ]
    .flatMap((p) => PREFIXES.map((prefix) => `${prefix}/${p}`)).concat(["/internal", "/mcp"]),
  nativeApis: { anthropicMessages: "/v1/messages", responses: "/api/v1/responses", rerank: "/api/v1/reranking" },
});

export const LEMONADE_PROFILE = {
  ...base,
  proxied: byPath(
    PREFIXES.flatMap((prefix) => SUFFIXES.map(([suffix, kind]) => ({ path: `${prefix}${suffix}`, kind }))),
  ),
};
