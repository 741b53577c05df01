/**
 * @module
 * Pass a backend body to the client chunk by chunk, as it arrives: no buffering, no
 * re-framing, no copying. The wrapper exists only to learn when the first byte went out,
 * when the body ended and how, and to abort the backend when the client goes away.
 */
import type { Clock } from "../clock.ts";

export type RelayEnd = "complete" | "client_closed" | "upstream_error" | "idle_timeout";

export interface RelayOptions {
  /** Called once, when the first chunk is handed to the client. */
  readonly onFirstByte: () => void;
  /** Called once, however the body ends. */
  readonly onEnd: (end: RelayEnd, bytes: number, error?: unknown) => void;
  /** Sees each chunk after it was handed to the client (the metrics tap; it must not keep or change it). */
  readonly onChunk?: (chunk: Uint8Array) => void;
  /** Stops the backend request (frees the GPU slot). */
  readonly abortUpstream: (reason: string) => void;
  /** Longest silence between chunks; 0 waits forever (cold loads and slow prefill are silent). */
  readonly idleTimeoutMs: number;
  readonly clock: Clock;
}

/**
 * Wrap `body` so each upstream chunk is enqueued as it is read, with no read-ahead
 * (highWaterMark 0), so a slow client slows the backend instead of filling memory.
 */
export function relayBody(body: ReadableStream<Uint8Array>, options: RelayOptions): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let bytes = 0;
  let started = false;
  let ended = false;
  const finish = (end: RelayEnd, error?: unknown) => {
    if (ended) return;
    ended = true;
    options.onEnd(end, bytes, error);
  };
  const read = options.idleTimeoutMs > 0 ? () => readWithin(reader, options) : () => reader.read();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await read();
        } catch (error) {
          const timedOut = error instanceof IdleTimeoutError;
          finish(timedOut ? "idle_timeout" : "upstream_error", error);
          if (timedOut) options.abortUpstream("idle timeout");
          controller.error(error);
          return;
        }
        if (result.done) {
          controller.close();
          finish("complete");
          return;
        }
        if (!started) {
          started = true;
          options.onFirstByte();
        }
        bytes += result.value.byteLength;
        controller.enqueue(result.value);
        options.onChunk?.(result.value);
      },
      cancel(reason) {
        finish("client_closed");
        options.abortUpstream("client closed the connection");
        return reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}

class IdleTimeoutError extends Error {
  override name = "IdleTimeoutError";
}

function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  options: RelayOptions,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  return new Promise((resolve, reject) => {
    const timer = options.clock.setTimeout(
      () => reject(new IdleTimeoutError(`Backend sent nothing for ${options.idleTimeoutMs}ms`)),
      options.idleTimeoutMs,
    );
    reader.read().then(resolve, reject).finally(() => options.clock.clearTimeout(timer));
  });
}
