/**
 * @module
 * The OpenAI Responses API on DMR endpoints: `POST /olla/dmr/engines[/{engine}]/v1/responses`,
 * `GET|DELETE .../v1/responses/{id}` and `GET .../v1/responses/{id}/input_items`.
 *
 * DMR keeps a response's state in the instance that created it, so every response id seen
 * in an answer is bound to its endpoint (routing/response_affinity.ts), and a follow-up
 * (`previous_response_id`) or a read of the id goes back there. When that endpoint has left
 * the config the state is gone, and the client is told so (409 on a follow-up, 404 on a
 * read) instead of getting another instance's confusing "not found".
 */
import type { Handler } from "hono";
import type { Endpoint } from "../endpoints/endpoint.ts";
import { tapEvents } from "../proxying/event_tap.ts";
import type { ForwardOutcome } from "../proxying/forward.ts";
import type { Holder, ResponseAffinity } from "../routing/response_affinity.ts";
import type { App, AppEnv } from "./context.ts";
import { ProxyError } from "./errors.ts";
import { DMR_ONLY, forwardFor, readModelBody, searchOf } from "./model_proxy.ts";
import type { TypeRoutesOptions } from "./type_routes.ts";

export interface ResponsesRoutesOptions extends TypeRoutesOptions {
  readonly affinity: ResponseAffinity;
}

const ENGINE_PREFIXES = ["/engines", "/engines/llama.cpp", "/engines/vllm"] as const;
/** DMR's ids are `resp_<hex>`; anything with other characters names no response. */
const RESPONSE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;
const decoder = new TextDecoder();

/** Mounted path by path (no wildcard), so the chat hot path never runs through these handlers. */
export function mountResponsesRoutes(app: App, options: ResponsesRoutesOptions): void {
  for (const prefix of ENGINE_PREFIXES) {
    const path = `${prefix}/v1/responses`;
    const engine = prefix === "/engines" ? null : prefix.slice("/engines/".length);
    app.post(`/olla/dmr${path}`, create(options, path, engine));
    app.get(`/olla/dmr${path}/:id`, stored(options, path, "GET", ""));
    app.delete(`/olla/dmr${path}/:id`, stored(options, path, "DELETE", ""));
    app.get(`/olla/dmr${path}/:id/input_items`, stored(options, path, "GET", "/input_items"));
  }
}

function create(options: ResponsesRoutesOptions, path: string, engine: string | null): Handler<AppEnv> {
  return async function createResponse(c) {
    const { body, requested, key } = await readModelBody(c, options.maxBodySize);
    const previous = previousResponseId(body);
    const holder = previous === null ? null : options.affinity.lookup(previous);
    const candidates = holder
      ? [holderEndpoint(options.endpoints, holder, previous!, 409)]
      : await options.router.candidates(key, requested, { engine, mode: "completion", ...DMR_ONLY });
    const outcome = await forwardFor(c, options.forwarding, { path, search: searchOf(c.req.raw.url), body, key, mode: "completion" }, candidates);
    return remember(outcome, options.affinity);
  };
}

function stored(options: ResponsesRoutesOptions, path: string, method: "GET" | "DELETE", suffix: string): Handler<AppEnv> {
  return async function storedResponse(c) {
    const id = c.req.param("id")!;
    if (!RESPONSE_ID.test(id)) throw unknownResponse(id);
    const holder = options.affinity.lookup(id);
    if (!holder) throw unknownResponse(id);
    const endpoint = holderEndpoint(options.endpoints, holder, id, 404);
    const request = {
      method,
      path: `${path}/${id}${suffix}`,
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
      "or not used for longer than responses.affinity_ttl; DMR keeps a response only on the instance that created it",
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
