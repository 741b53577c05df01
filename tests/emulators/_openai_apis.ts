/**
 * The APIs beyond chat completions that OpenAI-compatible servers serve natively, for the
 * per-type emulator (openai_server.ts): Anthropic Messages (`/v1/messages`, answered as
 * llama-server and vLLM answer it, `count_tokens` where the type has it), the Responses API
 * (stateful: an id exists only in the instance that created it) and rerank.
 */
import { paced } from "./_recorder.ts";

type Json = Record<string, any>;

/** Types whose real servers answer Anthropic Messages at `/v1/messages` (docs/APIS.md). */
export const SPEAKS_ANTHROPIC = new Set(["vllm", "vllm-mlx", "llamacpp", "omlx", "lm-studio", "litellm", "lemonade"]);
/** Those with a native token count. */
export const COUNTS_TOKENS = new Set(["vllm-mlx", "llamacpp", "omlx"]);

let counter = 0;
const nextId = (prefix: string) => `${prefix}${Date.now().toString(16)}${(++counter).toString(16).padStart(8, "0")}`;
const words = (value: unknown) => JSON.stringify(value ?? "").split(/\W+/).filter(Boolean).length;
const event = (data: Json) => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;

export function anthropicError(status: number, type: string, message: string): Response {
  return Response.json({ type: "error", error: { type, message } }, { status });
}

/** A Messages answer of `text`, streamed as `event:` + `data:` frames when asked. */
export function anthropicMessage(body: Json, text: string, countTokens: boolean, delayMs: number): Response {
  if (!Array.isArray(body.messages)) return anthropicError(400, "invalid_request_error", "messages: expected a list");
  const inputTokens = words(body.messages) + words(body.system);
  if (countTokens) return Response.json({ input_tokens: inputTokens });
  const id = nextId("msg_");
  const usage = { input_tokens: inputTokens, output_tokens: 3 };
  if (body.stream !== true) {
    return Response.json({
      id,
      type: "message",
      role: "assistant",
      model: body.model,
      content: [{ type: "text", text }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage,
    });
  }
  const [first, ...rest] = text.split(" ");
  return paced([
    event({ type: "message_start", message: { id, type: "message", role: "assistant", content: [], model: body.model, stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 0 } } }),
    event({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
    event({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: first } }),
    event({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: ` ${rest.join(" ")}` } }),
    event({ type: "content_block_stop", index: 0 }),
    event({ type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage }),
    event({ type: "message_stop" }),
  ], delayMs, "text/event-stream");
}

/** One instance's stored responses: created here, readable and deletable only here. */
export class ResponsesStore {
  readonly held = new Map<string, Json>();

  constructor(private readonly name: string) {}

  create(body: Json): Response {
    const previous = body.previous_response_id;
    if (previous !== undefined && previous !== null && !this.held.has(previous)) {
      return Response.json({ error: { message: `Response with id '${previous}' not found.`, type: "invalid_request_error", code: "response_not_found" } }, { status: 404 });
    }
    const turn = previous ? (this.held.get(previous)!.turn as number) + 1 : 1;
    const text = `Hello from ${this.name} (turn ${turn})`;
    const input = typeof body.input === "string" ? [{ type: "message", role: "user", content: body.input }] : body.input ?? [];
    const response: Json = {
      id: nextId("resp_"),
      object: "response",
      created_at: Math.floor(Date.now() / 1000),
      status: "completed",
      model: body.model,
      previous_response_id: previous ?? null,
      output: [{ type: "message", id: nextId("msg_"), status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [] }] }],
      usage: { input_tokens: words(input), output_tokens: 3, total_tokens: words(input) + 3 },
    };
    this.held.set(response.id, { ...response, turn, input_items: input.map((item: Json) => ({ id: nextId("msg_"), ...item })) });
    if (body.stream !== true) return Response.json(response);
    const frame = (type: string, data: Json) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    return paced([
      frame("response.created", { response: { ...response, status: "in_progress", output: [] }, sequence_number: 0 }),
      frame("response.output_text.delta", { item_id: response.output[0].id, output_index: 0, content_index: 0, delta: text, sequence_number: 1 }),
      frame("response.completed", { response, sequence_number: 2 }),
    ], 0, "text/event-stream");
  }

  /** GET or DELETE `{id}`, GET `{id}/input_items`. */
  read(method: string, id: string, items: boolean): Response {
    const stored = this.held.get(id);
    if (!stored) return Response.json({ error: { message: `Response with id '${id}' not found.`, type: "invalid_request_error" } }, { status: 404 });
    if (method === "DELETE") {
      this.held.delete(id);
      return Response.json({ id, object: "response", deleted: true });
    }
    if (items) return Response.json({ object: "list", data: stored.input_items, has_more: false });
    const { turn: _turn, input_items: _items, ...response } = stored;
    return Response.json(response);
  }
}

/** Documents ranked by how many query words they share, Jina/Cohere shape. */
export function rerankAnswer(body: Json, model: string): Response {
  if (typeof body.query !== "string" || !Array.isArray(body.documents)) {
    return Response.json({ error: { message: "query and documents are required", type: "invalid_request_error" } }, { status: 400 });
  }
  const query = new Set(body.query.toLowerCase().split(/\W+/));
  const results = body.documents
    .map((doc: string, index: number) => ({ index, relevance_score: String(doc).toLowerCase().split(/\W+/).filter((w) => query.has(w)).length / query.size }))
    .sort((a: Json, b: Json) => b.relevance_score - a.relevance_score)
    .slice(0, typeof body.top_n === "number" ? body.top_n : undefined);
  return Response.json({ model, object: "list", results, usage: { prompt_tokens: words(body), total_tokens: words(body) } });
}
