/**
 * @module
 * OpenAI chat-completion chunks → Anthropic stream events, as a state machine with no I/O.
 *
 * - `message_start` exactly once, first; blocks open lazily on their first non-empty delta,
 *   so no empty block is ever started, and the delta that opened a block is always sent.
 * - Text and thinking blocks close when the kind changes; each new block takes the next
 *   index, in open order. A thinking block ends with an empty `signature_delta`.
 * - Tool calls are keyed by their OpenAI `index`; each owns its block, and every argument
 *   fragment goes to that block as `input_json_delta` (never into `content_block_start`),
 *   also when the arguments come in the same chunk as the id and name. Tool blocks stay
 *   open until the end so fragments of parallel calls can interleave.
 * - `finish_reason` is held: usage arrives in a later chunk (`include_usage`), so
 *   `message_delta` (stop reason, cumulative usage) and `message_stop` come at the end.
 */
import { anthropicUsage, type AnthropicUsage, reasoningOf, stopReason } from "./response.ts";
import { frame } from "../sse.ts";
import type { ToolNames } from "./tool_names.ts";

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

type OpenBlock = { kind: "text" | "thinking"; index: number } | null;

export class MessageStreamWriter {
  readonly #model: string;
  readonly #toolNames: ToolNames;
  #started = false;
  #ended = false;
  #open: OpenBlock = null;
  #nextIndex = 0;
  /** OpenAI tool-call index → Anthropic block index. */
  readonly #tools = new Map<number, number>();
  #finishReason: unknown = null;
  #usage: AnthropicUsage | null = null;

  constructor(model: string, toolNames: ToolNames) {
    this.#model = model;
    this.#toolNames = toolNames;
  }

  /** Whether the stream has ended (normally or with an error). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Whether the backend has said why it stopped. */
  get finished(): boolean {
    return this.#finishReason !== null;
  }

  /** `message_start`; input tokens are not known yet and come with `message_delta`. */
  start(id: string): string {
    if (this.#started) return "";
    this.#started = true;
    return frame({
      type: "message_start",
      message: {
        id,
        type: "message",
        role: "assistant",
        content: [],
        model: this.#model,
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 },
      },
    });
  }

  ping(): string {
    return this.#ended ? "" : frame({ type: "ping" });
  }

  /** Events for one parsed chunk. Content is handled before `finish_reason` in the same chunk. */
  chunk(chunk: Json): string {
    if (this.#ended) return "";
    let out = "";
    if (chunk.usage) this.#usage = anthropicUsage(chunk.usage);
    const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    const delta = choice?.delta ?? {};
    const reasoning = reasoningOf(delta);
    if (reasoning) out += this.#blockDelta("thinking", { type: "thinking_delta", thinking: reasoning });
    if (typeof delta.content === "string" && delta.content !== "") {
      out += this.#blockDelta("text", { type: "text_delta", text: delta.content });
    }
    if (Array.isArray(delta.tool_calls)) for (const call of delta.tool_calls) out += this.#toolDelta(call);
    if (choice?.finish_reason) {
      out += this.#closeOpen();
      this.#finishReason = choice.finish_reason;
    }
    return out;
  }

  /** Close every block, then `message_delta` and `message_stop`. */
  finish(): string {
    if (this.#ended) return "";
    let out = this.#closeOpen();
    for (const index of [...this.#tools.values()].sort((a, b) => a - b)) out += frame({ type: "content_block_stop", index });
    this.#ended = true;
    const usage = this.#usage ?? anthropicUsage(undefined);
    out += frame({
      type: "message_delta",
      delta: { stop_reason: stopReason(this.#finishReason, this.#tools.size > 0), stop_sequence: null },
      usage,
    });
    return out + frame({ type: "message_stop" });
  }

  /** An `error` event; nothing follows it. */
  error(type: string, message: string): string {
    if (this.#ended) return "";
    this.#ended = true;
    return frame({ type: "error", error: { type, message } });
  }

  #blockDelta(kind: "text" | "thinking", delta: Json): string {
    let out = "";
    if (this.#open?.kind !== kind) {
      out += this.#closeOpen();
      const index = this.#nextIndex++;
      this.#open = { kind, index };
      const block = kind === "text" ? { type: "text", text: "" } : { type: "thinking", thinking: "", signature: "" };
      out += frame({ type: "content_block_start", index, content_block: block });
    }
    return out + frame({ type: "content_block_delta", index: this.#open!.index, delta });
  }

  #toolDelta(call: Json): string {
    const key = Number.isInteger(call.index) ? call.index : this.#tools.size === 0 ? 0 : Math.max(...this.#tools.keys());
    let out = "";
    let index = this.#tools.get(key);
    if (index === undefined) {
      out += this.#closeOpen();
      index = this.#nextIndex++;
      this.#tools.set(key, index);
      const block = {
        type: "tool_use",
        id: call.id || `toolu_${crypto.randomUUID().replaceAll("-", "")}`,
        name: this.#toolNames.restore(String(call.function?.name ?? "")),
        input: {},
      };
      out += frame({ type: "content_block_start", index, content_block: block });
    }
    const args = call.function?.arguments;
    if (typeof args === "string" && args !== "") {
      out += frame({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: args } });
    }
    return out;
  }

  #closeOpen(): string {
    const open = this.#open;
    if (!open) return "";
    this.#open = null;
    const signature = open.kind === "thinking"
      ? frame({ type: "content_block_delta", index: open.index, delta: { type: "signature_delta", signature: "" } })
      : "";
    return signature + frame({ type: "content_block_stop", index: open.index });
  }
}
