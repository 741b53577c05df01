/**
 * @module
 * OpenAI-compatible servers cap function names at 64 characters; Anthropic tool names
 * may be longer (MCP tools often are). Long names are shortened reversibly for the
 * backend and restored in the answer.
 */

const LIMIT = 64;

export class ToolNames {
  readonly #toBackend = new Map<string, string>();
  readonly #toClient = new Map<string, string>();

  /** The name to send: unchanged when short enough, else 55 chars + `_` + an 8-hex hash. */
  shorten(name: string): string {
    if (name.length <= LIMIT) return name;
    const known = this.#toBackend.get(name);
    if (known) return known;
    const short = `${name.slice(0, 55)}_${fnv1a(name)}`;
    this.#toBackend.set(name, short);
    this.#toClient.set(short, name);
    return short;
  }

  /** The client's name for a name the backend used. */
  restore(name: string): string {
    return this.#toClient.get(name) ?? name;
  }
}

/** 32-bit FNV-1a as 8 hex digits: stable, and enough to keep long names apart. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}
