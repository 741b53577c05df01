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
import { displayModelName, normaliseModelRef } from "../models/dmr_names.ts";
import { DMR_PROFILE } from "../profiles/dmr.ts";
import { forward, type ForwardSettings } from "../proxying/forward.ts";
import type { Router } from "../routing/route.ts";
import { type BodyDeadline, readBodyWithin, readModelField } from "./body.ts";
import { assertModelAllowed, keyAllowsModel } from "../auth/require_key.ts";
import type { AppEnv } from "./context.ts";
import { ProxyError } from "./errors.ts";

export interface DmrRoutesOptions {
  readonly endpoints: readonly Endpoint[];
  readonly router: Router;
  readonly forwarding: ForwardSettings;
  readonly maxBodySize: number;
  /** server.read_timeout for the request body. */
  readonly bodyDeadline?: BodyDeadline;
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
    const record = c.get("record");
    const body = await readBodyWithin(raw, options.maxBodySize, options.bodyDeadline);
    await c.env?.settle?.();
    // Cold loads hold a request silent for minutes; the runtime must not cut it. Only now: a
    // slow or stalled body is bounded by server.read_timeout and the idle timeout until here.
    c.env?.disableIdleTimeout();
    const requested = readModelField(body);
    const key = normaliseModelRef(requested);
    record.model = displayModelName(key);
    assertModelAllowed(c, requested);
    const mode = route.kind === "embeddings" ? "embedding" : "completion";
    const candidates = await options.router.candidates(key, requested, { engine: route.engine, mode });
    const outcome = await forward({
      requestId: record.id,
      path: sub,
      search: searchOf(raw.url),
      body,
      headers: raw.headers,
      clientIp: c.env?.remoteAddress ?? "",
      trustedClient: c.get("client")?.viaTrustedProxy,
      clientSignal: raw.signal,
      model: record.model,
      startedAt: record.startedAt,
      onAttempt: (endpoint) => endpoint.dmr.trackRequest(key, mode),
    }, candidates, options.forwarding);
    record.endpoint = outcome.endpoint?.name;
    record.attempts = outcome.attempts;
    record.bodyEnd = outcome.done;
    return outcome.response;
  };
}

function notProxied(method: string, path: string): ProxyError {
  return new ProxyError(
    404,
    "route_not_found",
    `${method} ${path} is not a Docker Model Runner inference route: Tureen forwards only ` +
      "POST /olla/dmr/engines[/llama.cpp|/vllm]/v1/{chat/completions,completions,embeddings} " +
      "and answers GET /olla/dmr/engines[/llama.cpp|/vllm]/v1/models",
  );
}

function searchOf(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? "" : url.slice(query);
}
