/**
 * @module
 * The OpenAI Responses API, routed by model: on DMR endpoints at
 * `/olla/dmr/engines[/{engine}]/v1/responses`; across every type with a native Responses
 * API (`nativeApis.responses`) at `/olla/proxy/v1/responses`; on one type at
 * `/olla/<type><its path>` (e.g. `/olla/llamacpp/v1/responses`, `/olla/lemonade/api/v1/responses`).
 * Each also serves `GET|DELETE .../{id}` and `GET .../{id}/input_items`.
 *
 * A backend keeps a response's state in the instance that created it, so every response id
 * seen in an answer is bound to its endpoint (routing/response_affinity.ts, one store for
 * every route), and a follow-up (`previous_response_id`) or a read of the id goes back
 * there, at that endpoint's own path. When that endpoint has left the config the state is
 * gone, and the client is told so (409 on a follow-up, 404 on a read) instead of getting
 * another instance's confusing "not found".
 */
import type { Handler } from "hono";
import type { Endpoint } from "../endpoints/endpoint.ts";
import { DMR_PROFILE } from "../profiles/dmr.ts";
import type { Profile } from "../profiles/profile.ts";
import type { ProfileRegistry } from "../profiles/registry.ts";
import { tapEvents } from "../proxying/event_tap.ts";
import type { ForwardOutcome } from "../proxying/forward.ts";
import type { Holder, ResponseAffinity } from "../routing/response_affinity.ts";
import type { Need } from "../routing/route.ts";
import type { App, AppEnv } from "./context.ts";
import { ProxyError } from "./errors.ts";
import { DMR_ONLY, forwardFor, readProxiedBody, searchOf } from "./model_proxy.ts";
import { FLEET_SCOPE, routedModel, scopeFor } from "./proxy_request.ts";
import type { TypeRoutesOptions } from "./type_routes.ts";

export interface ResponsesRoutesOptions extends TypeRoutesOptions {
  readonly affinity: ResponseAffinity;
}

/** Where one mounted Responses route sends its requests. */
interface Place {
  /** The Responses path on an endpoint of the pool. */
  readonly pathOn: (endpoint: Endpoint) => string;
  readonly engine: string | null;
  readonly need: Required<Pick<Need, "pool" | "scope">>;
  /** The type whose model names apply; null across types. */
  readonly profile: Profile | null;
}

const ENGINE_PREFIXES = ["/engines", "/engines/llama.cpp", "/engines/vllm"] as const;
/** DMR's ids are `resp_<hex>`; anything with other characters names no response. */
const RESPONSE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;
const decoder = new TextDecoder();

/** The type's native Responses path, or null when it has none. */
export function responsesPathOf(profile: Profile): string | null {
  return profile.nativeApis.responses ?? null;
}

/**
 * Mounted path by path (no wildcard), so the chat hot path never runs through these handlers,
 * and before `/olla/proxy/*` and the type routes, which would otherwise take these paths.
 */
export function mountResponsesRoutes(app: App, options: ResponsesRoutesOptions, profiles: ProfileRegistry): void {
  for (const prefix of ENGINE_PREFIXES) {
    const path = `${prefix}/v1/responses`;
    const engine = prefix === "/engines" ? null : prefix.slice("/engines/".length);
    mountAt(app, `/olla/dmr${path}`, options, { pathOn: () => path, engine, need: DMR_ONLY as Place["need"], profile: DMR_PROFILE });
  }
  const pathOn = (e: Endpoint) => responsesPathOf(e.profile)!;
  mountAt(app, "/olla/proxy/v1/responses", options, {
    pathOn,
    engine: null,
    need: { pool: (endpoints) => endpoints.filter((e) => responsesPathOf(e.profile) !== null), scope: FLEET_SCOPE },
    profile: null,
  });
  for (const profile of profiles.profiles) {
    const native = responsesPathOf(profile);
    if (native === null || profile.type === DMR_PROFILE.type) continue;
    const need = { pool: (endpoints: readonly Endpoint[]) => endpoints.filter((e) => e.profile.type === profile.type), scope: scopeFor(profile) };
    // The native path and any other Responses path the type forwards (Lemonade's /v1/ beside /api/v1/), each as named.
    const paths = new Set([native, ...[...profile.proxied.values()].filter((p) => p.kind === "responses").map((p) => p.path)]);
    for (const path of paths) {
      for (const prefix of profile.prefixes) {
        mountAt(app, `/olla/${prefix}${path}`, options, { pathOn: () => path, engine: null, need, profile });
      }
    }
  }
}

function mountAt(app: App, route: string, options: ResponsesRoutesOptions, place: Place): void {
  app.post(route, create(options, place));
  app.get(`${route}/:id`, stored(options, place, "GET", ""));
  app.delete(`${route}/:id`, stored(options, place, "DELETE", ""));
  app.get(`${route}/:id/input_items`, stored(options, place, "GET", "/input_items"));
}

