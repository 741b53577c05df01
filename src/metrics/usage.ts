/**
 * @module
 * Token counts and time to first token, read from a copy of the bytes relayed to the
 * client: the relay hands each chunk over first and the tap only copies (at most the first
 * and last few KiB) and, until the first token is seen, looks for one. Counts are read once
 * the body has ended, from whichever shape the backend used:
 *
 * - OpenAI JSON `usage.prompt_tokens/completion_tokens`, also the final SSE usage chunk;
 * - Anthropic and OpenAI Responses `usage.input_tokens/output_tokens` (Anthropic streams
 *   put the input count in `message_start` near the head, the output in the last `message_delta`);
 * - llama-server `timings.prompt_n/predicted_n/predicted_per_second` and its native
 *   `tokens_evaluated/tokens_predicted`;
 * - Ollama `prompt_eval_count/eval_count/eval_duration` (final NDJSON line or JSON body).
 *
 * Fields are found by name in the JSON text. A field name inside model output cannot match:
 * inside a JSON string every quote is escaped, and the pattern needs a bare quote on both sides.
 */

/** What the backend reported; null where it did not say. */
export interface TokenUsage {
  readonly input: number | null;
  readonly output: number | null;
  /** Generation speed the backend measured itself (llama-server, Ollama), tokens/s. */
  readonly outputPerSecond: number | null;
}

/** What a finished body tells the metrics and the access log. */
export interface UsageReader {
  /** When the first chunk carrying generated text went out (streams only), else null. */
  readonly firstTokenAt: number | null;
  read(): TokenUsage;
}

const HEAD_BYTES = 4 * 1024;
const TAIL_BYTES = 16 * 1024;

const FIELD = /"(prompt_tokens|completion_tokens|input_tokens|output_tokens|prompt_eval_count|eval_count|eval_duration|prompt_n|predicted_n|predicted_per_second|tokens_evaluated|tokens_predicted)"\s*:\s*(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?=[\s,}\]])/g;

/**
 * A string field with generated text in it: OpenAI `content`/`text`, Anthropic `text`/
 * `partial_json`/`thinking`, Responses `delta`, Ollama `response`, reasoning and tool arguments.
 */
const TOKEN = /"(?:content|text|delta|reasoning_content|reasoning|thinking|partial_json|response|arguments)"\s*:\s*"[^"]/;

/** Event streams and NDJSON: relayed chunk by chunk, and the only bodies with a time to first token. */
export function isStreamContentType(contentType: string | null): boolean {
  const type = contentType ?? "";
  return type.startsWith("text/event-stream") || type.includes("ndjson") || type.includes("stream+json");
}

/** Decoding is stateless here (no `stream` option), so one decoder serves every tap. */
const decoder = new TextDecoder();

/** The usage of a body read whole: parsed from its own bytes when first asked, nothing copied. */
export function wholeBodyUsage(bytes: Uint8Array): UsageReader {
  let usage: TokenUsage | null = null;
  return {
    firstTokenAt: null,
    read: () =>
      usage ??= parse(
        bytes.byteLength > TAIL_BYTES ? bytes.subarray(0, HEAD_BYTES) : null,
        bytes.subarray(Math.max(0, bytes.byteLength - TAIL_BYTES)),
      ),
  };
}

/**
 * A relayed body: keeps a copy of its head and tail as chunks pass, and notes the first token.
 * Until the body outgrows the tail, the copy is the body itself in a buffer that doubles as
 * needed (a short stream keeps a few KiB, not the 20 KiB of a full head and tail); only a longer
 * body gets the fixed head and the tail ring.
 */
export class UsageTap implements UsageReader {
  firstTokenAt: number | null = null;
  readonly #now: () => number;
  /** The body so far while it fits in TAIL_BYTES; then the tail ring. Allocated on the first chunk. */
  #copy: Uint8Array | null = null;
  /** Set once the body is longer than TAIL_BYTES. */
  #head: Uint8Array | null = null;
  /** Next write position in the tail ring. */
  #tailAt = 0;
  #total = 0;
  #watching: boolean;
  #usage: TokenUsage | null = null;

  /**
   * @param streamed whether the body is an event stream or NDJSON (only those have a time to first token)
   */
  constructor(streamed: boolean, now: () => number) {
    this.#watching = streamed;
    this.#now = now;
  }

