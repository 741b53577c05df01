/**
 * @module
 * Read a request body up to a limit. A declared Content-Length over the limit is refused
 * before a byte is read; a chunked body is counted as it arrives and dropped the moment
 * it passes the limit, so the excess is never held in memory.
 */
import type { Clock } from "../clock.ts";
import { ProxyError, refuse } from "./errors.ts";

/**
 * How long a whole body may take to arrive (server.read_timeout); 0 means no limit. One timer
 * serves every body being read: while any read is pending it wakes every quarter of the timeout
 * (at most every second) and refuses the reads past their deadline. A timer of its own per
 * request cost more than reading a small body; the price is that a stalled body is refused up to
 * a quarter of the timeout (at most a second) late.
 */
export class BodyDeadline {
  readonly #pending = new Set<{ readonly due: number; readonly expire: () => void }>();
  readonly #tickMs: number;
  #timer: unknown = null;

  constructor(readonly ms: number, readonly clock: Clock) {
    this.#tickMs = Math.min(1000, Math.max(10, ms / 4));
  }

  /** `read`'s result, or `expired()`'s error once the deadline has passed (then `read` no longer counts). */
  within<T>(read: Promise<T>, expired: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry = { due: this.clock.now() + this.ms, expire: () => reject(expired()) };
      this.#pending.add(entry);
      this.#timer ??= this.clock.setTimeout(() => this.#sweep(), this.#tickMs);
      read.then(
        (value) => {
          this.#pending.delete(entry);
          resolve(value);
        },
        (error) => {
          this.#pending.delete(entry);
          reject(error);
        },
      );
    });
  }

  #sweep(): void {
    this.#timer = null;
    const now = this.clock.now();
    for (const entry of this.#pending) {
      if (entry.due > now) continue;
      this.#pending.delete(entry);
      entry.expire();
    }
    if (this.#pending.size > 0) this.#timer = this.clock.setTimeout(() => this.#sweep(), this.#tickMs);
  }
}

function tooLarge(limit: number, setting: string): ProxyError {
  return refuse(
    "request_too_large",
    `Request body is larger than the ${formatBytes(limit)} limit: send a smaller body or raise ${setting}`,
  );
}

/**
 * @param request the client's request
 * @param limit largest accepted body in bytes
 * @param setting the config key that sets `limit`, named in the 413
 * @param deadline when given, a body not complete within `ms` is a 408 and the connection closes
 * @throws {ProxyError} 413 over the limit, 408 past the deadline, 415 when compressed, 400 when the body cannot be read
 */
export function readBodyWithin(
  request: Request,
  limit: number,
  setting = "server.request_limits.max_body_size",
  deadline?: BodyDeadline,
): Promise<Uint8Array<ArrayBuffer>> {
  const encoding = request.headers.get("content-encoding");
  if (encoding !== null && encoding.trim().toLowerCase() !== "identity") {
    // Backends read JSON as sent; a compressed body would reach them as garbage.
    return Promise.reject(new ProxyError(
      415,
      "unsupported_content_encoding",
      `Request bodies must not be compressed (Content-Encoding: ${JSON.stringify(encoding).slice(1, -1).slice(0, 40)}): send plain JSON`,
    ));
  }
  if (!deadline || deadline.ms <= 0) return readBody(request, limit, setting);
  return deadline.within(readBody(request, limit, setting), () => {
    // A stalled body holds its connection: stop reading, answer, and let the connection close.
    request.body?.cancel().catch(() => {});
    return new ProxyError(
      408,
      "request_timeout",
      `The request body did not arrive within ${deadline.ms / 1000}s: send it without pauses or raise server.read_timeout`,
      { connection: "close" },
    );
  });
}

async function readBody(request: Request, limit: number, setting: string): Promise<Uint8Array<ArrayBuffer>> {
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    const length = /^\d+$/.test(declared) ? Number(declared) : NaN;
    if (!Number.isSafeInteger(length)) {
      throw refuse("invalid_content_length", `Content-Length must be a byte count: current value is "${declared}"`);
    }
    if (length > limit) throw tooLarge(limit, setting);
    // A declared length within the limit is read by the runtime in one native call (the
    // runtime enforces the length), about twice as fast under load as reading chunk by chunk.
    try {
      return new Uint8Array(await request.arrayBuffer());
    } catch (error) {
      throw refuse("body_unreadable", `Cannot read the request body: ${(error as Error).message}`);
    }
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge(limit, setting);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof ProxyError) throw error;
    throw refuse("body_unreadable", `Cannot read the request body: ${(error as Error).message}`);
  }
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

function formatBytes(bytes: number): string {
  for (const [unit, size] of [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}

// JSON bodies are UTF-8 (RFC 8259 §8.1); replacing bad bytes would route a model name nobody sent.
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Read the `model` field of a JSON request body without changing the body.
 *
 * @throws {ProxyError} 400 when the body is not a JSON object with a non-empty string `model`
 */
export function readModelField(body: Uint8Array): string {
  let text: string;
  try {
    text = decoder.decode(body);
  } catch {
    throw new ProxyError(400, "invalid_encoding", "Request body is not valid UTF-8: send JSON encoded as UTF-8");
  }
  if (nestingDepth(text) > MAX_NESTING) {
    throw new ProxyError(
      400,
      "invalid_json",
      `Request body nests arrays or objects more than ${MAX_NESTING} levels deep: no inference API needs that, send a flatter body`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw refuse("invalid_json",
      `Request body is not valid JSON: ${(error as Error).message}. Send a JSON object such as {"model":"ai/smollm2",...}`,
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw refuse("invalid_request", 'Request body must be a JSON object such as {"model":"ai/smollm2",...}');
  }
  const model = (parsed as { model?: unknown }).model;
  if (typeof model === "string" && model.length > MAX_MODEL_LENGTH) {
    // Every error naming the model would echo it back: refuse before anything does.
    throw new ProxyError(400, "invalid_model", `The "model" value is longer than ${MAX_MODEL_LENGTH} characters: no model name is that long`);
  }
  if (typeof model !== "string" || model.trim() === "") {
    throw refuse("model_required",
      'Request body has no "model": name the model to use, e.g. "ai/smollm2" (see GET /olla/dmr/engines/v1/models)',
    );
  }
  return model;
}

/** Longer model names are refused (the longest Hugging Face refs are far shorter). */
export const MAX_MODEL_LENGTH = 512;

/** Deeper JSON is refused: parsers that recurse (a backend's, possibly) can be crashed by it. */
export const MAX_NESTING = 256;

/** The deepest nesting of [ and { outside strings, stopping early once past the limit. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* backslash */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > deepest && (deepest = depth) > MAX_NESTING) return deepest;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
    }
  }
  return deepest;
}
