/**
 * @module
 * Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, so a proxy drops them
 * in both directions, together with any header a `Connection` header names.
 */

/** The fixed list, for requests and responses alike. */
export const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Headers listed in `Connection` (lower-cased), or null when it names none. */
export function connectionNamed(headers: Headers): Set<string> | null {
  const connection = headers.get("connection");
  if (!connection) return null;
  const named = new Set(connection.split(",").map((token) => token.trim().toLowerCase()).filter(Boolean));
  return named.size === 0 ? null : named;
}

/** True when `name` (lower-case) must not cross this hop. */
export function isHopByHop(name: string, named: Set<string> | null): boolean {
  return HOP_BY_HOP.has(name) || (named !== null && named.has(name));
}
