/**
 * @module
 * `/olla/dmr/*`: the eight seed routes and nothing else. Model lists are answered from the
 * catalogue; inference is forwarded byte for byte to the same path minus `/olla/dmr`.
 * Every other path or method is a JSON 404 that never reaches a backend (traversal attempts
 * are refused before routing, by canonical_target.ts).
 */
import type { Handler } from "hono";
import type { Endpoint } from "../endpoints/endpoint.ts";
import { listModels } from "../models/catalog.ts";
import { DMR_PROFILE } from "../profiles/dmr.ts";
import type { ForwardSettings } from "../proxying/forward.ts";
import type { Router } from "../routing/route.ts";
import { keyAllowsModel } from "../auth/require_key.ts";
import type { AppEnv } from "./context.ts";
import { ProxyError } from "./errors.ts";
import { forwardFor, readModelBody, searchOf } from "./model_proxy.ts";

export interface DmrRoutesOptions {
  readonly endpoints: readonly Endpoint[];
  readonly router: Router;
  readonly forwarding: ForwardSettings;
  readonly maxBodySize: number;
}

const PREFIX = `/olla/${DMR_PROFILE.prefix}`;

export function dmrRoutes(options: DmrRoutesOptions): Handler<AppEnv> {
  return async function dmrRoute(c) {
    const raw = c.req.raw;
    const path = c.req.path;
    const sub = path.slice(PREFIX.length);
    if (c.req.method === "GET" && DMR_PROFILE.modelListRoutes.has(sub)) {
      await options.router.ready();
      const key = c.get("apiKey");
      const models = listModels(options.endpoints, DMR_PROFILE.modelListRoutes.get(sub)!);
      return c.json({ object: "list", data: key?.models ? models.filter((m) => keyAllowsModel(key, m.id)) : models });
    }
    const route = c.req.method === "POST" ? DMR_PROFILE.inferenceRoutes.get(sub) : undefined;
    if (!route) throw notProxied(c.req.method, path);
    const { body, requested, key } = await readModelBody(c, options.maxBodySize);
    const mode = route.kind === "embeddings" ? "embedding" : "completion";
    const candidates = await options.router.candidates(key, requested, { engine: route.engine, mode });
    const outcome = await forwardFor(c, options.forwarding, { path: sub, search: searchOf(raw.url), body, key, mode }, candidates);
    return outcome.response;
  };
}

function notProxied(method: string, path: string): ProxyError {
  return new ProxyError(
    404,
    "route_not_found",
    `${method} ${path} is not a Docker Model Runner inference route: Tureen forwards only ` +
      "POST /olla/dmr/engines[/llama.cpp|/vllm]/v1/{chat/completions,completions,embeddings,responses}, " +
      "/olla/dmr/{rerank,score}, /olla/dmr/anthropic/v1/messages " +
      "and answers GET /olla/dmr/engines[/llama.cpp|/vllm]/v1/models",
  );
}
