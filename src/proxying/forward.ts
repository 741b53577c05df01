/**
 * @module
 * Send one request to the first candidate that takes it, then stream the answer back.
 * A candidate that refuses the connection, times out before headers or answers with a
 * retryable 5xx is skipped for the next; once a response is chosen nothing is retried.
 */
import type { Clock } from "../clock.ts";
import type { Endpoint } from "../endpoints/endpoint.ts";
import { Failure } from "../failure.ts";
import { describeFetchError } from "../endpoints/fetch_error.ts";
import type { Slots } from "../endpoints/slots.ts";
import type { LiveFailure, PassiveHealth } from "../health/passive.ts";
import type { Logger } from "../log/logger.ts";
import { isStreamContentType, type UsageReader, UsageTap, wholeBodyUsage } from "../metrics/usage.ts";
import { type RelayEnd, relayBody } from "./relay.ts";
import { buildClientHeaders } from "./response_headers.ts";
import { buildUpstreamHeaders } from "./upstream_request.ts";

export interface ForwardSettings {
  readonly fetch: (url: string, init: RequestInit) => Promise<Response>;
  readonly fetchDecompresses: boolean;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly responseHeaderTimeoutMs: number;
  readonly readTimeoutMs: number;
  /** Backend statuses that send the request to the next candidate when one is left. */
  readonly retryStatuses: ReadonlySet<number>;
  /** Endpoints tried for one request at most. */
  readonly maxAttempts: number;
  readonly slots: Slots;
  readonly passive: PassiveHealth;
  /** Told of each attempt given up on an endpoint (`/internal/metrics` failovers). */
  readonly onFailover?: (endpoint: string, reason: LiveFailure) => void;
  /** Told when a request goes to an endpoint where its model is not loaded; `joined` when a load is under way. */
  readonly onColdLoad?: (endpoint: string, model: string, joined: boolean) => void;
}

export interface ForwardRequest {
  readonly requestId: string;
  readonly path: string;
  readonly search: string;
  /**
   * POST with a body unless said: GET for read-only pass-throughs, GET and DELETE for stored
   * Responses; those send no body.
   */
  readonly method?: "POST" | "GET" | "DELETE";
  readonly body: Uint8Array<ArrayBuffer> | null;
  readonly headers: Headers;
  readonly clientIp: string;
  /** The peer is a trusted proxy: its X-Real-IP and Forwarded are passed on. */
  readonly trustedClient?: boolean;
  readonly clientSignal: AbortSignal;
  /** Model name for X-Olla-Model and logs. */
  readonly model: string;
  readonly startedAt: number;
  /** The backend path for one endpoint, when types differ (`/olla/proxy`); absent: `path`. */
  readonly pathFor?: (endpoint: Endpoint) => string;
  /** The body for one endpoint (model aliases rewrite `model`); absent: `body` as is. */
  readonly bodyFor?: (endpoint: Endpoint, body: Uint8Array<ArrayBuffer>) => Uint8Array<ArrayBuffer>;
  /** Called as an attempt starts; the returned callback learns whether the backend answered 2xx. */
  readonly onAttempt?: (endpoint: Endpoint) => (answered: boolean) => void;
}

/** What happened, for the access log; `done` settles when the body has ended. */
export interface ForwardOutcome {
  readonly response: Response;
  readonly endpoint: Endpoint;
  readonly attempts: string[];
  readonly done: Promise<{ end: RelayEnd | "no_body"; bytes: number; firstByteAt: number | null; error?: unknown; usage?: UsageReader }>;
}

type Attempt =
  | { kind: "response"; response: Response; controller: AbortController; detach: () => void }
  /** `reason` is for the log and may name the backend's address; `summary` is what the client may see. */
  | { kind: "failed"; failure: LiveFailure; reason: string; summary: string };

/**
 * Forward `request` to the candidates in order, at most `maxAttempts` of them.
 *
 * @throws {Failure} client_closed_request, no_endpoint_available or a queue reason, upstream_timeout
 *   when every try timed out, upstream_unreachable otherwise
 */
