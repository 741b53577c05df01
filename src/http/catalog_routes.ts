/**
 * @module
 * `GET /olla/models` (the unified catalogue in Olla's shape, or `?format=openai|ollama|lmstudio`,
 * filtered by `endpoint`, `type` and `available`) and `GET /olla/models/{id}`.
 */
import type { Hono } from "hono";
import type { Endpoint } from "../endpoints/endpoint.ts";
import { renderList } from "../models/list_formats.ts";
import { allowedModels } from "../auth/require_key.ts";
import { asPlaced, capabilities, factsOf, mergeName, type UnifiedModel, unifiedModels } from "../models/unified.ts";
import type { ProfileRegistry } from "../profiles/registry.ts";
import type { Router } from "../routing/route.ts";
import type { AppEnv } from "./context.ts";
import { refuse } from "./errors.ts";

export interface CatalogRoutesOptions {
  readonly endpoints: readonly Endpoint[];
  readonly router: Router;
  readonly profiles: ProfileRegistry;
}

const FORMATS = ["unified", "openai", "ollama", "lmstudio"] as const;
const KINDS = new Set(["llm", "vlm", "embeddings"]);

export function mountCatalogRoutes(app: Hono<AppEnv>, options: CatalogRoutesOptions): void {
  app.get("/olla/models", async (c) => {
    const format = c.req.query("format") ?? "unified";
    if (!(FORMATS as readonly string[]).includes(format)) {
      throw refuse("invalid_request", `format "${format}" is not supported: use one of ${FORMATS.join(", ")}`);
    }
    await options.router.ready();
    const models = allowedModels(c, filter(unifiedModels(options.endpoints), c.req.query(), options.profiles), (m) => m.id);
    if (format === "unified") return c.json({ object: "list", data: models.map(unifiedEntry) });
    return c.json(renderList(format as "openai" | "ollama" | "lmstudio", models.map(asPlaced)));
  });

  app.get("/olla/models/*", async (c) => {
    const id = decodedId(c.req.path.slice("/olla/models/".length));
    await options.router.ready();
    const wanted = mergeName(id);
    const model = unifiedModels(options.endpoints).find((m) =>
      mergeName(m.id) === wanted || m.digest === id || m.placements.some((p) => mergeName(p.nativeName) === wanted)
    );
    if (!model) {
      throw refuse(
        "model_not_found",
        `No available endpoint lists a model "${id}": see GET /olla/models for the models available`,
      );
    }
    return c.json(unifiedEntry(model));
  });
}

function decodedId(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw refuse("invalid_request", `"${raw}" is not a valid model id: percent-encode it as a URL path segment`);
  }
}

function filter(models: UnifiedModel[], query: Record<string, string>, profiles: ProfileRegistry): UnifiedModel[] {
  let result = models;
  if (query.endpoint) {
    result = result.filter((m) => m.placements.some((p) => p.endpoint.name === query.endpoint));
  }
  if (query.type) {
    const type = query.type;
    const backend = profiles.forName(type)?.type;
    if (!backend && !KINDS.has(type)) {
      throw refuse("invalid_request", `type "${type}" is neither a backend type nor one of llm, vlm, embeddings`);
    }
    result = backend
      ? result.filter((m) => m.placements.some((p) => p.endpoint.profile.type === backend))
      : result.filter((m) => factsOf(m).kind === type);
  }
  if (query.available === "true" || query.available === "false") {
    const wanted = query.available === "true";
    result = result.filter((m) => m.placements.some((p) => p.state !== "not-loaded") === wanted);
  }
  return result;
}

/** Olla's unified entry, plus the endpoints and types serving it and whether any has it loaded. */
function unifiedEntry(model: UnifiedModel) {
  const facts = factsOf(model);
  return {
    id: model.id,
    object: "model",
    created: facts.created,
    owned_by: "olla",
    olla: {
      family: facts.family,
      parameter_size: facts.parameterSize,
      quantization: facts.quantization,
      digest: model.digest,
      type: facts.kind,
      aliases: [...new Set(model.placements.map((p) => p.nativeName))],
      backend_types: [...new Set(model.placements.map((p) => p.endpoint.profile.type))],
      endpoints: model.placements.map((p) => ({
        name: p.endpoint.name,
        type: p.endpoint.profile.type,
        native_name: p.nativeName,
        state: p.state,
      })),
      availability: model.placements.map((p) => ({ endpoint: p.endpoint.name, state: p.state })),
      loaded: model.placements.some((p) => p.state === "loaded"),
      capabilities: capabilities(model, facts.kind),
      max_context_length: facts.contextLength,
    },
  };
}
