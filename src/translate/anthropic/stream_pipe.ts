/**
 * @module
 * The translated event stream as the client sees it. `message_start` and a `ping` go out at
 * once, before the backend has answered, and a `ping` follows every `pingIntervalMs` of
 * silence, so clients with idle watchdogs (Claude Code) keep waiting through a cold load
 * that DMR holds silent for minutes. Because the 200 is already sent, anything that goes
 * wrong later, before or during the backend's stream, is an `error` event.
 */
import type { Clock } from "../../clock.ts";
import { SseDataDecoder } from "../sse.ts";
import type { MessageStreamWriter } from "./stream.ts";

/** What the backend call came to: its event stream, or an error with the HTTP status it would have had. */
export type Upstream =
  | { readonly kind: "stream"; readonly body: ReadableStream<Uint8Array> }
  | {
    readonly kind: "error";
    readonly status: number;
    readonly type: string;
    readonly message: string;
    /** The backend's own body when it already is an Anthropic error (passed on verbatim). */
    readonly body?: string;
  };

export interface PipeOptions {
  readonly writer: MessageStreamWriter;
  readonly messageId: string;
  readonly upstream: Promise<Upstream>;
  readonly clock: Clock;
  /** Silence after which a `ping` is sent (15 s by default); 0 sends none after the first. */
  readonly pingIntervalMs: number;
  /** Called once when the client stream ends, however it ends. */
  readonly onEnd?: (end: "complete" | "error" | "client_closed") => void;
}

const encoder = new TextEncoder();

/** The Anthropic event stream for one translated request. */
export function anthropicEventStream(options: PipeOptions): ReadableStream<Uint8Array> {
  const { writer, clock } = options;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let timer: unknown = null;
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  let closed = false;
  const end = (how: "complete" | "error" | "client_closed") => {
    if (closed) return;
    closed = true;
    clock.clearTimeout(timer);
    options.onEnd?.(how);
    if (how !== "client_closed") controller.close();
  };
  const write = (text: string) => {
    if (closed || text === "") return;
    controller.enqueue(encoder.encode(text));
    clock.clearTimeout(timer);
    if (options.pingIntervalMs > 0) timer = clock.setTimeout(() => write(writer.ping()), options.pingIntervalMs);
  };
  const fail = (type: string, message: string) => {
    write(writer.error(type, message));
    end("error");
  };
  const pump = async () => {
    const upstream = await options.upstream;
    if (closed) {
      if (upstream.kind === "stream") await upstream.body.cancel().catch(() => {});
      return;
    }
    if (upstream.kind === "error") return fail(upstream.type, upstream.message);
    reader = upstream.body.getReader();
    const decoder = new SseDataDecoder();
    const handle = (payloads: string[]): boolean => {
      for (const payload of payloads) {
        if (payload.trim() === "[DONE]") {
          write(writer.finish());
          end("complete");
          return false;
        }
        let chunk: Record<string, unknown>;
        try {
          chunk = JSON.parse(payload);
        } catch {
          continue; // a malformed chunk is skipped, not fatal
        }
        const error = chunk.error as { message?: unknown } | undefined;
        if (error) {
          fail("api_error", typeof error.message === "string" ? error.message : JSON.stringify(error));
          return false;
        }
        write(writer.chunk(chunk));
      }
      return true;
    };
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        if (!closed) fail("api_error", `The backend stream failed: ${(error as Error).message ?? error}`);
        return;
      }
      if (closed) return;
      if (result.done) break;
      if (!handle(decoder.push(result.value))) {
        await reader.cancel().catch(() => {});
        return;
      }
    }
    if (!handle(decoder.end())) return;
    // No [DONE]: a stream that said why it stopped is complete; one cut short is not.
    if (writer.finished) {
      write(writer.finish());
      end("complete");
    } else {
      fail("api_error", "The backend closed the stream before the answer was complete");
    }
  };
  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        write(writer.start(options.messageId));
        write(writer.ping());
        pump().catch((error) => fail("api_error", `Tureen failed while translating the stream: ${(error as Error).message}`));
      },
      cancel() {
        end("client_closed");
        void reader?.cancel().catch(() => {});
      },
    },
  );
}
