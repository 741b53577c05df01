/**
 * @module
 * Server-sent events, both ways: split an upstream byte stream into `data:` payloads, and
 * frame an Anthropic event. Anthropic clients dispatch on the `event:` line (the official
 * SDK ignores frames without one), so every frame carries it.
 */

/** `event: <type>\ndata: <json>\n\n`, the type repeated inside the data as Anthropic does. */
export function frame(data: { readonly type: string; readonly [key: string]: unknown }): string {
  return `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Collects `data:` payloads from SSE text fed in arbitrary pieces (CRLF, LF or CR line ends). */
export class SseDataDecoder {
  readonly #decoder = new TextDecoder();
  #pending = "";
  #data: string[] = [];

  /** Feed bytes; returns the payloads of every event completed by them. */
  push(bytes: Uint8Array): string[] {
    this.#pending += this.#decoder.decode(bytes, { stream: true });
    return this.#drain(false);
  }

  /** The stream ended: a last event without its blank line still counts. */
  end(): string[] {
    this.#pending += this.#decoder.decode();
    return this.#drain(true);
  }

  #drain(atEnd: boolean): string[] {
    const events: string[] = [];
    const lines = this.#pending.split(/\r\n|\r|\n/);
    this.#pending = atEnd ? "" : lines.pop()!;
    for (const line of lines) {
      if (line === "") {
        if (this.#data.length > 0) events.push(this.#data.join("\n"));
        this.#data = [];
      } else if (line.startsWith("data:")) {
        this.#data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
      }
    }
    if (atEnd && this.#data.length > 0) {
      events.push(this.#data.join("\n"));
      this.#data = [];
    }
    return events;
  }
}
