/**
 * @module
 * The Deno implementation of {@link Runtime}.
 */
// @ts-nocheck -- type-checked by `deno check`, which knows the Deno namespace; Bun's tsc view does not.
import type { Runtime, ServeOptions } from "./contract.ts";
import { isParsedPathUnchanged } from "./target.ts";
import { unixTarget } from "./unix_url.ts";

const encoder = new TextEncoder();

/** One pooled HTTP client per socket, so keep-alive connections are reused like TCP ones. */
const unixClients = new Map<string, Deno.HttpClient>();
function unixClient(path: string): Deno.HttpClient {
  let client = unixClients.get(path);
  if (client) return client;
  try {
    client = Deno.createHttpClient({ proxy: { transport: "unix", path } });
  } catch (error) {
    // Deno counts connecting to a socket as writing it (2.9.6); say which flag grants exactly that.
    if (error instanceof Deno.errors.NotCapable) {
      throw new Error(`Deno may not connect to unix socket ${path}: start it with --allow-write=${path}`);
    }
    throw error;
  }
  unixClients.set(path, client);
  return client;
}

export const denoRuntime: Runtime = {
  name: "deno",
  version: Deno.version.deno,
  serve(options: ServeOptions) {
    return new Promise((resolve, reject) => {
      try {
        const abort = new AbortController();
        let graceful: Promise<void> | undefined;
        const server = Deno.serve(
          {
            hostname: options.hostname,
            port: options.port,
            signal: abort.signal,
            onListen: (addr: { hostname: string; port: number }) =>
              resolve({
                hostname: addr.hostname,
                port: addr.port,
                stop: (force: boolean) => {
                  // shutdown() stops accepting and resolves once in-flight responses, streamed
                  // bodies included, have finished (checked on 2.9.6).
                  if (!force) return (graceful ??= server.shutdown());
                  // Aborting the signal closes every connection, but after shutdown() it throws an
                  // uncaught BadResource (2.9.6); then the process exit that follows closes them.
                  if (graceful) return Promise.resolve();
                  abort.abort();
                  return server.finished;
                },
              }),
          },
          // Deno.serve has no per-request idle timer to lift, and it does not compress
          // stream bodies (checked on 2.9.6), so event streams pass as they are.
          (request: Request, info: { remoteAddr: { hostname: string } }) =>
            options.handler(request, {
              remoteAddress: info.remoteAddr.hostname,
              disableIdleTimeout: () => {},
              // Deno passes the target through unparsed, so normalising it shows what changed.
              canonicalTarget: isParsedPathUnchanged(request.url),
            }),
        );
      } catch (error) {
        reject(error);
      }
    });
  },
  fetch(input, init) {
    const unix = unixTarget(input);
    if (!unix) return fetch(input, init);
    try {
      return fetch(unix.url, { ...init, client: unixClient(unix.socketPath) });
    } catch (error) {
      return Promise.reject(error);
    }
  },
  // Deno's fetch always decodes gzip/br bodies.
  fetchDecompresses: true,
  env: (name) => Deno.env.get(name),
  listDir(path) {
    try {
      return [...Deno.readDirSync(path)].map((entry) => entry.name);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    }
  },
  readTextFile(path) {
    try {
      return Deno.readTextFileSync(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    }
  },
  args: Deno.args,
  onSignal(signal, listener) {
    Deno.addSignalListener(signal, listener);
  },
  isTerminal: () => Deno.stdout.isTerminal(),
  writeStdout(text) {
    Deno.stdout.writeSync(encoder.encode(text));
  },
  writeStderr(text) {
    Deno.stderr.writeSync(encoder.encode(text));
  },
  exit: (code) => Deno.exit(code),
};
