/**
 * @module
 * The Bun implementation of {@link Runtime}.
 */
/// <reference types="bun-types" />
import { readdirSync, readFileSync } from "node:fs";
import type { ConnInfo, Runtime, ServeOptions } from "./contract.ts";
import { unixTarget } from "./unix_url.ts";

export const bunRuntime: Runtime = {
  name: "bun",
  version: Bun.version,
  serve(options: ServeOptions) {
    const server = Bun.serve({
      hostname: options.hostname,
      port: options.port,
      // Bun's maximum is 255 s; 0 would also keep dead keep-alive sockets forever.
      idleTimeout: Math.min(255, Math.max(1, options.idleTimeoutSeconds)),
      maxRequestBodySize: options.maxRequestBodySize,
      development: false,
      fetch(request, srv) {
        const conn: ConnInfo = {
          remoteAddress: srv.requestIP(request)?.address ?? "",
          disableIdleTimeout: () => srv.timeout(request, 0),
        };
        return options.handler(request, conn);
      },
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
