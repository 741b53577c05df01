/**
 * @module
 * Headers for the backend request: what the client sent, minus hop-by-hop and credential
 * headers, plus forwarding facts and the endpoint's own headers.
 */

import { connectionNamed, isHopByHop } from "./hop_by_hop.ts";

/** Headers the runtime or the proxy sets itself, and credentials meant for the proxy. */
const DROPPED_REQUEST_HEADERS = new Set([
  "host",
  "content-length",
  "accept-encoding",
  // DMR answers 403 to browser origins it does not list (docs/DMR.md §7).
  "origin",
  // Inbound credentials are the client's to the proxy, never the backend's (as Olla does).
  "authorization",
  "cookie",
  "x-api-key",
  "api-key",
  "x-goog-api-key",
  "x-auth-token",
  "x-request-id",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
]);

/** Client-address headers a backend may act on: passed on only from a trusted proxy. */
const CLIENT_ADDRESS_HEADERS = new Set(["x-real-ip", "forwarded"]);

export interface UpstreamHeaderFacts {
  readonly requestId: string;
  readonly clientIp: string;
  /** The Host the client used, passed on as X-Forwarded-Host. */
  readonly host: string | null;
  readonly endpointHeaders: ReadonlyArray<readonly [string, string]>;
  /** The peer is a trusted proxy (server.rate_limits.trusted_proxy_cidrs): keep its X-Real-IP and Forwarded. */
  readonly trustedClient?: boolean;
}

/**
 * Build the headers sent to a backend.
 *
 * @param inbound the client's request headers
 * @param facts per-request and per-endpoint values
 */
export function buildUpstreamHeaders(inbound: Headers, facts: UpstreamHeaderFacts): Headers {
  const named = connectionNamed(inbound);
  const headers = new Headers();
  for (const [name, value] of inbound) {
    if (DROPPED_REQUEST_HEADERS.has(name) || name.startsWith("x-olla-") || isHopByHop(name, named)) continue;
    if (!facts.trustedClient && CLIENT_ADDRESS_HEADERS.has(name)) continue;
    headers.append(name, value);
  }
  const priorForwardedFor = inbound.get("x-forwarded-for");
  headers.set("x-forwarded-for", priorForwardedFor ? `${priorForwardedFor}, ${facts.clientIp}` : facts.clientIp);
  headers.set("x-forwarded-proto", "http");
  if (facts.host) headers.set("x-forwarded-host", facts.host);
  headers.set("x-olla-request-id", facts.requestId);
  // Ask for bytes as they are; the proxy never re-encodes a body.
  headers.set("accept-encoding", "identity");
  for (const [name, value] of facts.endpointHeaders) headers.set(name, value);
  return headers;
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Honour a client's X-Request-ID when it is safe to echo into logs and headers; otherwise make one. */
export function requestIdFor(inbound: Headers): string {
  const offered = inbound.get("x-request-id");
  if (offered && SAFE_REQUEST_ID.test(offered)) return offered;
  return crypto.randomUUID();
}
