/**
 * @module
 * A tokenizer-free estimate for `count_tokens` when no backend can count. It errs high on
 * purpose: Claude Code compacts a conversation from this number, and an under-count makes
 * it compact too late and overflow the context. One token per 3 UTF-8 bytes of the text
 * that reaches the model (BPE tokenizers average nearer 4 for English, less for code and
 * non-Latin scripts), plus a few tokens of template per message and per tool.
 */

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

const BYTES_PER_TOKEN = 3;
const PER_MESSAGE = 4;
const PER_TOOL = 8;
/** Vision models spend hundreds to thousands of tokens per image; assume a large one. */
const PER_IMAGE = 1_600;

const encoder = new TextEncoder();

/** Estimated input tokens of an Anthropic request (never less than 1). */
export function estimateInputTokens(request: Json): number {
  let bytes = 0;
  let extra = 0;
  const add = (text: unknown) => {
    if (typeof text === "string") bytes += encoder.encode(text).byteLength;
  };
  const addBlocks = (content: unknown) => {
    if (typeof content === "string") return add(content);
    if (!Array.isArray(content)) return;
    for (const block of content) {
      if (block?.type === "image") extra += PER_IMAGE;
      else if (block?.type === "tool_use") add(`${block.name}${JSON.stringify(block.input ?? {})}`);
      else if (block?.type === "tool_result") addBlocks(block.content);
      else if (block?.type === "document") add(block.source?.data ?? block.source?.content);
      else add(block?.text ?? block?.thinking);
    }
  };
  addBlocks(request.system);
  for (const message of Array.isArray(request.messages) ? request.messages : []) {
    extra += PER_MESSAGE;
    addBlocks(message?.content);
  }
  for (const tool of Array.isArray(request.tools) ? request.tools : []) {
    extra += PER_TOOL;
    add(`${tool?.name ?? ""}${tool?.description ?? ""}${JSON.stringify(tool?.input_schema ?? {})}`);
  }
  return Math.max(1, Math.ceil(bytes / BYTES_PER_TOKEN) + extra);
}