export async function forward(
  request: ForwardRequest,
  candidates: readonly Endpoint[],
  settings: ForwardSettings,
): Promise<ForwardOutcome> {
  const { slots, passive } = settings;
  const attempts: string[] = [];
  let remaining = [...candidates];
  let allTimedOut = true;
  if (request.clientSignal.aborted) {
    throw new Failure("client_closed_request", "The client closed the connection before the request was sent on");
  }
  while (attempts.length < settings.maxAttempts) {
    const endpoint = await slots.acquire(remaining, request.clientSignal);
    if (!endpoint) break;
    remaining = remaining.filter((e) => e !== endpoint);
    const isLast = attempts.length + 1 >= settings.maxAttempts || !remaining.some((e) => e.isAvailable());
    const settled = request.onAttempt?.(endpoint);
    const attempt = await tryEndpoint(request, endpoint, settings);
    settled?.(attempt.kind === "response" && attempt.response.ok);
    if (request.clientSignal.aborted) {
      if (attempt.kind === "response") {
        attempt.detach();
        await attempt.response.body?.cancel().catch(() => {});
      }
      passive.neutral(endpoint);
      slots.release(endpoint);
      throw new Failure("client_closed_request", "The client closed the connection before the backend answered");
    }
    if (attempt.kind === "failed") {
      attempts.push(`${endpoint.name}: ${attempt.summary}`);
      allTimedOut &&= attempt.failure === "header_timeout";
      passive.failure(endpoint, attempt.failure, attempt.reason);
      settings.onFailover?.(endpoint.name, attempt.failure);
      slots.release(endpoint);
      settings.logger.warn("backend attempt failed", {
        request_id: request.requestId,
        endpoint: endpoint.name,
        reason: attempt.reason,
      });
      continue;
    }
    const { response } = attempt;
    attempts.push(`${endpoint.name}: answered ${response.status}`);
    if (settings.retryStatuses.has(response.status)) {
      passive.failure(endpoint, "status", `answered ${response.status}`);
      if (!isLast) {
        settings.onFailover?.(endpoint.name, "status");
        allTimedOut = false;
        attempt.detach();
        await response.body?.cancel().catch(() => {});
        slots.release(endpoint);
        continue;
      }
    } else {
      passive.success(endpoint);
    }
    return respond(request, endpoint, attempt, attempts, settings);
  }
  const tried = attempts.join("; ");
  if (attempts.length === 0) {
    throw new Failure("no_endpoint_available", "No endpoint for this model is available now; retry shortly", 1);
  }
  if (allTimedOut) {
    throw new Failure(
      "upstream_timeout",
      `No backend answered within ${settings.responseHeaderTimeoutMs}ms (tried ${tried}); ` +
        "raise proxy.response_header_timeout if models take longer to load",
    );
  }
  throw new Failure("upstream_unreachable", `Every backend tried for this model failed (tried ${tried})`);
}

async function tryEndpoint(request: ForwardRequest, endpoint: Endpoint, settings: ForwardSettings): Promise<Attempt> {
  const { clock } = settings;
  const controller = new AbortController();
  const onClientAbort = () => controller.abort(new DOMException("client closed the connection", "AbortError"));
  request.clientSignal.addEventListener("abort", onClientAbort, { once: true });
  // A signal that is already aborted never fires its event: without this the backend would
  // do the work for a client that has gone (Bun aborts a pipelined request before it is read).
  if (request.clientSignal.aborted) onClientAbort();
  // The client-abort listener stays armed until the body ends, so a disconnect mid-body aborts the backend.
  const detach = () => request.clientSignal.removeEventListener("abort", onClientAbort);
  let timedOut = false;
  const timer = clock.setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException("response header timeout", "TimeoutError"));
  }, settings.responseHeaderTimeoutMs);
  try {
    const response = await settings.fetch(upstreamUrl(endpoint, request), {
      method: request.method ?? "POST",
      headers: buildUpstreamHeaders(request.headers, {
        requestId: request.requestId,
        clientIp: request.clientIp,
        trustedClient: request.trustedClient,
        host: request.headers.get("host"),
        endpointHeaders: endpoint.config.headers,
      }),
      body: requestBody(request, endpoint),
      signal: controller.signal,
      redirect: "manual",
    });
    clock.clearTimeout(timer);
    return { kind: "response", response, controller, detach };
  } catch (error) {
    clock.clearTimeout(timer);
    detach();
    if (timedOut) {
      const reason = `no response headers within ${settings.responseHeaderTimeoutMs}ms`;
      return { kind: "failed", failure: "header_timeout", reason, summary: reason };
    }
    const reason = describeFetchError(error);
    const summary = reason === "connection refused" || reason === "connection reset" ? reason : "connection failed";
    return { kind: "failed", failure: reason === "connection refused" ? "connection_refused" : "connection_error", reason, summary };
  }
}

async function respond(
  request: ForwardRequest,
  endpoint: Endpoint,
  attempt: Extract<Attempt, { kind: "response" }>,
  attempts: string[],
  settings: ForwardSettings,
): Promise<ForwardOutcome> {
  const { response, controller, detach } = attempt;
  const { slots } = settings;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    detach();
    slots.release(endpoint);
  };
  try {
    return await respondHolding(request, endpoint, attempt, attempts, settings, release);
  } catch (error) {
    // Whatever went wrong before the body was handed on, the slot must come back: a slot
    // kept here is kept until restart, and max_concurrent_requests of them wedge the endpoint.
    release();
    controller.abort(new DOMException("proxy failed to answer", "AbortError"));
    await response.body?.cancel().catch(() => {});
    throw error;
  }
}

