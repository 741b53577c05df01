/**
 * @module
 * What the proxy needs from its JavaScript runtime. `bun.ts` and `deno.ts` implement it;
 * nothing else in `src/` names `Bun` or `Deno`.
 */

/** Per-request facts only the server knows. */
export interface ConnInfo {
  /** The TCP peer's address, never a header. */
  readonly remoteAddress: string;
  /** Let this request stay silent for as long as the backend needs (Bun cuts idle requests at 10 s by default). */
  disableIdleTimeout(): void;
  /**
   * False when the request target the client sent was not in canonical form (dot segments,
   * their %2e spellings, backslashes), even if the runtime normalised it before the app saw it.
   */
  readonly canonicalTarget: boolean;
  /**
   * Call after reading the body, before routing: resolves once the runtime has processed what
   * arrived with it, so a request it has already given up on shows as aborted before a backend
   * is chosen. Bun aborts the first of two pipelined requests one event-loop turn after its body
   * is read (docs/SECURITY.md); Deno needs no turn and leaves this out.
   */
  readonly settle?: () => Promise<void>;
}

export type Handler = (request: Request, conn: ConnInfo) => Response | Promise<Response>;

export interface ServeOptions {
  readonly hostname: string;
  readonly port: number;
  /** Seconds a keep-alive connection may idle before it is closed. */
  readonly idleTimeoutSeconds: number;
  /** Upper bound the runtime itself enforces on request bodies; the app checks the configured limit first. */
  readonly maxRequestBodySize: number;
  readonly handler: Handler;
}

export interface RunningServer {
  readonly hostname: string;
  readonly port: number;
  /** Stop accepting; with `force`, close open connections too. */
  stop(force: boolean): Promise<void>;
}

export interface Runtime {
  readonly name: "bun" | "deno";
  readonly version: string;
  /** Start listening; resolves once the port is bound. */
  serve(options: ServeOptions): Promise<RunningServer>;
  /**
   * fetch for backend calls: no runtime-imposed total timeout (Bun's default is 5 min,
   * shorter than a cold model load) and bodies returned as the backend sent them.
   * `unix:///path.sock[/base]` URLs are fetched over the socket (see unix_url.ts).
   */
  readonly fetch: (input: string, init: RequestInit) => Promise<Response>;
  /** True when `fetch` decodes gzip/br itself, so Content-Encoding must not be passed on. */
  readonly fetchDecompresses: boolean;
  env(name: string): string | undefined;
  /** The file's text, or undefined when it does not exist. */
  readTextFile(path: string): string | undefined;
  /** File names in a directory, or undefined when it does not exist. */
  listDir(path: string): string[] | undefined;
  readonly args: readonly string[];
  onSignal(signal: "SIGINT" | "SIGTERM" | "SIGHUP", listener: () => void): void;
  isTerminal(): boolean;
  writeStdout(text: string): void;
  writeStderr(text: string): void;
  exit(code: number): never;
}
