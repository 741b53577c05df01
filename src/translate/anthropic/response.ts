/**
 * @module
 * OpenAI chat completion → Anthropic Message, and the mappings the stream shares with it:
 * stop reasons and usage. Content order is thinking, text, tool_use, as a model emits them.
 */
import type { ToolNames } from "./tool_names.ts";

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

/** `finish_reason` → `stop_reason`; tool calls win over whatever reason came with them. */
export function stopReason(finishReason: unknown, sawToolUse: boolean): string {
  if (sawToolUse) return "tool_use";
  switch (finishReason) {
    case "length":
      return "max_tokens";
    case "tool_calls":
    case "function_call":
      return "tool_use";
    case "content_filter":
      return "refusal";
    default:
      return "end_turn";
  }
}

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/**
 * OpenAI usage → Anthropic usage. Anthropic's `input_tokens` excludes cached tokens, which
 * are reported apart; total input stays `prompt_tokens`.
 */
export function anthropicUsage(usage: Json | undefined): AnthropicUsage {
  const prompt = Number(usage?.prompt_tokens) || 0;
  const cached = Number(usage?.prompt_tokens_details?.cached_tokens) || 0;
  return {
    input_tokens: Math.max(0, prompt - cached),
    output_tokens: Number(usage?.completion_tokens) || 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
}

/** A message id in Anthropic's form, derived from the backend's id when there is one. */
export function messageId(backendId: unknown): string {
  const raw = typeof backendId === "string" ? backendId.replace(/[^A-Za-z0-9_-]/g, "") : "";
  return `msg_${raw || crypto.randomUUID().replaceAll("-", "")}`;
}

/** The backend's reasoning text under either name servers use. */
export function reasoningOf(message: Json | undefined): string {
  const value = message?.reasoning_content ?? message?.reasoning;
  return typeof value === "string" ? value : "";
}

/** Tool arguments as an object; unparseable arguments are kept as `{_raw}` rather than lost. */
export function parseArguments(text: string): Json {
  if (text.trim() === "") return {};
  try {
    const value = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : { value };
  } catch {
    return { _raw: text };
  }
}

/**
 * @param completion the backend's chat completion
 * @param model the model name the client asked for (echoed back, as Anthropic does)
 */
export function toAnthropicMessage(completion: Json, model: string, toolNames: ToolNames): Json {
  const choice = completion.choices?.[0] ?? {};
  const message = choice.message ?? {};
  const content: Json[] = [];
  const reasoning = reasoningOf(message);
  if (reasoning) content.push({ type: "thinking", thinking: reasoning, signature: "" });
  if (typeof message.content === "string" && message.content !== "") content.push({ type: "text", text: message.content });
  const calls: Json[] = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  for (const call of calls) {
    content.push({
      type: "tool_use",
      id: call.id || `toolu_${crypto.randomUUID().replaceAll("-", "")}`,
      name: toolNames.restore(String(call.function?.name ?? "")),
      input: parseArguments(String(call.function?.arguments ?? "")),
    });
  }
  return {
    id: messageId(completion.id),
    type: "message",
    role: "assistant",
    model,
    content,
    stop_reason: stopReason(choice.finish_reason, calls.length > 0),
    stop_sequence: null,
    usage: anthropicUsage(completion.usage),
  };
}
