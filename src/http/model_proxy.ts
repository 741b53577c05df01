/**
 * @module
 * The shared step of every route that proxies by model: forward a prepared request to its
 * candidates with the client's headers, address and abort signal, and note the outcome in
 * the access-log record. Routes differ only in the path they send to and what they do with
 * the answer.
 */
import type { Context } from "hono";
import type { Endpoint } from "../endpoints/endpoint.ts";
import { displayModelName, normaliseModelRef } from "../models/dmr_names.ts";
import type { DmrMode } from "../models/dmr_state.ts";
import { forward, type ForwardOutcome, type ForwardSettings } from "../proxying/forward.ts";
import { assertModelAllowed } from "../auth/require_key.ts";
import { rewriteModel } from "../proxying/model_rewrite.ts";
import { DMR_SCOPE, nameOn, type Need } from "../routing/route.ts";
import { readBodyWithin, readModelField } from "./body.ts";
import type { AppEnv } from "./context.ts";

export interface ModelRequest {
  /** Path appended to the endpoint's proxy base. */
  readonly path: string;
  /** The path for one endpoint when it differs by type (routes across types); absent: `path`. */
  readonly pathFor?: (endpoint: Endpoint) => string;
  /** `model_aliases` names of the model: the body's `model` becomes the one the chosen endpoint serves. */
  readonly aliases?: readonly string[];
  readonly search?: string;
  readonly method?: "GET" | "POST" | "DELETE";
  readonly body: Uint8Array<ArrayBuffer>;
  /** The model as routed (DMR's canonical key on DMR routes), for load tracking; null when the request names none. */
  readonly key: string | null;
  readonly mode: DmrMode;
}

/** Routes under /olla/dmr/ that the type route does not serve: only DMR endpoints, DMR's wording. */
export const DMR_ONLY: Pick<Need, "pool" | "scope"> = {
  pool: (endpoints) => endpoints.filter((e) => e.profile.type === "docker-model-runner"),
  scope: DMR_SCOPE,
};

/** A proxied request's body and the model it names, as sent and as a canonical key. */
export interface ModelBody {
  readonly body: Uint8Array<ArrayBuffer>;
  readonly requested: string;
  readonly key: string;
}

/**
 * Read the body within `maxBodySize` and its `model`, and note the model for the access log.
 *
 * @throws {ProxyError} 413 over the limit, 400 without a JSON object naming a model, 403 when
 *   the caller's API key may not use it
 */
export async function readModelBody(c: Context<AppEnv>, maxBodySize: number): Promise<ModelBody> {
  const body = await readProxiedBody(c, maxBodySize);
  const requested = readModelField(body);
  const key = normaliseModelRef(requested);
  const record = c.get("record");
  record.model = displayModelName(key);
  record.modelKey = key;
  assertModelAllowed(c, requested);
  return { body, requested, key };
}

/**
 * Read a proxied request's body within `maxBodySize` and server.read_timeout, then let the
 * runtime notice a request it has already given up on (ConnInfo.settle; pipelining on Bun).
 *
 * @throws {ProxyError} 413 over the limit, 408 past the deadline, 415 compressed, 400 unreadable
 */
export async function readProxiedBody(
  c: Context<AppEnv>,
  maxBodySize: number,
  setting?: string,
): Promise<Uint8Array<ArrayBuffer>> {
  const body = await readBodyWithin(c.req.raw, maxBodySize, setting, c.get("bodyDeadline"));
  await c.env?.settle?.();
  return body;
}

/** Forward `request` to `candidates` in order (see proxying/forward.ts) and record what happened. */
export async function forwardFor(
  c: Context<AppEnv>,
  settings: ForwardSettings,
  request: ModelRequest,
  candidates: readonly Endpoint[],
): Promise<ForwardOutcome> {
  const raw = c.req.raw;
  const record = c.get("record");
  // Cold loads hold a request silent for minutes; the runtime must not cut it. Only now, with
  // the body read: until here a slow body is bounded by server.read_timeout and the idle timeout.
  c.env?.disableIdleTimeout();
  const { key, aliases } = request;
  const outcome = await forward({
    requestId: record.id,
    method: request.method,
    path: request.path,
    search: request.search ?? "",
    body: request.body,
    headers: raw.headers,
    clientIp: c.env?.remoteAddress ?? "",
    trustedClient: c.get("client")?.viaTrustedProxy,
    clientSignal: raw.signal,
    model: record.model ?? "",
    startedAt: record.startedAt,
    ...(request.pathFor ? { pathFor: request.pathFor } : {}),
    // Only the `model` value changes, to the name the chosen endpoint uses; every other byte as sent.
    ...(aliases && key !== null
      ? { bodyFor: (endpoint: Endpoint, bytes: Uint8Array<ArrayBuffer>) => rewriteModel(bytes, nameOn(endpoint, key, aliases)) }
      : {}),
    onAttempt: key === null ? undefined : (endpoint) => {
      // Only DMR reports runners to track; other types say loaded or not in their list, if at all.
      if (endpoint.profile.type !== "docker-model-runner") return () => {};
      const onEndpoint = endpoint.keyOf(nameOn(endpoint, key, aliases));
      if (!endpoint.dmr.isLoaded(onEndpoint, request.mode)) {
        settings.onColdLoad?.(endpoint.name, record.model ?? "", endpoint.dmr.isLoading(onEndpoint, request.mode));
      }
      return endpoint.dmr.trackRequest(onEndpoint, request.mode);
    },
  }, candidates, settings);
  recordOutcome(c, outcome);
  return outcome;
}

/** Note in the access-log record which endpoint answered, after which tries, and when its body ends. */
export function recordOutcome(c: Context<AppEnv>, outcome: ForwardOutcome): void {
  const record = c.get("record");
  record.endpoint = outcome.endpoint?.name;
  record.attempts = outcome.attempts;
  record.bodyEnd = outcome.done;
}

/** The query string of a URL, `?` included, or "". */
export function searchOf(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? "" : url.slice(query);
}
