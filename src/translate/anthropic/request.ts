/**
 * @module
 * Anthropic Messages request → OpenAI chat completions request, for backends that do not
 * speak Anthropic. Parsing is lenient: unknown fields and block types are ignored (newer
 * Claude Code fields must not break translation), but nothing malformed is forwarded.
 */
import { ToolNames } from "./tool_names.ts";

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

/** A request the translator refuses; rendered as a 400 `invalid_request_error`. */
export class InvalidRequest extends Error {
  override name = "InvalidRequest";
}

export interface ChatRequest {
  readonly body: Json;
  /** Maps shortened tool names back for the answer. */
  readonly toolNames: ToolNames;
}

/**
 * Translate `request` (already JSON-parsed) for the local model `model`.
 *
 * @throws {InvalidRequest} when a required field is missing or has the wrong shape
 */
export function toChatRequest(request: Json, model: string): ChatRequest {
  if (!Array.isArray(request.messages)) throw new InvalidRequest("messages: expected an array of {role, content}");
  if (request.max_tokens !== undefined && !(Number.isInteger(request.max_tokens) && request.max_tokens >= 0)) {
    throw new InvalidRequest("max_tokens: expected a non-negative integer");
  }
  const toolNames = new ToolNames();
  const messages: Json[] = [];
  const system = systemText(request.system, "system");
  if (system) messages.push({ role: "system", content: system });
  request.messages.forEach((message: unknown, i: number) => messages.push(...convertMessage(message, i, toolNames)));
  const body: Json = { model, messages };
  if (request.max_tokens !== undefined) body.max_tokens = request.max_tokens;
  for (const key of ["temperature", "top_p", "top_k"] as const) {
    if (typeof request[key] === "number") body[key] = request[key];
  }
  if (Array.isArray(request.stop_sequences) && request.stop_sequences.length > 0) body.stop = request.stop_sequences;
  if (request.stream === true) {
    body.stream = true;
    // Without it usage never reaches a streamed answer (Olla's translator reports 0 tokens).
    body.stream_options = { include_usage: true };
  }
  if (typeof request.metadata?.user_id === "string") body.user = request.metadata.user_id;
  const tools = convertTools(request.tools, toolNames);
  if (tools.length > 0) body.tools = tools;
  applyToolChoice(body, request.tool_choice, toolNames);
  const effort = reasoningEffort(request);
  if (effort) body.reasoning_effort = effort;
  const format = request.output_config?.format;
  if (format?.type === "json_schema" && typeof format.schema === "object") {
    body.response_format = { type: "json_schema", json_schema: { name: "output", schema: format.schema, strict: true } };
  }
  return { body, toolNames };
}

/**
 * Claude Code's attribution block carries a `cch=` value that changed on every request in
 * older builds, which defeats the backend's prompt-prefix cache; a fixed value keeps the
 * prefix stable (llama.cpp does the same).
 */
const BILLING_HEADER = /^(x-anthropic-billing-header:.*?\bcch=)[0-9a-f]+;/;

/** System prompt (string or text blocks) as one string. */
function systemText(system: unknown, where: string): string {
  if (system === undefined || system === null) return "";
  if (typeof system === "string") return system;
  if (!Array.isArray(system)) throw new InvalidRequest(`${where}: expected a string or an array of text blocks`);
  return system
    .filter((block) => block?.type === "text" && typeof block.text === "string" && block.text !== "")
    .map((block) => block.text.replace(BILLING_HEADER, "$100000;"))
    .join("\n");
}

function convertMessage(message: unknown, i: number, toolNames: ToolNames): Json[] {
  const where = `messages[${i}]`;
  if (typeof message !== "object" || message === null) throw new InvalidRequest(`${where}: expected {role, content}`);
  const { role, content } = message as Json;
  if (role === "system") return [{ role: "system", content: systemText(content, `${where}.content`) }];
  if (role !== "user" && role !== "assistant") throw new InvalidRequest(`${where}.role: expected "user" or "assistant"`);
  if (typeof content === "string") return [{ role, content }];
  if (!Array.isArray(content)) throw new InvalidRequest(`${where}.content: expected a string or an array of blocks`);
  return role === "assistant" ? [assistantMessage(content, toolNames)] : userMessages(content, where);
}

