/**
 * @module
 * The Deno implementation of {@link Runtime}.
 */
// @ts-nocheck -- type-checked by `deno check`, which knows the Deno namespace; Bun's tsc view does not.
import type { Runtime, ServeOptions } from "./contract.ts";

const encoder = new TextEncoder();

export const denoRuntime: Runtime = {
  name: "deno",
  version: Deno.version.deno,
  serve(options: ServeOptions) {
    return new Promise((resolve, reject) => {
      try {
        const server = Deno.serve(
          {
            hostname: options.hostname,
            port: options.port,
            onListen: (addr: { hostname: string; port: number }) =>
              resolve({
                hostname: addr.hostname,
                port: addr.port,
                stop: async (force: boolean) => {
                  if (force) {
                    await server.shutdown().catch(() => {});
                  } else {
                    await server.shutdown();
                  }
                },
              }),
          },
          async (request: Request, info: { remoteAddr: { hostname: string } }) => {
            const response = await options.handler(request, {
              remoteAddress: info.remoteAddr.hostname,
              // Deno.serve has no per-request idle timer to lift.
              disableIdleTimeout: () => {},
            });
            return preventCompression(response);
          },
        );
      } catch (error) {
        reject(error);
      }
    });
  },
  fetch: (input, init) => fetch(input, init),
  // Deno's fetch always decodes gzip/br bodies.
  fetchDecompresses: true,
  env: (name) => Deno.env.get(name),
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

/**
 * Deno.serve compresses compressible bodies on its own and then buffers the whole stream
 * (deno#19889); `Cache-Control: no-transform` is the documented way to opt a response out.
 */
function preventCompression(response: Response): Response {
  const type = response.headers.get("content-type") ?? "";
  if (!type.startsWith("text/event-stream") && !type.includes("ndjson")) return response;
  const cacheControl = response.headers.get("cache-control");
  if (cacheControl?.includes("no-transform")) return response;
  try {
    response.headers.set("cache-control", cacheControl ? `${cacheControl}, no-transform` : "no-transform");
    return response;
  } catch {
    // Immutable headers (a fetch Response): copy them.
    const headers = new Headers(response.headers);
    headers.set("cache-control", cacheControl ? `${cacheControl}, no-transform` : "no-transform");
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
}
