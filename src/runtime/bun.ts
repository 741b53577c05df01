/**
 * @module
 * The Bun implementation of {@link Runtime}.
 */
/// <reference types="bun-types" />
import { readdirSync, readFileSync } from "node:fs";
import type { ConnInfo, Runtime, ServeOptions } from "./contract.ts";
import { rawPathOf } from "./target.ts";
import { unixTarget } from "./unix_url.ts";

export const bunRuntime: Runtime = {
  name: "bun",
  version: Bun.version,
  serve(options: ServeOptions) {
    const handle = (request: Request, srv: Bun.Server<unknown>, params: Record<string, string> | null, trailing = false) => {
      const absolute = absoluteUrl(request);
      const conn: ConnInfo = {
        remoteAddress: srv.requestIP(request)?.address ?? "",
        disableIdleTimeout: () => srv.timeout(request, 0),
        // Only "/" is known to be canonical among targets the segment routes do not match.
        canonicalTarget: params ? matchesSegments(params, trailing, absolute.url) : rawPathOf(absolute.url) === "/",
        settle: nextTurn,
      };
      return options.handler(absolute, conn);
    };
    const server = Bun.serve({
      hostname: options.hostname,
      port: options.port,
      // Bun sets SO_REUSEPORT unless told not to (1.4.5): a second Tureen on the same port
      // would "listen" too and take half the requests with another config.
      reusePort: false,
      // Bun's maximum is 255 s; 0 would also keep dead keep-alive sockets forever.
      idleTimeout: Math.min(255, Math.max(1, options.idleTimeoutSeconds)),
      maxRequestBodySize: options.maxRequestBodySize,
      development: false,
      routes: segmentRoutes((request, srv, trailing) => handle(request, srv, request.params as Record<string, string>, trailing)),
      // Targets the segment routes do not match: "/", doubled slashes, or deeper than
      // MAX_SEGMENTS; no Tureen route has any of them.
      fetch: (request, srv) => handle(request, srv, null),
    });
    return Promise.resolve({
      hostname: server.hostname ?? options.hostname,
      port: server.port ?? options.port,
      stop: (force: boolean) => server.stop(force),
    });
  },
  // timeout:false lifts Bun's 5-minute fetch ceiling; decompress:false keeps the backend's bytes.
  fetch(input, init) {
    const options = { ...init, timeout: false, decompress: false } as RequestInit;
    const unix = unixTarget(input);
    return unix ? fetch(unix.url, { ...options, unix: unix.socketPath } as RequestInit) : fetch(input, options);
  },
  fetchDecompresses: false,
  env: (name) => Bun.env[name],
  listDir(path) {
    try {
      return readdirSync(path);
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return undefined;
      throw error;
    }
  },
  readTextFile(path) {
    try {
      // Synchronous on purpose: config is read once at start and on reload.
      return readFileSync(path, "utf8");
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return undefined;
      throw error;
    }
  },
  args: Bun.argv.slice(2),
  onSignal(signal, listener) {
    process.on(signal, listener);
  },
  isTerminal: () => Boolean(process.stdout.isTTY),
  writeStdout(text) {
    writeQuietly(process.stdout, text);
  },
  writeStderr(text) {
    writeQuietly(process.stderr, text);
  },
  exit: (code) => process.exit(code),
};

/**
 * A closed log pipe (a restarted journald, `| head`) must not take the proxy down with
 * it: EPIPE is dropped, the line is lost, requests keep being served.
 */
function writeQuietly(stream: NodeJS.WriteStream, text: string): void {
  if (stream.listenerCount("error") === 0) stream.on("error", () => {});
  try {
    stream.write(text);
  } catch {
    // Nowhere left to report it.
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/*
 * Bun builds request.url with the URL parser, which resolves `.`/`..` (and their %2e
 * spellings) and reads `\\` as `/` before the app sees it; the raw target is gone. Its router,
 * though, matches the raw target (1.4.5), and a route of N `:param` segments hands over each
 * raw segment, percent-decoded. Comparing those with the parsed path tells whether the
 * client's target was already canonical (docs/SECURITY.md).
 */
const MAX_SEGMENTS = 16;

type RouteHandler = (request: Bun.BunRequest<string>, srv: Bun.Server<unknown>) => Response | Promise<Response>;
type SegmentHandler = (request: Bun.BunRequest<string>, srv: Bun.Server<unknown>, trailing: boolean) => Response | Promise<Response>;

/** `/:s0` … `/:s0/…/:s15`, each also with a trailing slash (`/internal/ui/`). */
function segmentRoutes(handler: SegmentHandler): Record<string, RouteHandler> {
  const routes: Record<string, RouteHandler> = {};
  let pattern = "";
  for (let i = 0; i < MAX_SEGMENTS; i++) {
    pattern += `/:s${i}`;
    routes[pattern] = (request, srv) => handler(request, srv, false);
    routes[`${pattern}/`] = (request, srv) => handler(request, srv, true);
  }
  return routes;
}

/** True when the raw segments, as the router saw them, spell the path the URL parser produced. */
function matchesSegments(params: Record<string, string>, trailing: boolean, url: string): boolean {
  const sent = "/" + Object.values(params).join("/") + (trailing ? "/" : "");
  const parsed = rawPathOf(url);
  if (!parsed.includes("%")) return sent === parsed;
  try {
    return sent === decodeURIComponent(parsed);
  } catch {
    // Malformed percent-encoding (the router decodes it lossily): judge the raw segments
    // themselves, and that the parser kept their number.
    const segments = Object.values(params);
    const dotted = segments.some((s) => s === "." || s === ".." || s.includes("\\"));
    return !dotted && segments.length + (trailing ? 1 : 0) === parsed.split("/").length - 1;
  }
}

/**
 * An HTTP/1.0 request without Host reaches Bun's handler with a relative url, which URL
 * parsers (Hono's included) misread: `/olla/dmr/...` loses `/olla`. Make it absolute.
 */
function absoluteUrl(request: Request): Request {
  if (!request.url.startsWith("/")) return request;
  return new Request(`http://localhost${request.url}`, request);
}