/** The slot is held until `release` is called: at once for a whole body, at the end of a relayed one. */
async function respondHolding(
  request: ForwardRequest,
  endpoint: Endpoint,
  attempt: Extract<Attempt, { kind: "response" }>,
  attempts: string[],
  settings: ForwardSettings,
  release: () => void,
): Promise<ForwardOutcome> {
  const { response, controller } = attempt;
  const { clock, passive } = settings;
  if (response.status < 200 || response.status > 599) {
    passive.failure(endpoint, "status", `answered impossible status ${response.status}`);
    settings.logger.warn("backend answered an impossible status", {
      request_id: request.requestId,
      endpoint: endpoint.name,
      status: response.status,
    });
    throw new Failure("upstream_bad_status", `${endpoint.name} answered with an invalid HTTP status`);
  }
  const headers = buildClientHeaders(
    response.headers,
    {
      endpoint: endpoint.name,
      model: request.model,
      backendType: endpoint.profile.type,
      requestId: request.requestId,
      responseTimeMs: clock.now() - request.startedAt,
    },
    settings.fetchDecompresses,
  );
  if (!response.body) {
    release();
    const done = Promise.resolve({ end: "no_body" as const, bytes: 0, firstByteAt: null });
    return { response: new Response(null, { status: response.status, headers }), endpoint, attempts, done };
  }
  if (settings.readTimeoutMs === 0 && isSmallWholeBody(response.headers)) {
    // A complete answer of known, small size: one native read instead of a relay stream.
    let bytes: ArrayBuffer;
    try {
      bytes = await response.arrayBuffer();
    } catch (error) {
      release();
      if (request.clientSignal.aborted) {
        passive.neutral(endpoint);
        throw new Failure("client_closed_request", "The client closed the connection before the answer was read");
      }
      passive.failure(endpoint, "stream_error", "body upstream error");
      throw new Failure("upstream_body_error", `${endpoint.name} closed the connection while sending its answer`);
    }
    release();
    const usage = wholeBodyUsage(new Uint8Array(bytes));
    const done = Promise.resolve({ end: "complete" as const, bytes: bytes.byteLength, firstByteAt: clock.now(), usage });
    return {
      response: new Response(bytes, { status: response.status, statusText: response.statusText, headers }),
      endpoint,
      attempts,
      done,
    };
  }
  let firstByteAt: number | null = null;
  const usage = new UsageTap(isStreamContentType(response.headers.get("content-type")), () => clock.now());
  let settle!: (value: Awaited<ForwardOutcome["done"]>) => void;
  const done = new Promise<Awaited<ForwardOutcome["done"]>>((resolve) => (settle = resolve));
  const body = relayBody(response.body, {
    clock,
    idleTimeoutMs: settings.readTimeoutMs,
    abortUpstream: (reason) => controller.abort(new DOMException(reason, "AbortError")),
    onFirstByte: () => (firstByteAt = clock.now()),
    onChunk: (chunk) => usage.push(chunk),
    onEnd: (end, bytes, error) => {
      release();
      const closed = request.clientSignal.aborted ? "client_closed" : end;
      if (closed === "upstream_error" || closed === "idle_timeout") {
        passive.failure(endpoint, "stream_error", `body ${closed.replace("_", " ")}`);
      }
      settle({ end: closed, bytes, firstByteAt, error, usage });
    },
  });
  return {
    response: new Response(body, { status: response.status, statusText: response.statusText, headers }),
    endpoint,
    attempts,
    done,
  };
}

function requestBody(request: ForwardRequest, endpoint: Endpoint): Uint8Array<ArrayBuffer> | undefined {
  if (request.method === "GET" || request.method === "DELETE" || !request.body) return undefined;
  return request.bodyFor ? request.bodyFor(endpoint, request.body) : request.body;
}

function upstreamUrl(endpoint: Endpoint, request: ForwardRequest): string {
  return endpoint.proxyBase + (request.pathFor ? request.pathFor(endpoint) : request.path) + request.search;
}

/** Answers at most this large, with a declared length, are read whole rather than relayed. */
export const WHOLE_BODY_LIMIT = 1024 * 1024;

/**
 * The one place that decides between relaying and reading whole: event streams, NDJSON and
 * bodies of unknown length are always relayed chunk by chunk; a small declared body is not
 * a stream and gains nothing from a per-chunk relay.
 */
export function isSmallWholeBody(headers: Headers): boolean {
  if (isStreamContentType(headers.get("content-type"))) return false;
  const length = headers.get("content-length");
  if (length === null || !/^\d+$/.test(length)) return false;
  return Number(length) <= WHOLE_BODY_LIMIT;
}
