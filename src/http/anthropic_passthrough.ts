/**
 * @module
 * The passthrough leg of the Anthropic routes: the request goes to an endpoint that speaks
 * Anthropic as the client sent it (at that endpoint's own path), and the answer comes back
 * byte for byte. A streamed
 * request whose backend is still silent after one ping interval (a cold load) gets its 200
 * and `ping` events until the backend answers (translate/anthropic/cold_load.ts).
 */
import type { Context } from "hono";
import type { Endpoint } from "../endpoints/endpoint.ts";
import { pingWhileLoading } from "../translate/anthropic/cold_load.ts";
import { anthropicErrorResponse, describeBackendError, isAnthropicError } from "../translate/anthropic/errors.ts";
import type { AnthropicRoutesOptions } from "./anthropic_routes.ts";
import { earlyStreamHeaders, outcomeWithin, upstreamOf } from "./anthropic_upstream.ts";
import type { AppEnv, BodyEnd } from "./context.ts";
import { forwardFor, type ModelRequest } from "./model_proxy.ts";

export async function relayPassthrough(
  c: Context<AppEnv>,
  options: AnthropicRoutesOptions,
  request: ModelRequest,
  candidates: readonly Endpoint[],
  streamed: boolean,
): Promise<Response> {
  const call = forwardFor(c, options.forwarding, request, candidates);
  const outcome = streamed ? await outcomeWithin(call, options.pingIntervalMs, options.clock) : await call;
  if (outcome) return answer(outcome.response);
  const record = c.get("record");
  let settle!: (end: BodyEnd) => void;
  // The access line waits for the client's stream, not the backend's.
  record.bodyEnd = new Promise((resolve) => (settle = resolve));
  const startedAt = options.clock.now();
  const body = pingWhileLoading({
    upstream: upstreamOf(call),
    clock: options.clock,
    pingIntervalMs: options.pingIntervalMs,
    onEnd: (end) => settle({ end: end === "error" ? "upstream_error" : end, bytes: 0, firstByteAt: startedAt }),
  });
  // Sent before the backend answers: the first candidate is the one tried first.
  const headers = earlyStreamHeaders("passthrough", record.model ?? "", candidates[0]!.profile.type);
  return new Response(body, { status: 200, headers });
}

/** The backend's answer, untouched unless it is an error not in Anthropic's shape. */
async function answer(response: Response): Promise<Response> {
  response.headers.set("x-olla-mode", "passthrough");
  if (response.status < 400) return response;
  const text = await response.text();
  if (isAnthropicError(text)) return new Response(text, { status: response.status, headers: response.headers });
  // DMR's text/plain and llama.cpp's OpenAI-style errors, in Anthropic's shape with their wording.
  const { status, message } = describeBackendError(response.status, text);
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return anthropicErrorResponse(status, message, headers);
}
