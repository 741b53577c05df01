/**
 * @module
 * Send one request to the first candidate that takes it, then stream the answer back.
 * A candidate that refuses the connection, times out before headers or answers with a
 * retryable 5xx is skipped for the next; once a response is chosen nothing is retried.
 */
import type { Clock } from "../clock.ts";
import type { Endpoint } from "../endpoints/endpoint.ts";
import { ProxyError } from "../http/errors.ts";
import type { Logger } from "../log/logger.ts";
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
  readonly backendType: string;
}

export interface ForwardRequest {
  readonly requestId: string;
  readonly path: string;
  readonly search: string;
  readonly body: Uint8Array<ArrayBuffer>;
  readonly headers: Headers;
  readonly clientIp: string;
  readonly clientSignal: AbortSignal;
  /** Model name for X-Olla-Model and logs. */
  readonly model: string;
  readonly startedAt: number;
}

/** What happened, for the access log; `done` settles when the body has ended. */
export interface ForwardOutcome {
  readonly response: Response;
  readonly endpoint: Endpoint | null;
  readonly attempts: string[];
  readonly done: Promise<{ end: RelayEnd | "no_body"; bytes: number; firstByteAt: number | null; error?: unknown }>;
}

type Attempt =
  | { kind: "response"; response: Response; controller: AbortController; release: () => void }
  | { kind: "failed"; reason: string; timeout: boolean };

/**
 * Forward `request` to the candidates in order.
 *
 * @throws {ProxyError} 499 when the client left, 504 when every try timed out, 502 otherwise
 */
export async function forward(
  request: ForwardRequest,
  candidates: readonly Endpoint[],
  settings: ForwardSettings,
): Promise<ForwardOutcome> {
  const attempts: string[] = [];
  let allTimedOut = true;
  for (let index = 0; index < candidates.length; index++) {
    const endpoint = candidates[index]!;
    const isLast = index === candidates.length - 1;
    const attempt = await tryEndpoint(request, endpoint, settings);
    if (request.clientSignal.aborted) {
      if (attempt.kind === "response") attempt.release();
      throw new ProxyError(499, "client_closed_request", "The client closed the connection before the backend answered");
    }
    if (attempt.kind === "failed") {
      attempts.push(`${endpoint.name}: ${attempt.reason}`);
      allTimedOut &&= attempt.timeout;
      settings.logger.warn("backend attempt failed", {
        request_id: request.requestId,
        endpoint: endpoint.name,
        reason: attempt.reason,
      });
      continue;
    }
    const { response } = attempt;
    if (!isLast && settings.retryStatuses.has(response.status)) {
      attempts.push(`${endpoint.name}: answered ${response.status}`);
      allTimedOut = false;
      await response.body?.cancel().catch(() => {});
      attempt.release();
      continue;
    }
    attempts.push(`${endpoint.name}: answered ${response.status}`);
    return respond(request, endpoint, attempt, attempts, settings);
  }
  const tried = attempts.join("; ");
  if (attempts.length > 0 && allTimedOut) {
    throw new ProxyError(
      504,
      "upstream_timeout",
      `No backend answered within ${settings.responseHeaderTimeoutMs}ms (tried ${tried}); ` +
        "raise proxy.response_header_timeout if models take longer to load",
    );
  }
  throw new ProxyError(502, "upstream_unreachable", `Every backend for this model failed (tried ${tried})`);
}

async function tryEndpoint(request: ForwardRequest, endpoint: Endpoint, settings: ForwardSettings): Promise<Attempt> {
  const { clock } = settings;
  const controller = new AbortController();
  const onClientAbort = () => controller.abort(new DOMException("client closed the connection", "AbortError"));
  request.clientSignal.addEventListener("abort", onClientAbort, { once: true });
  let timedOut = false;
  const timer = clock.setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException("response header timeout", "TimeoutError"));
  }, settings.responseHeaderTimeoutMs);
  endpoint.inFlight++;
  endpoint.requests++;
  let released = false;
  // Runs when the attempt fails or the relayed body ends, never earlier.
  const release = () => {
    if (released) return;
    released = true;
    endpoint.inFlight--;
    request.clientSignal.removeEventListener("abort", onClientAbort);
  };
  const url = upstreamUrl(endpoint, request);
  try {
    const response = await settings.fetch(url, {
      method: "POST",
      headers: buildUpstreamHeaders(request.headers, {
        requestId: request.requestId,
        clientIp: request.clientIp,
        host: request.headers.get("host"),
        endpointHeaders: endpoint.config.headers,
      }),
      body: request.body,
      signal: controller.signal,
      redirect: "manual",
    });
    clock.clearTimeout(timer);
    return { kind: "response", response, controller, release };
  } catch (error) {
    clock.clearTimeout(timer);
    release();
    if (!request.clientSignal.aborted) endpoint.failures++;
    const reason = timedOut
      ? `no response headers within ${settings.responseHeaderTimeoutMs}ms`
      : describeConnectError(error);
    return { kind: "failed", reason, timeout: timedOut };
  }
}

function respond(
  request: ForwardRequest,
  endpoint: Endpoint,
  attempt: Extract<Attempt, { kind: "response" }>,
  attempts: string[],
  settings: ForwardSettings,
): ForwardOutcome {
  const { response, controller, release } = attempt;
  const { clock } = settings;
  const headers = buildClientHeaders(
    response.headers,
    {
      endpoint: endpoint.name,
      model: request.model,
      backendType: settings.backendType,
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
  let firstByteAt: number | null = null;
  let settle!: (value: Awaited<ForwardOutcome["done"]>) => void;
  const done = new Promise<Awaited<ForwardOutcome["done"]>>((resolve) => (settle = resolve));
  const body = relayBody(response.body, {
    clock,
    idleTimeoutMs: settings.readTimeoutMs,
    abortUpstream: (reason) => controller.abort(new DOMException(reason, "AbortError")),
    onFirstByte: () => (firstByteAt = clock.now()),
    onEnd: (end, bytes, error) => {
      release();
      // The client-abort listener stays armed until release, so a disconnect mid-body aborts the backend.
      settle({ end: request.clientSignal.aborted ? "client_closed" : end, bytes, firstByteAt, error });
    },
  });
  return {
    response: new Response(body, { status: response.status, statusText: response.statusText, headers }),
    endpoint,
    attempts,
    done,
  };
}

function upstreamUrl(endpoint: Endpoint, request: ForwardRequest): string {
  const base = endpoint.config.preservePath ? endpoint.config.url : new URL(endpoint.config.url).origin;
  return base + request.path + request.search;
}

function describeConnectError(error: unknown): string {
  const code = (error as { code?: string })?.code;
  if (code === "ConnectionRefused" || code === "ECONNREFUSED") return "connection refused";
  if (code === "ECONNRESET" || code === "ConnectionClosed") return "connection reset";
  const message = (error as Error)?.message ?? String(error);
  return message.split("\n")[0]!;
}