function create(options: ResponsesRoutesOptions, place: Place): Handler<AppEnv> {
  return async function createResponse(c) {
    const body = await readProxiedBody(c, options.maxBodySize);
    const { requested, key, aliases } = routedModel(c, body, place.profile, options.aliases);
    const previous = previousResponseId(body);
    const holder = previous === null ? null : options.affinity.lookup(previous);
    const candidates = holder
      ? [heldIn(options, place, holder, previous!, 409)]
      : await options.router.candidates(key, requested, { engine: place.engine, mode: "completion", ...place.need, ...(aliases ? { aliases } : {}) });
    const request = {
      path: place.pathOn(candidates[0]!),
      pathFor: place.pathOn,
      search: searchOf(c.req.raw.url),
      body,
      key,
      ...(aliases ? { aliases } : {}),
      mode: "completion",
    } as const;
    return remember(await forwardFor(c, options.forwarding, request, candidates), options.affinity);
  };
}

function stored(options: ResponsesRoutesOptions, place: Place, method: "GET" | "DELETE", suffix: string): Handler<AppEnv> {
  return async function storedResponse(c) {
    const id = c.req.param("id")!;
    if (!RESPONSE_ID.test(id)) throw unknownResponse(id);
    const holder = options.affinity.lookup(id);
    if (!holder) throw unknownResponse(id);
    const endpoint = heldIn(options, place, holder, id, 404);
    const request = {
      method,
      path: `${place.pathOn(endpoint)}/${id}${suffix}`,
      search: searchOf(c.req.raw.url),
      body: new Uint8Array(0),
      key: null,
      mode: "completion",
    } as const;
    const outcome = await forwardFor(c, options.forwarding, request, [endpoint]);
    if (method === "DELETE" && outcome.response.ok) options.affinity.forget(id);
    return outcome.response;
  };
}

/**
 * The holder, when this route may reach it: an id held by an endpoint outside the route's
 * pool (another type's route) is unknown here, as the route never reaches that endpoint.
 */
function heldIn(options: ResponsesRoutesOptions, place: Place, holder: Holder, id: string, status: 404 | 409): Endpoint {
  const endpoint = holderEndpoint(options.endpoints, holder, id, status);
  if (!place.need.pool([endpoint]).includes(endpoint)) throw unknownResponse(id);
  return endpoint;
}

function previousResponseId(body: Uint8Array): string | null {
  const value = (JSON.parse(decoder.decode(body)) as { previous_response_id?: unknown }).previous_response_id;
  return typeof value === "string" && value !== "" ? value : null;
}

/**
 * The endpoint that holds a response, if it is still the one that created it.
 *
 * @throws {ProxyError} `status` (409 or 404) when it has left the config or changed URL, 503 when it is down
 */
export function holderEndpoint(endpoints: readonly Endpoint[], holder: Holder, id: string, status: 404 | 409): Endpoint {
  const endpoint = endpoints.find((e) => e.name === holder.name && e.config.url === holder.url);
  if (!endpoint) {
    throw new ProxyError(
      status,
      "response_state_lost",
      `Response "${id}" was created on endpoint "${holder.name}" (${holder.url}), which is no longer configured: ` +
        "its conversation state is gone. Start a new conversation without previous_response_id, or send the full history as input",
    );
  }
  if (!endpoint.isAvailable()) {
    throw new ProxyError(
      503,
      "response_endpoint_unavailable",
      `Response "${id}" lives on endpoint "${endpoint.name}", which is not available now and is the only one holding ` +
        "this conversation's state; retry shortly",
      { "retry-after": "1", "retry-after-ms": "1000" },
    );
  }
  return endpoint;
}

function unknownResponse(id: string): ProxyError {
  return new ProxyError(
    404,
    "response_not_found",
    `Tureen does not know response "${id}": it was created before Tureen last started, through another proxy, ` +
      "or not used for longer than responses.affinity_ttl (a backend keeps a response only on the instance that created it), " +
      "or it lives on a backend this route does not reach",
  );
}

/** Bind the id in the answer (JSON, or the first event of a stream) to the endpoint that gave it. */
async function remember(outcome: ForwardOutcome, affinity: ResponseAffinity): Promise<Response> {
  const { response, endpoint } = outcome;
  if (!response.ok || !response.body) return response;
  const holder = { name: endpoint.name, url: endpoint.config.url };
  const bind = (value: unknown) => {
    const id = (value as { id?: unknown } | null)?.id;
    if (typeof id === "string" && id !== "") affinity.remember(id, holder);
    return typeof id === "string";
  };
  if ((response.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    const body = tapEvents(response.body, (payload) => {
      try {
        return !bind((JSON.parse(payload) as { response?: unknown }).response);
      } catch {
        return true;
      }
    });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  }
  const text = await response.text();
  try {
    bind(JSON.parse(text));
  } catch {
    // Not JSON: nothing to remember; the answer passes through as it is.
  }
  return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
}
