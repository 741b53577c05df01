/**
 * @module
 * A forwarded Anthropic request's outcome as the stream code needs it: the backend's event
 * stream, or an error with the status and Anthropic error type it maps to. A backend error
 * already in Anthropic's shape keeps its body; others keep their wording (errors.ts).
 */
import type { Clock } from "../clock.ts";
import type { ForwardOutcome } from "../proxying/forward.ts";
import { settledWithin } from "../translate/anthropic/cold_load.ts";
import { describeBackendError, errorTypeFor, isAnthropicError } from "../translate/anthropic/errors.ts";
import type { Upstream } from "../translate/anthropic/stream_pipe.ts";
import { ProxyError } from "./errors.ts";

export function upstreamOf(call: Promise<ForwardOutcome>): Promise<Upstream> {
  return call.then(async ({ response }): Promise<Upstream> => {
    const type = response.headers.get("content-type") ?? "";
    if (response.ok && type.startsWith("text/event-stream") && response.body) return { kind: "stream", body: response.body };
    const text = await response.text().catch(() => "");
    if (!response.ok && isAnthropicError(text)) {
      const error = JSON.parse(text).error;
      return { kind: "error", status: response.status, type: error.type, message: String(error.message ?? ""), body: text };
    }
    const { status, message } = response.ok
      ? { status: 502, message: `the backend answered a streaming request with ${type || "no content type"}` }
      : describeBackendError(response.status, text);
    return { kind: "error", status, type: errorTypeFor(status), message };
  }, (error): Upstream => {
    const status = error instanceof ProxyError ? error.status : 500;
    return { kind: "error", status, type: errorTypeFor(status), message: (error as Error).message };
  });
}

/**
 * The call's outcome if the backend answers within `ms`; null while it is still silent (a
 * cold load). A ProxyError it fails with in that time is thrown, to be answered with its status.
 */
export async function outcomeWithin(call: Promise<ForwardOutcome>, ms: number, clock: Clock): Promise<ForwardOutcome | null> {
  const settled = await settledWithin(call.then((outcome) => ({ outcome }), (error: unknown) => ({ error })), ms, clock);
  if (settled === null) return null;
  if ("error" in settled) throw settled.error;
  return settled.outcome;
}

/** Headers of a stream Tureen starts before the backend has answered. */
export function earlyStreamHeaders(mode: "passthrough" | "translation", model: string, backendType: string): Headers {
  return new Headers({
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
    "x-olla-mode": mode,
    "x-olla-model": model,
    "x-olla-backend-type": backendType,
  });
}