function assistantMessage(blocks: Json[], toolNames: ToolNames): Json {
  const text: string[] = [];
  const reasoning: string[] = [];
  const toolCalls: Json[] = [];
  for (const block of blocks) {
    if (block?.type === "text" && typeof block.text === "string") text.push(block.text);
    else if (block?.type === "thinking" && typeof block.thinking === "string") reasoning.push(block.thinking);
    else if (block?.type === "tool_use") {
      toolCalls.push({
        id: String(block.id),
        type: "function",
        function: { name: toolNames.shorten(String(block.name)), arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const message: Json = { role: "assistant", content: text.join("") || (toolCalls.length > 0 ? null : "") };
  if (reasoning.length > 0) message.reasoning_content = reasoning.join("");
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return message;
}

/**
 * A user turn: its tool results first, as `tool` messages right after the assistant's
 * tool calls (OpenAI servers require that order), then the rest as one user message.
 */
function userMessages(blocks: Json[], where: string): Json[] {
  const tools: Json[] = [];
  const parts: Json[] = [];
  blocks.forEach((block, j) => {
    const at = `${where}.content[${j}]`;
    switch (block?.type) {
      case "text":
        if (typeof block.text === "string" && block.text !== "") parts.push({ type: "text", text: block.text });
        break;
      case "image":
        parts.push(imagePart(block.source, at));
        break;
      case "document":
        parts.push({ type: "text", text: documentText(block.source, at) });
        break;
      case "tool_result":
        tools.push({ role: "tool", tool_call_id: String(block.tool_use_id), content: toolResultText(block, at) });
        break;
    }
  });
  if (parts.length === 0) return tools;
  const onlyText = parts.every((p) => p.type === "text");
  return [...tools, { role: "user", content: onlyText ? parts.map((p) => p.text).join("\n") : parts }];
}

function imagePart(source: Json | undefined, at: string): Json {
  if (source?.type === "base64" && typeof source.data === "string" && typeof source.media_type === "string") {
    return { type: "image_url", image_url: { url: `data:${source.media_type};base64,${source.data}` } };
  }
  if (source?.type === "url" && typeof source.url === "string") return { type: "image_url", image_url: { url: source.url } };
  throw new InvalidRequest(`${at}.source: expected a base64 or url image source (file ids need the Anthropic API)`);
}

function documentText(source: Json | undefined, at: string): string {
  if (source?.type === "text" && typeof source.data === "string") return source.data;
  if (source?.type === "content") return typeof source.content === "string" ? source.content : blocksText(source.content);
  throw new InvalidRequest(
    `${at}.source: only plain-text documents can be sent to a chat-completions backend; extract the PDF's text first`,
  );
}

function toolResultText(block: Json, at: string): string {
  const content = block.content;
  const text = content === undefined ? "" : typeof content === "string" ? content : blocksText(content);
  if (typeof content !== "string" && content !== undefined && !Array.isArray(content)) {
    throw new InvalidRequest(`${at}.content: expected a string or an array of blocks`);
  }
  // Chat completions has no error flag on tool messages; say it in the text.
  return block.is_error === true ? `Error: ${text}` : text;
}

function blocksText(blocks: unknown): string {
  if (!Array.isArray(blocks)) return "";
  return blocks.filter((b) => b?.type === "text" && typeof b.text === "string").map((b) => b.text).join("\n");
}

/** Custom tools become functions; Anthropic server tools (typed, no schema) cannot run elsewhere. */
function convertTools(tools: unknown, toolNames: ToolNames): Json[] {
  if (!Array.isArray(tools)) return [];
  return tools
    .filter((tool) => typeof tool?.name === "string" && (tool.type === undefined || tool.type === "custom" || tool.input_schema))
    .map((tool) => {
      const fn: Json = { name: toolNames.shorten(tool.name), parameters: tool.input_schema ?? { type: "object" } };
      if (typeof tool.description === "string") fn.description = tool.description;
      if (tool.strict === true) fn.strict = true;
      return { type: "function", function: fn };
    });
}

function applyToolChoice(body: Json, choice: Json | undefined, toolNames: ToolNames): void {
  if (!choice || typeof choice !== "object") return;
  if (choice.type === "auto") body.tool_choice = "auto";
  else if (choice.type === "any") body.tool_choice = "required";
  else if (choice.type === "none") body.tool_choice = "none";
  else if (choice.type === "tool" && typeof choice.name === "string") {
    body.tool_choice = { type: "function", function: { name: toolNames.shorten(choice.name) } };
  }
  if (choice.disable_parallel_tool_use === true) body.parallel_tool_calls = false;
}

/** Extended thinking → `reasoning_effort`: a budget is bucketed; adaptive uses `output_config.effort`. */
function reasoningEffort(request: Json): string | null {
  const thinking = request.thinking;
  if (thinking?.type === "enabled") {
    const budget = Number(thinking.budget_tokens) || 0;
    return budget < 4096 ? "low" : budget < 16384 ? "medium" : "high";
  }
  if (thinking?.type === "adaptive") {
    const effort = request.output_config?.effort;
    return effort === "low" || effort === "medium" || effort === "high" ? effort : effort ? "high" : "medium";
  }
  return null;
}
