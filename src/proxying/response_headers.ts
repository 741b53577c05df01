/**
 * @module
 * Headers for the client: the backend's own, minus hop-by-hop and any X-Olla-* it tried
 * to set, plus the proxy's X-Olla-* facts.
 */

import { connectionNamed, isHopByHop } from "./hop_by_hop.ts";

export interface OllaFacts {
  readonly endpoint: string;
  readonly model: string;
  readonly backendType: string;
  readonly requestId: string;
  readonly responseTimeMs: number;
}

/**
 * @param upstream the backend's response headers
 * @param facts what the proxy adds
 * @param decoded true when the runtime already decoded the body (drop its encoding headers)
 */
export function buildClientHeaders(upstream: Headers, facts: OllaFacts, decoded: boolean): Headers {
  const headers = new Headers();
  const decodedBody = decoded && upstream.has("content-encoding");
  const named = connectionNamed(upstream);
  for (const [name, value] of upstream) {
    if (isHopByHop(name, named) || name.startsWith("x-olla-")) continue;
    if (decodedBody && (name === "content-encoding" || name === "content-length")) continue;
    headers.append(name, value);
  }
  const type = upstream.get("content-type") ?? "";
  if (type.startsWith("text/event-stream") || type.includes("ndjson")) {
    // Tell nginx and friends in front of us not to buffer the stream either (SSE, and Ollama's NDJSON).
    if (!headers.has("x-accel-buffering")) headers.set("x-accel-buffering", "no");
    if (!headers.has("cache-control")) headers.set("cache-control", "no-cache");
  }
  headers.set("x-olla-endpoint", headerSafe(facts.endpoint));
  // A read-only pass-through (Ollama's /api/version) names no model.
  if (facts.model) headers.set("x-olla-model", headerSafe(facts.model));
  headers.set("x-olla-backend-type", facts.backendType);
  headers.set("x-olla-request-id", facts.requestId);
  headers.set("x-olla-response-time", `${Math.round(facts.responseTimeMs)}ms`);
  return headers;
}

/**
 * A model id or name as a header value: printable ASCII passes as it is (every id the seed
 * shows), anything else (non-ASCII, CR/LF, controls) is percent-encoded as UTF-8 (a lone
 * surrogate as U+FFFD), so a backend's odd model id can never make the response fail.
 */
export function headerSafe(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  return value.replace(/[^\x20-\x7e]+/gu, (run) => encodeURIComponent(run.toWellFormed()));
}
