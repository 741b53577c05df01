/**
 * @module
 * `/olla/proxy/`: one URL for the whole fleet. `GET /olla/proxy/v1/models` lists every
 * model of every OpenAI-compatible endpoint; `POST /olla/proxy/v1/...` goes to any endpoint,
 * of any type, that serves the body's model and takes that path (DMR's `/engines/v1/...` is
 * its `/v1/...`), with failover across types (`/v1/responses` and `/v1/rerank` are mounted
 * before this handler: responses_routes.ts, rerank_routes.ts). `/olla/proxy/api/...` is Ollama's native API
 * and reaches Ollama endpoints only. Anything else is a JSON 404 that reaches no backend.
 */
import type { Context, Handler } from "hono";
import { renderList } from "../models/list_formats.ts";
import { allowedModels } from "../auth/require_key.ts";
import { asPlaced, unifiedModels } from "../models/unified.ts";
import type { Profile, ProxiedPath } from "../profiles/profile.ts";
import type { ProfileRegistry } from "../profiles/registry.ts";
import type { AppEnv } from "./context.ts";
import { refuse } from "./errors.ts";
import { rawPathOf } from "../runtime/target.ts";
import { FLEET_SCOPE, forwardByModel } from "./proxy_request.ts";
import { ENCODED_SLASH, typeRoutes, type TypeRoutesOptions } from "./type_routes.ts";

const PREFIX = "/olla/proxy";

/** The path `profile` serves for a fleet-wide OpenAI path, or null when it does not take it. */
export function fleetPath(profile: Profile, path: string): ProxiedPath | null {
  if (!profile.openaiCompatible) return null;
  if (profile.type === "docker-model-runner") return profile.proxied.get(`/engines${path}`) ?? null;
  return profile.proxied.get(path) ?? null;
}

export function proxyRoutes(profiles: ProfileRegistry, options: TypeRoutesOptions): Handler<AppEnv> {
  // Ollama's native API under /olla/proxy/api/ is exactly /olla/ollama/api/, Ollama endpoints only.
  const ollamaApi = typeRoutes(profiles.forType("ollama"), "proxy", options);
  return async function proxyRoute(c: Context<AppEnv>, next) {
    const method = c.req.method;
    const path = c.req.path;
    const sub = path.slice(PREFIX.length);
    if (ENCODED_SLASH.test(rawPathOf(c.req.raw.url))) throw notProxied(method, path);
    if (sub.startsWith("/api/")) return ollamaApi(c, next);
    if (method === "GET" && sub === "/v1/models") {
      await options.router.ready();
      const fleet = options.endpoints.filter((e) => e.profile.openaiCompatible);
      return c.json(renderList("openai", [...allowedModels(c, unifiedModels(fleet).map(asPlaced), (p) => p.name)]));
    }
    const route = method === "POST"
      ? profiles.profiles.map((p) => fleetPath(p, sub)).find((r) => r !== null)
      : undefined;
    if (!route) throw notProxied(method, path);
    return forwardByModel(c, {
      path: sub,
      route: { ...route, engine: null },
      profile: null,
      router: options.router,
      need: { pool: (endpoints) => endpoints.filter((e) => fleetPath(e.profile, sub) !== null), scope: FLEET_SCOPE },
      forwarding: options.forwarding,
      maxBodySize: options.maxBodySize,
      aliases: options.aliases,
      pathFor: (endpoint) => fleetPath(endpoint.profile, sub)!.path,
    });
  };
}

function notProxied(method: string, path: string) {
  return refuse(
    "route_not_found",
    `${method} ${path} is not a route Tureen forwards: POST /olla/proxy/v1/{chat/completions,completions,embeddings,responses,rerank,...} ` +
      "to any backend serving the model, GET|DELETE /olla/proxy/v1/responses/{id}, GET /olla/proxy/v1/models, " +
      "and Ollama's /olla/proxy/api/{chat,generate,embed,tags,...}",
  );
}
