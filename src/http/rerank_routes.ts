/**
 * @module
 * Rerank and score on DMR endpoints, routed by model like the rest: `/olla/dmr/rerank`,
 * `/olla/dmr/score` (DMR's root aliases), `/olla/dmr/engines[/{engine}]/{rerank,score}`
 * (its own paths) and `/olla/dmr/engines/v1/rerank`, which DMR itself does not route (it
 * would read `v1` as an engine name) and is sent to `/engines/rerank`. DMR runs these in a
 * separate reranking runner; llama.cpp has no `/score` and answers 404 JSON, passed through.
 *
 * Other types that declare a rerank API (`nativeApis.rerank`: llama-server, oMLX, vLLM, SGLang,
 * Lemonade, LiteLLM) take `/olla/<type>/v1/rerank` (their type route forwards it; a type that
 * does not list that path gets it sent to its native one), and `/olla/proxy/v1/rerank`
 * reaches any of them, DMR included, at each one's own path, serving the body's model.
 */
import type { Handler } from "hono";
import type { Endpoint } from "../endpoints/endpoint.ts";
import { DMR_PROFILE } from "../profiles/dmr.ts";
import type { Profile } from "../profiles/profile.ts";
import type { ProfileRegistry } from "../profiles/registry.ts";
import type { Need } from "../routing/route.ts";
import type { App, AppEnv } from "./context.ts";
import { DMR_ONLY, forwardFor, readModelBody, searchOf } from "./model_proxy.ts";
import { FLEET_SCOPE, forwardByModel, scopeFor } from "./proxy_request.ts";
import type { TypeRoutesOptions } from "./type_routes.ts";

/** Path under /olla/dmr → the DMR path it goes to and the engine it names. */
const ROUTES: ReadonlyArray<readonly [string, string, string | null]> = [
  ["/rerank", "/rerank", null],
  ["/score", "/score", null],
  ["/engines/v1/rerank", "/engines/rerank", null],
  ["/engines/rerank", "/engines/rerank", null],
  ["/engines/score", "/engines/score", null],
  ...["llama.cpp", "vllm"].flatMap((engine) =>
    ["rerank", "score"].map((op) => [`/engines/${engine}/${op}`, `/engines/${engine}/${op}`, engine] as const)
  ),
];

/** Before `/olla/proxy/*` and the type routes, which would otherwise take these paths. */
export function mountRerankRoutes(app: App, options: TypeRoutesOptions, profiles: ProfileRegistry): void {
  for (const [path, upstream, engine] of ROUTES) app.post(`/olla/dmr${path}`, rerank(options, upstream, engine));
  const rerankPath = (e: Endpoint) => e.profile.nativeApis.rerank ?? null;
  app.post("/olla/proxy/v1/rerank", byModel(options, "/v1/rerank", null, {
    pool: (endpoints) => endpoints.filter((e) => rerankPath(e) !== null),
    scope: FLEET_SCOPE,
  }, (e) => rerankPath(e)!));
  for (const profile of profiles.profiles) {
    const native = profile.nativeApis.rerank;
    // Where the type forwards `/v1/rerank` itself, its type route serves it.
    if (native === undefined || profile.type === DMR_PROFILE.type || profile.proxied.has("/v1/rerank")) continue;
    const need = { pool: (endpoints: readonly Endpoint[]) => endpoints.filter((e) => e.profile.type === profile.type), scope: scopeFor(profile) };
    for (const prefix of profile.prefixes) app.post(`/olla/${prefix}/v1/rerank`, byModel(options, native, profile, need));
  }
}

function byModel(
  options: TypeRoutesOptions,
  path: string,
  profile: Profile | null,
  need: Pick<Need, "pool" | "scope">,
  pathFor?: (endpoint: Endpoint) => string,
): Handler<AppEnv> {
  const route = { path, kind: "rerank" } as const;
  const { router, forwarding, maxBodySize, aliases } = options;
  return (c) => forwardByModel(c, { path, route, profile, router, need, forwarding, maxBodySize, aliases, ...(pathFor ? { pathFor } : {}) });
}

function rerank(options: TypeRoutesOptions, path: string, engine: string | null): Handler<AppEnv> {
  return async function rerankRoute(c) {
    const { body, requested, key } = await readModelBody(c, options.maxBodySize);
    const candidates = await options.router.candidates(key, requested, { engine, mode: "reranking", ...DMR_ONLY });
    const request = { path, search: searchOf(c.req.raw.url), body, key, mode: "reranking" } as const;
    return (await forwardFor(c, options.forwarding, request, candidates)).response;
  };
}
