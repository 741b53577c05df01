/**
 * @module
 * Rerank and score on DMR endpoints, routed by model like the rest: `/olla/dmr/rerank`,
 * `/olla/dmr/score` (DMR's root aliases), `/olla/dmr/engines[/{engine}]/{rerank,score}`
 * (its own paths) and `/olla/dmr/engines/v1/rerank`, which DMR itself does not route (it
 * would read `v1` as an engine name) and is sent to `/engines/rerank`. DMR runs these in a
 * separate reranking runner; llama.cpp has no `/score` and answers 404 JSON, passed through.
 */
import type { Handler } from "hono";
import type { App, AppEnv } from "./context.ts";
import { DMR_ONLY, forwardFor, readModelBody, searchOf } from "./model_proxy.ts";
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

export function mountRerankRoutes(app: App, options: TypeRoutesOptions): void {
  for (const [path, upstream, engine] of ROUTES) app.post(`/olla/dmr${path}`, rerank(options, upstream, engine));
}

function rerank(options: TypeRoutesOptions, path: string, engine: string | null): Handler<AppEnv> {
  return async function rerankRoute(c) {
    const { body, requested, key } = await readModelBody(c, options.maxBodySize);
    const candidates = await options.router.candidates(key, requested, { engine, mode: "reranking", ...DMR_ONLY });
    const request = { path, search: searchOf(c.req.raw.url), body, key, mode: "reranking" } as const;
    return (await forwardFor(c, options.forwarding, request, candidates)).response;
  };
}
