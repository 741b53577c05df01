/**
 * @module
 * Anthropic's error shape, `{"type":"error","error":{"type","message"}}`, for errors the
 * proxy makes and for backend errors that are not already in that shape. The backend's
 * wording is kept; only a context overflow is reworded to Anthropic's own "prompt is too
 * long" text, which Claude Code matches to compact the conversation and retry.
 */

/** HTTP status → Anthropic `error.type` (Anthropic's API error table). */
const TYPE_BY_STATUS: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};

/** The Anthropic error type for an HTTP status: other 4xx are invalid requests, other 5xx API errors. */
export function errorTypeFor(status: number): string {
  return TYPE_BY_STATUS[status] ?? (status === 503 ? "overloaded_error" : status < 500 ? "invalid_request_error" : "api_error");
}

/** `{"type":"error","error":{type,message}}` as a JSON body. */
export function errorBody(type: string, message: string): string {
  return JSON.stringify({ type: "error", error: { type, message } });
}

/** An Anthropic-shaped JSON error response. */
export function anthropicErrorResponse(status: number, message: string, headers?: HeadersInit): Response {
  const out = new Headers(headers);
  out.set("content-type", "application/json; charset=utf-8");
  return new Response(errorBody(errorTypeFor(status), message), { status, headers: out });
}

/** Whether `text` already is an Anthropic error body (then it passes through untouched). */
export function isAnthropicError(text: string): boolean {
  try {
    const parsed = JSON.parse(text);
    return parsed?.type === "error" && typeof parsed.error?.type === "string";
  } catch {
    return false;
  }
}

/**
 * The message and status to report for a backend error body in any of the shapes the
 * backends use: OpenAI/llama.cpp `{"error":{"message"}}`, vLLM's flat `{"message"}`, or
 * DMR's text/plain. llama.cpp's context overflow (`exceed_context_size_error` with
 * `n_prompt_tokens`/`n_ctx`) becomes `400 prompt is too long: N tokens > M maximum`.
 */
export function describeBackendError(status: number, text: string): { status: number; message: string } {
  // deno-lint-ignore no-explicit-any
  let parsed: any;
  try {
    parsed = JSON.parse(text);
  } catch {
    const plain = text.trim();
    return { status, message: plain || `the backend answered ${status} with an empty body` };
  }
  const error = typeof parsed?.error === "object" && parsed.error !== null ? parsed.error : parsed;
  if (error?.type === "exceed_context_size_error" && Number.isFinite(error.n_prompt_tokens)) {
    return { status: 400, message: `prompt is too long: ${error.n_prompt_tokens} tokens > ${error.n_ctx} maximum` };
  }
  const message = typeof error?.message === "string" ? error.message : typeof parsed?.error === "string" ? parsed.error : text.trim();
  return { status, message };
}
