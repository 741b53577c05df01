// The APIs current Docker Model Runner (v1.2.9) serves beyond the seed, in front of the seed
// emulator (dmr.ts), which keeps the model store, cold loads, rerank and score:
// - Anthropic Messages at /anthropic/v1/messages[/count_tokens] (also /v1/messages and
//   /engines[/{backend}]/v1/messages), answered as llama-server's native /v1/messages does;
// - the OpenAI Responses API at /responses, /v1/responses, /engines[/{backend}][/v1]/responses,
//   stateful: a response id exists only in the instance that created it;
// - with `anthropic: false`, no Anthropic routes (a chat-completions-only backend), and chat
//   completions that carry tools answer with a tool call, so translation can be tested.
// Everything else is passed to the seed emulator untouched.

import { type DmrEmulator, type DmrOptions, type RecordedRequest, startDmr } from "./dmr.ts";
import { findModel } from "./_dmr_store.ts";

type Json = Record<string, any>;

export interface DmrApisOptions extends DmrOptions {
  /** Serve the Anthropic routes (default true). */
  anthropic?: boolean;
}

export interface DmrApisEmulator extends DmrEmulator {
  /** The seed emulator behind. */
  readonly inner: DmrEmulator;
  /** Responses this instance holds, by id. */
  readonly responses: Map<string, Json>;
}

const ANTHROPIC = /^(?:\/anthropic\/v1|\/v1|\/engines(?:\/[^/]+)?\/v1)\/messages(\/count_tokens)?$/;
const RESPONSES = /^(?:\/engines(?:\/[^/]+)?)?(?:\/v1)?\/responses(?:\/([^/]+)(\/input_items)?)?$/;
const CHAT = /^(?:\/engines(?:\/[^/]+)?)?\/v1\/chat\/completions$/;

let counter = 0;
const nextId = (prefix: string) => `${prefix}${Date.now().toString(16)}${(++counter).toString(16).padStart(8, "0")}`;

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json; charset=utf-8" } });
}

function anthropicError(status: number, type: string, message: string): Response {
  return json({ type: "error", error: { type, message } }, status);
}

function sse(frames: string[], delayMs: number): Response {
  const encoder = new TextEncoder();
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i > 0 && delayMs > 0) await Bun.sleep(delayMs);
      if (i >= frames.length) return controller.close();
      controller.enqueue(encoder.encode(frames[i++]!));
    },
  }, { highWaterMark: 0 });
  return new Response(body, { headers: { "Content-Type": "text/event-stream", "X-Accel-Buffering": "no" } });
}

const event = (data: Json) => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
const words = (value: unknown) => JSON.stringify(value ?? "").split(/\W+/).filter(Boolean).length;

