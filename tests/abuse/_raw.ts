/**
 * A raw TCP client for request-target and framing probes: a URL parser (fetch) would
 * normalise or refuse exactly the bytes these tests need to send.
 */

export interface RawAnswer {
  /** Every byte the server sent, as latin1 text. */
  readonly text: string;
  /** Status of the first response, or 0 when none came. */
  readonly status: number;
  /** Statuses of every response seen, in order (pipelined requests). */
  readonly statuses: number[];
  /** Body of the first response (everything after its blank line). */
  readonly body: string;
  /** Headers of the first response, lower-cased names. */
  readonly headers: Map<string, string>;
  /** True when the server closed the connection before `timeoutMs`. */
  readonly closed: boolean;
}

export interface RawOptions {
  /** Give up waiting this long after the last byte (default 3 s). */
  readonly timeoutMs?: number;
  /** Stop reading once this many bytes arrived and a status line is complete (default: read to close). */
  readonly untilStatuses?: number;
}

/**
 * Send `chunks` (each written as it is, one after another) and collect the answer until the
 * server closes, `untilStatuses` responses arrived, or the timeout passes.
 */
export function rawExchange(port: number, chunks: Array<string | Uint8Array>, options: RawOptions = {}): Promise<RawAnswer> {
  const timeoutMs = options.timeoutMs ?? 3000;
  return new Promise((resolve, reject) => {
    let text = "";
    let closed = false;
    let done = false;
    let timer: ReturnType<typeof setTimeout>;
    let socket: { end(): void } | undefined;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(parse(text, closed));
      socket?.end();
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(finish, timeoutMs);
    };
    arm();
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        async open(s) {
          socket = s;
          for (const chunk of chunks) s.write(chunk);
        },
        data(_s, data) {
          text += Buffer.from(data).toString("latin1");
          arm();
          if (options.untilStatuses && parse(text, false).statuses.length >= options.untilStatuses && hasFullBody(text)) finish();
        },
        close() {
          // Only a close before we gave up counts as the server's.
          if (!done) closed = true;
          finish();
        },
        error() {
          if (!done) closed = true;
          finish();
        },
      },
    }).catch(reject);
  });
}

/** One request written in one go. */
export function rawRequest(port: number, request: string | Uint8Array, options?: RawOptions): Promise<RawAnswer> {
  return rawExchange(port, [request], options);
}

function hasFullBody(text: string): boolean {
  const split = text.lastIndexOf("\r\n\r\n");
  if (split === -1) return false;
  const head = text.slice(text.lastIndexOf("HTTP/1.", split), split);
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  return length ? text.length - split - 4 >= Number(length[1]) : true;
}

function parse(text: string, closed: boolean): RawAnswer {
  const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
  const split = text.indexOf("\r\n\r\n");
  const head = split === -1 ? text : text.slice(0, split);
  const headers = new Map<string, string>();
  for (const line of head.split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { text, status: statuses[0] ?? 0, statuses, body: split === -1 ? "" : text.slice(split + 4), headers, closed };
}

/** A POST with a JSON body and Content-Length, as raw text. */
export function rawPost(target: string, body: string, extraHeaders = "", version = "1.1"): string {
  const length = Buffer.byteLength(body);
  return `POST ${target} HTTP/${version}\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${length}\r\n${extraHeaders}Connection: close\r\n\r\n${body}`;
}

/** The body's error object when it is Tureen's JSON error, else null. */
export function errorOf(answer: RawAnswer): { message: string; type: string; code: string } | null {
  const start = answer.body.indexOf("{");
  if (start === -1) return null;
  try {
    return JSON.parse(answer.body.slice(start, answer.body.lastIndexOf("}") + 1)).error ?? null;
  } catch {
    return null;
  }
}
