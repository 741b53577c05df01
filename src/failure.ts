/**
 * @module
 * Why the proxy could not serve a request, said without HTTP: routing, forwarding and the
 * slot queue throw a {@link Failure} naming the reason; `http/errors.ts` alone turns the
 * reason into a status and a Retry-After. Nothing below `http/` knows a status code.
 */

/** Every reason the proxy itself refuses or fails a request. */
export type FailureCode =
  // the request
  | "invalid_content_length"
  | "body_unreadable"
  | "invalid_json"
  | "invalid_request"
  | "model_required"
  | "request_too_large"
  | "route_not_found"
  | "management_not_supported"
  | "client_closed_request"
  // routing
  | "model_not_found"
  | "model_unavailable"
  | "engine_unavailable"
  | "circuit_open"
  | "no_endpoint_of_type"
  // slots and forwarding
  | "queue_full"
  | "queue_timeout"
  | "no_endpoint_available"
  | "upstream_timeout"
  | "upstream_unreachable"
  | "upstream_body_error"
  | "upstream_bad_status"
  | "internal_error";

export class Failure extends Error {
  override name = "Failure";
  readonly code: FailureCode;
  /** When retrying could help, how long to wait first. */
  readonly retryAfterSeconds: number | null;

  constructor(code: FailureCode, message: string, retryAfterSeconds: number | null = null) {
    super(message);
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