export async function startDmrApis(options: DmrApisOptions = {}): Promise<DmrApisEmulator> {
  const inner = await startDmr(options);
  const requests: RecordedRequest[] = [];
  const responses = new Map<string, Json>();
  const speaksAnthropic = options.anthropic ?? true;

  /** Load the model through the seed emulator (cold-load delay, 404 for unknown models). */
  async function load(model: string, signal: AbortSignal): Promise<Response | null> {
    const answer = await fetch(`${inner.url}/engines/v1/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Preload-Only": "true" },
      body: JSON.stringify({ model }),
      signal,
    });
    return answer.ok ? null : answer;
  }

  function toolFor(body: Json): Json | null {
    const tools: Json[] = Array.isArray(body.tools) ? body.tools : [];
    if (tools.length === 0) return null;
    const choice = body.tool_choice;
    const name = choice?.name ?? choice?.function?.name ?? tools[0]!.name ?? tools[0]!.function?.name;
    return { id: nextId("toolu_"), name, input: { city: "Oslo" } };
  }

  async function anthropicMessages(body: Json, countTokens: boolean, req: Request): Promise<Response> {
    if (typeof body.model !== "string" || body.model === "") return anthropicError(400, "invalid_request_error", "model is required");
    if (!Array.isArray(body.messages)) return anthropicError(400, "invalid_request_error", "messages: expected a list");
    if (!findModel(inner.options.models ?? [], body.model)) {
      return anthropicError(404, "not_found_error", `model not found: ${body.model}`);
    }
    const failed = await load(body.model, req.signal);
    if (failed) return anthropicError(500, "api_error", (await failed.text()).trim());
    const inputTokens = words(body.messages) + words(body.system);
    if (countTokens) return json({ input_tokens: inputTokens });
    const tokens = inner.options.tokens ?? [];
    const tool = toolFor(body);
    const id = nextId("msg_");
    const usage = { input_tokens: inputTokens, output_tokens: tokens.length };
    if (body.stream !== true) {
      const content: Json[] = [{ type: "text", text: tokens.join("") }];
      if (tool) content.push({ type: "tool_use", ...tool });
      return json({
        id, type: "message", role: "assistant", model: body.model, content,
        stop_reason: tool ? "tool_use" : "end_turn", stop_sequence: null, usage,
      });
    }
    const frames = [
      event({ type: "message_start", message: { id, type: "message", role: "assistant", content: [], model: body.model, stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 0 } } }),
      event({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
      event({ type: "ping" }),
      ...tokens.map((text) => event({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text } })),
      event({ type: "content_block_stop", index: 0 }),
    ];
    if (tool) {
      const args = JSON.stringify(tool.input);
      frames.push(
        event({ type: "content_block_start", index: 1, content_block: { type: "tool_use", id: tool.id, name: tool.name, input: {} } }),
        event({ type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: args.slice(0, 5) } }),
        event({ type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: args.slice(5) } }),
        event({ type: "content_block_stop", index: 1 }),
      );
    }
    frames.push(
      event({ type: "message_delta", delta: { stop_reason: tool ? "tool_use" : "end_turn", stop_sequence: null }, usage }),
      event({ type: "message_stop" }),
    );
    return sse(frames, options.chunkDelayMs ?? 0);
  }

  /** Chat completions with tools: one tool call, its arguments in two fragments when streamed. */
  async function chatWithTools(body: Json, req: Request): Promise<Response> {
    const failed = await load(body.model, req.signal);
    if (failed) return failed;
    const tool = toolFor(body)!;
    const args = JSON.stringify(tool.input);
    const id = nextId("chatcmpl-");
    if (body.stream !== true) {
      return json({
        id, object: "chat.completion", model: body.model,
        choices: [{ index: 0, finish_reason: "tool_calls", message: { role: "assistant", content: null, tool_calls: [{ id: tool.id, type: "function", function: { name: tool.name, arguments: args } }] } }],
        usage: { prompt_tokens: words(body.messages), completion_tokens: 5, total_tokens: words(body.messages) + 5 },
      });
    }
    const chunk = (delta: Json, finish: string | null = null) =>
      `data: ${JSON.stringify({ id, object: "chat.completion.chunk", model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const frames = [
      chunk({ role: "assistant", content: null }),
      chunk({ tool_calls: [{ index: 0, id: tool.id, type: "function", function: { name: tool.name, arguments: args.slice(0, 5) } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(5) } }] }),
      chunk({}, "tool_calls"),
    ];
    if (body.stream_options?.include_usage) {
      frames.push(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", choices: [], usage: { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 } })}\n\n`);
    }
    frames.push("data: [DONE]\n\n");
    return sse(frames, options.chunkDelayMs ?? 0);
  }

  async function createResponse(body: Json, req: Request): Promise<Response> {
    if (body.stream_options !== undefined) return json({ error: { message: "stream_options is not supported", type: "invalid_request_error" } }, 400);
    if (typeof body.model !== "string" || body.model === "") return json({ error: { message: "model is required", type: "invalid_request_error" } }, 400);
    const previous = body.previous_response_id;
    if (previous !== undefined && previous !== null && !responses.has(previous)) {
      return json({ error: { message: `response not found: ${previous}`, type: "invalid_request_error", code: "response_not_found" } }, 404);
    }
    const failed = await load(body.model, req.signal);
    if (failed) return failed;
    const turn = previous ? (responses.get(previous)!.turn as number) + 1 : 1;
    const id = nextId("resp_");
    const text = `${(inner.options.tokens ?? []).join("")} (turn ${turn} on port ${inner.port})`;
    const input = typeof body.input === "string" ? [{ type: "message", role: "user", content: body.input }] : body.input ?? [];
    const response: Json = {
      id, object: "response", created_at: Math.floor(Date.now() / 1000), status: "completed", model: body.model,
      previous_response_id: previous ?? null,
      output: [{ type: "message", id: nextId("msg_"), status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [] }] }],
      usage: { input_tokens: words(input), output_tokens: 3, total_tokens: words(input) + 3 },
    };
    responses.set(id, { ...response, turn, input_items: input.map((item: Json) => ({ id: nextId("msg_"), ...item })) });
    if (body.stream !== true) return json(response);
    const frame = (type: string, data: Json) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    let sequence = 0;
    return sse([
      frame("response.created", { response: { ...response, status: "in_progress", output: [] }, sequence_number: sequence++ }),
      frame("response.output_text.delta", { item_id: response.output[0].id, output_index: 0, content_index: 0, delta: text, sequence_number: sequence++ }),
      frame("response.completed", { response, sequence_number: sequence++ }),
    ], options.chunkDelayMs ?? 0);
  }

  function storedResponse(method: string, id: string, items: boolean): Response {
    const stored = responses.get(id);
    if (!stored) return json({ error: { message: `response not found: ${id}`, type: "invalid_request_error", code: "response_not_found" } }, 404);
    if (method === "DELETE") {
      responses.delete(id);
      return json({ id, object: "response", deleted: true });
    }
    if (items) {
      const data = stored.input_items as Json[];
      return json({ object: "list", data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false });
    }
    const { turn: _turn, input_items: _items, ...response } = stored;
    return json(response);
  }

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const bytes = new Uint8Array(await req.arrayBuffer());
    const rec: RecordedRequest = {
      method: req.method, path: url.pathname, search: url.search, headers: Object.fromEntries(req.headers),
      body: bytes, aborted: false, completed: false,
    };
    const parse = (): Json | null => {
      try {
        const value = JSON.parse(new TextDecoder().decode(bytes));
        return typeof value === "object" && value !== null && !Array.isArray(value) ? value : null;
      } catch {
        return null;
      }
    };
    const anthropic = ANTHROPIC.exec(url.pathname);
    if (anthropic && speaksAnthropic && req.method === "POST") {
      requests.push(rec);
      const body = parse();
      if (!body) return anthropicError(400, "invalid_request_error", "invalid JSON body");
      return anthropicMessages(body, anthropic[1] !== undefined, req);
    }
    const responsesRoute = RESPONSES.exec(url.pathname);
    if (responsesRoute) {
      requests.push(rec);
      const [, id, items] = responsesRoute;
      if (id !== undefined && (req.method === "GET" || (req.method === "DELETE" && !items))) return storedResponse(req.method, id, !!items);
      if (id === undefined && req.method === "POST") {
        const body = parse();
        return body ? createResponse(body, req) : json({ error: { message: "invalid JSON body", type: "invalid_request_error" } }, 400);
      }
    }
    if (!speaksAnthropic && CHAT.test(url.pathname) && req.method === "POST") {
      const body = parse();
      if (body && Array.isArray(body.tools) && body.tools.length > 0 && findModel(inner.options.models ?? [], String(body.model))) {
        requests.push(rec);
        return chatWithTools(body, req);
      }
    }
    // Everything else, as the seed emulator answers it (its own log records it).
    return fetch(`${inner.url}${url.pathname}${url.search}`, {
      method: req.method,
      headers: req.headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : bytes,
      signal: req.signal,
    });
  }

  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, idleTimeout: 0, fetch: handle });
  return {
    ...inner,
    url: `http://127.0.0.1:${server.port}`,
    port: server.port!,
    inner,
    responses,
    // The front's own log: Anthropic, Responses and tool-call requests.
    requests,
    async stop() {
      await server.stop(true);
      await inner.stop();
    },
  };
}
