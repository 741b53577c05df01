// The emulated engine (llama-server) behind DMR: response bodies, SSE events and
// engine errors. Everything here is engine-owned wire format (docs/DMR.md §4, §5, §6).

export const SYSTEM_FINGERPRINT = "b6500-abc1234";

export type Json = Record<string, unknown>;
export type EngineOp = "chat" | "text";

/** Response headers llama-server puts on JSON answers (§7). */
const ENGINE_JSON_HEADERS = { "Content-Type": "application/json; charset=utf-8", Server: "llama.cpp" };

export function engineJson(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: ENGINE_JSON_HEADERS });
}

/** llama-server error body `{"error":{code,message,type,...}}` (§4). */
export function engineError(status: number, message: string, type: string, extra: Json = {}): Response {
  return engineJson({ error: { code: status, message, type, ...extra } }, status);
}

export function contextSizeError(): Response {
  return engineError(
    400,
    "request (4139 tokens) exceeds the available context size (4096 tokens), try increasing it",
    "exceed_context_size_error",
    { n_prompt_tokens: 4139, n_ctx: 4096 },
  );
}

function randomId(prefix: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return prefix + Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

/** Rough token estimate: ~4 characters per token, at least 1. */
function countTokens(value: unknown): number {
  if (value === undefined) return 1;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return Math.max(1, Math.ceil(text.length / 4));
}

function usage(prompt: number, completion: number): Json {
  // llama-server reports prompt-cache reuse here; the emulator has no cache.
  return {
    completion_tokens: completion,
    prompt_tokens: prompt,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 0 },
  };
}

function timings(prompt: number, predicted: number): Json {
  return {
    cache_n: 0,
    prompt_n: prompt,
    prompt_ms: prompt * 0.5,
    prompt_per_token_ms: 0.5,
    prompt_per_second: 2000,
    predicted_n: predicted,
    predicted_ms: predicted * 10,
    predicted_per_token_ms: 10,
    predicted_per_second: 100,
  };
}

export interface Generation {
  op: EngineOp;
  /** Value of `model` in the response (§5 "model field"). */
  model: string;
  tokens: readonly string[];
  /** Parsed request body. */
  body: Json;
}

function promptTokens(g: Generation): number {
  return countTokens(g.op === "chat" ? g.body.messages : g.body.prompt);
}

/** Non-streamed chat.completion / text_completion object (§10.10). */
export function completionBody(g: Generation): Json {
  const prompt = promptTokens(g);
  const text = g.tokens.join("");
  const choice =
    g.op === "chat"
      ? { finish_reason: "stop", index: 0, message: { role: "assistant", content: text } }
      : { text, index: 0, logprobs: null, finish_reason: "stop" };
  return {
    choices: [choice],
    created: Math.floor(Date.now() / 1000),
    model: g.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    object: g.op === "chat" ? "chat.completion" : "text_completion",
    usage: usage(prompt, g.tokens.length),
    id: randomId(g.op === "chat" ? "chatcmpl-" : "cmpl-"),
    timings: timings(prompt, g.tokens.length),
  };
}

