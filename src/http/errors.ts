/**
 * @module
 * Errors the proxy itself makes. They carry their HTTP status and a string code, and
 * render as OpenAI-style JSON, which every OpenAI SDK maps to the right exception.
 */

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
