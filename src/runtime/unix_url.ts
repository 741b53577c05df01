/**
 * @module
 * Endpoint URLs on unix sockets. `unix:///run/dmr.sock` is DMR listening on a socket;
 * `unix:///var/run/docker.sock/exp/vDD4.40` is Docker Desktop's socket with DMR's API under a
 * base path. The socket path ends at the first segment ending in `.sock` or `.socket`; a URL
 * with no such segment is all socket. Callers append API paths to the URL as to an http one, and
 * the runtime's fetch splits it here into the socket to dial and the http URL to request.
 */

export interface UnixTarget {
  /** The socket file to connect to. */
  readonly socketPath: string;
  /** What to request over it: `http://localhost` + base path + API path + query. */
  readonly url: string;
}

const SOCKET_SEGMENT = /^(\/[^?#]*?\.sock(?:et)?)(?=[/?#]|$)/;

/** The socket and http URL behind a `unix://` URL, or undefined for any other URL. */
export function unixTarget(url: string): UnixTarget | undefined {
  if (!url.startsWith("unix://")) return undefined;
  const rest = url.slice("unix://".length);
  const named = SOCKET_SEGMENT.exec(rest);
  const socketPath = named ? named[1]! : rest.replace(/[?#].*$/, "");
  const remainder = rest.slice(socketPath.length);
  const path = remainder.startsWith("/") ? remainder : `/${remainder}`;
  return { socketPath, url: `http://localhost${path}` };
}
