/**
 * @module
 * The one place a proxy error gets its HTTP status and Retry-After: a {@link Failure}
 * reason maps to a status here, and renders as OpenAI-style JSON, which every OpenAI SDK
 * maps to the right exception.
 */
import { Failure, type FailureCode } from "../failure.ts";

const STATUS_BY_CODE: Record<FailureCode, number> = {
  invalid_content_length: 400,
  body_unreadable: 400,
  invalid_json: 400,
  invalid_request: 400,
  model_required: 400,
  request_too_large: 413,
  route_not_found: 404,
  management_not_supported: 501,
  client_closed_request: 499,
  model_not_found: 404,
  model_unavailable: 503,
  engine_unavailable: 503,
  circuit_open: 503,
  no_endpoint_of_type: 503,
  queue_full: 503,
  queue_timeout: 503,
  no_endpoint_available: 503,
  upstream_timeout: 504,
  upstream_unreachable: 502,
  upstream_body_error: 502,
  upstream_bad_status: 502,
  internal_error: 500,
};

const TYPE_BY_STATUS: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  405: "invalid_request_error",
  408: "invalid_request_error",
  413: "invalid_request_error",
  415: "invalid_request_error",
  429: "rate_limit_error",
  431: "invalid_request_error",
  499: "client_closed_request",
  500: "server_error",
  501: "not_implemented_error",
  502: "upstream_error",
  503: "service_unavailable",
  504: "upstream_timeout",
};

export class ProxyError extends Error {
  override name = "ProxyError";
  readonly status: number;
  readonly code: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }

  get type(): string {
    return TYPE_BY_STATUS[this.status] ?? "server_error";
  }

  /** `{"error":{"message","type","code"}}` with this error's status and headers. */
  toResponse(extraHeaders?: HeadersInit): Response {
    const headers = new Headers(extraHeaders);
    headers.set("content-type", "application/json; charset=utf-8");
    for (const [name, value] of Object.entries(this.headers)) headers.set(name, value);
    const body = JSON.stringify({ error: { message: this.message, type: this.type, code: this.code } });
    return new Response(body, { status: this.status, headers });
  }
}

/** The status a failure reason answers with. */
export function statusOf(code: FailureCode): number {
  return STATUS_BY_CODE[code];
}

/**
 * A failure as the client sees it. Retry-After in seconds for HTTP, `retry-after-ms` for the
 * OpenAI SDKs, which read it first.
 */
export function toProxyError(failure: Failure): ProxyError {
  const seconds = failure.retryAfterSeconds;
  const headers: Record<string, string> = seconds === null
    ? {}
    : { "retry-after": String(seconds), "retry-after-ms": String(seconds * 1000) };
  return new ProxyError(statusOf(failure.code), failure.code, failure.message, headers);
}

/** Shorthand for code in `http/`: a ProxyError for this reason. */
export function refuse(code: FailureCode, message: string, retryAfterSeconds: number | null = null): ProxyError {
  return toProxyError(new Failure(code, message, retryAfterSeconds));
}

/** Any thrown value as a ProxyError, or null when it is not one the proxy made. */
export function asProxyError(error: unknown): ProxyError | null {
  if (error instanceof ProxyError) return error;
  if (error instanceof Failure) return toProxyError(error);
  return null;
}