  /** Copy of one chunk already handed to the client. */
  push(chunk: Uint8Array): void {
    if (this.#watching && TOKEN.test(decoder.decode(chunk))) {
      this.#watching = false;
      this.firstTokenAt = this.#now();
    }
    const before = this.#total;
    this.#total += chunk.byteLength;
    if (this.#head === null && this.#total <= TAIL_BYTES) {
      this.#append(chunk, before);
      return;
    }
    if (this.#head === null) this.#startRing(chunk, before);
    this.#ringWrite(chunk);
  }

  /** The counts, parsed once, after the body has ended. */
  read(): TokenUsage {
    if (this.#usage) return this.#usage;
    if (this.#head === null) return this.#usage = parse(null, this.#copy?.subarray(0, this.#total) ?? new Uint8Array(0));
    const ring = this.#copy!;
    const ordered = new Uint8Array(TAIL_BYTES);
    ordered.set(ring.subarray(this.#tailAt), 0);
    ordered.set(ring.subarray(0, this.#tailAt), TAIL_BYTES - this.#tailAt);
    return this.#usage = parse(this.#head, ordered);
  }

  #append(chunk: Uint8Array, at: number): void {
    if (!this.#copy || this.#copy.byteLength < this.#total) {
      let size = this.#copy?.byteLength ?? 1024;
      while (size < this.#total) size *= 2;
      const grown = new Uint8Array(Math.min(size, TAIL_BYTES));
      if (this.#copy) grown.set(this.#copy.subarray(0, at));
      this.#copy = grown;
    }
    this.#copy.set(chunk, at);
  }

  /** The body just outgrew the tail: keep its first HEAD_BYTES, and move what is held into a full ring. */
  #startRing(chunk: Uint8Array, held: number): void {
    const sofar = this.#copy?.subarray(0, held) ?? new Uint8Array(0);
    const head = new Uint8Array(HEAD_BYTES);
    head.set(sofar.subarray(0, HEAD_BYTES));
    if (held < HEAD_BYTES) head.set(chunk.subarray(0, HEAD_BYTES - held), held);
    this.#head = head;
    const ring = new Uint8Array(TAIL_BYTES);
    ring.set(sofar);
    this.#copy = ring;
    this.#tailAt = held % TAIL_BYTES;
  }

  #ringWrite(chunk: Uint8Array): void {
    const ring = this.#copy!;
    if (chunk.byteLength >= TAIL_BYTES) {
      ring.set(chunk.subarray(chunk.byteLength - TAIL_BYTES), 0);
      this.#tailAt = 0;
      return;
    }
    const room = TAIL_BYTES - this.#tailAt;
    if (chunk.byteLength <= room) {
      ring.set(chunk, this.#tailAt);
    } else {
      ring.set(chunk.subarray(0, room), this.#tailAt);
      ring.set(chunk.subarray(room), 0);
    }
    this.#tailAt = (this.#tailAt + chunk.byteLength) % TAIL_BYTES;
  }
}

/** Fields from the head (when the body is longer than the tail) and then the tail, which wins. */
function parse(head: Uint8Array | null, tail: Uint8Array): TokenUsage {
  const fields = new Map<string, number>();
  if (head) collect(decoder.decode(head), fields);
  collect(decoder.decode(tail), fields);
  return usageFrom(fields);
}

/** Every usage field in `text`; a later occurrence replaces an earlier one. */
function collect(text: string, into: Map<string, number>): void {
  // An exec loop rather than matchAll, which clones the pattern on every call (a quarter slower here).
  FIELD.lastIndex = 0;
  for (let match = FIELD.exec(text); match !== null; match = FIELD.exec(text)) into.set(match[1]!, Number(match[2]));
}

/** The shapes in order of trust: explicit usage objects first, engine timings last. */
export function usageFrom(fields: ReadonlyMap<string, number>): TokenUsage {
  const first = (...names: string[]) => {
    for (const name of names) {
      const value = fields.get(name);
      if (value !== undefined && Number.isFinite(value)) return value;
    }
    return null;
  };
  const evalCount = fields.get("eval_count");
  const evalNs = fields.get("eval_duration");
  const ollamaSpeed = evalCount !== undefined && evalNs ? evalCount / (evalNs / 1e9) : null;
  return {
    input: first("prompt_tokens", "input_tokens", "prompt_eval_count", "tokens_evaluated", "prompt_n"),
    output: first("completion_tokens", "output_tokens", "eval_count", "tokens_predicted", "predicted_n"),
    outputPerSecond: first("predicted_per_second") ?? ollamaSpeed,
  };
}