const sse = (data: unknown): string => `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;

/**
 * The SSE events of a streamed generation, one string per event (§5, §10.11):
 * role chunk (chat only), one chunk per token, finish chunk, usage chunk only if
 * `stream_options.include_usage === true`, `timings` on the last JSON chunk, then
 * `[DONE]`. With `midStreamError`, an error event follows the first token and the
 * stream ends without `[DONE]` (§10.12).
 */
export function streamEvents(g: Generation, midStreamError: boolean): string[] {
  const prompt = promptTokens(g);
  const created = Math.floor(Date.now() / 1000);
  const id = randomId(g.op === "chat" ? "chatcmpl-" : "cmpl-");
  const object = g.op === "chat" ? "chat.completion.chunk" : "text_completion";
  const chunk = (choices: Json[], extra: Json = {}): Json => ({
    choices,
    created,
    id,
    model: g.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    object,
    ...extra,
  });
  const choice = (delta: Json | string, finish: string | null): Json =>
    g.op === "chat"
      ? { finish_reason: finish, index: 0, delta }
      : { text: delta, index: 0, logprobs: null, finish_reason: finish };

  const chunks: Json[] = [];
  if (g.op === "chat") chunks.push(chunk([choice({ role: "assistant", content: null }, null)]));
  for (const token of g.tokens) {
    chunks.push(chunk([choice(g.op === "chat" ? { content: token } : token, null)]));
    if (midStreamError) {
      const error = { error: { code: 500, message: "emulated mid-stream engine failure", type: "server_error" } };
      return [...chunks.map(sse), sse(error)];
    }
  }
  chunks.push(chunk([choice(g.op === "chat" ? {} : "", "stop")]));
  const includeUsage = (g.body.stream_options as Json | undefined)?.include_usage === true;
  if (includeUsage) chunks.push(chunk([], { usage: usage(prompt, g.tokens.length) }));
  chunks[chunks.length - 1]!.timings = timings(prompt, g.tokens.length);
  return [...chunks.map(sse), sse("[DONE]")];
}

/** Deterministic unit vector of 8 floats for an input. */
function embed(input: unknown): number[] {
  let h = 2166136261;
  for (const ch of JSON.stringify(input)) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  const v = Array.from({ length: 8 }, (_, i) => {
    h = Math.imul(h ^ (h >>> 15), 2246822507) + i;
    return ((h >>> 0) / 0xffffffff) * 2 - 1;
  });
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

/** `/v1/embeddings` (§6): one item per input string (or token list). */
export function embeddingsResponse(body: Json, model: string): Response {
  const raw = body.input ?? body.content;
  if (raw === undefined || raw === null) {
    return engineError(400, '"input" or "content" must be provided', "invalid_request_error");
  }
  const isTokenList = Array.isArray(raw) && raw.length > 0 && raw.every((x) => typeof x === "number");
  const inputs: unknown[] = Array.isArray(raw) && !isTokenList ? raw : [raw];
  // As llama-server (llama-cpp-python 0.3.36's tree) answers: an empty list is refused by name, an
  // empty token list as empty content; "" is one BOS token with add_bos models, so it embeds.
  if (inputs.length === 0) return engineError(400, '"input" must not be empty', "invalid_request_error");
  if (inputs.some((x) => Array.isArray(x) && x.length === 0)) {
    return engineError(400, "Input content cannot be empty", "invalid_request_error");
  }
  const tokens = inputs.reduce<number>((n, x) => n + (Array.isArray(x) ? x.length : Math.max(1, countTokens(x))), 0);
  return engineJson({
    model,
    object: "list",
    usage: { prompt_tokens: tokens, total_tokens: tokens },
    data: inputs.map((x, index) =>
      body.encoding_format === "base64"
        ? { embedding: toBase64(embed(x)), index, object: "embedding", encoding_format: "base64" }
        : { embedding: embed(x), index, object: "embedding" }
    ),
  });
}

/** llama.cpp's base64 form: the float32 vector's little-endian bytes (§6). */
function toBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString("base64");
}

/** `/rerank` (§6): relevance by shared words, sorted best first. */
export function rerankResponse(body: Json, model: string): Response {
  const query = typeof body.query === "string" ? body.query : undefined;
  const documents = Array.isArray(body.documents) ? body.documents : undefined;
  if (query === undefined || documents === undefined) {
    return engineError(400, '"query" and "documents" must be provided', "invalid_request_error");
  }
  const words = new Set(query.toLowerCase().split(/\W+/).filter(Boolean));
  const results = documents
    .map((doc, index) => {
      const docWords = String(doc).toLowerCase().split(/\W+/).filter(Boolean);
      const hits = docWords.filter((w) => words.has(w)).length;
      return { index, relevance_score: docWords.length ? hits / docWords.length : 0 };
    })
    .sort((a, b) => b.relevance_score - a.relevance_score);
  const topN = typeof body.top_n === "number" ? body.top_n : results.length;
  const tokens = countTokens(query) + countTokens(documents);
  return engineJson({
    model,
    object: "list",
    usage: { prompt_tokens: tokens, total_tokens: tokens },
    results: results.slice(0, topN),
  });
}
