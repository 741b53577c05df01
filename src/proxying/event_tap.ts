/**
 * @module
 * Watch the `data:` payloads of an event stream on its way to the client without changing
 * or holding a byte: each chunk is passed on as it is read (no read-ahead), and a copy is
 * parsed until the watcher has seen what it wanted.
 */
import { SseDataDecoder } from "../translate/sse.ts";

/**
 * @param body the backend's event stream
 * @param watch called with each payload in order; return false to stop watching
 */
export function tapEvents(body: ReadableStream<Uint8Array>, watch: (payload: string) => boolean): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let decoder: SseDataDecoder | null = new SseDataDecoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        controller.error(error);
        return;
      }
      if (result.done) {
        controller.close();
        return;
      }
      if (decoder) {
        for (const payload of decoder.push(result.value)) {
          if (!watch(payload)) {
            decoder = null;
            break;
          }
        }
      }
      controller.enqueue(result.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
