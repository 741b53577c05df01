/**
 * @module
 * Streams while a backend cold-loads. DMR sends no byte, headers included, until the model
 * is loaded, which can take minutes; clients such as Claude Code give up on a silent
 * connection. So a streamed request waits for the backend's answer for one ping interval:
 * an answer in that time (a warm model, or an error with its real HTTP status) is relayed
 * as usual; past it, the 200 is sent with `ping` events, one at once and one per interval,
 * until the backend answers. Clients skip pings anywhere in a stream, so the backend's own
 * events can follow them unchanged; a backend error after that point is an `error` event.
 */
import type { Clock } from "../../clock.ts";
import { frame } from "../sse.ts";
import type { Upstream } from "./stream_pipe.ts";

/** `promise`'s value if it settles within `ms`, else null (it keeps running). */
export async function settledWithin<T>(promise: Promise<T>, ms: number, clock: Clock): Promise<T | null> {
  let timer: unknown;
  const expired = new Promise<null>((resolve) => (timer = clock.setTimeout(() => resolve(null), ms)));
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clock.clearTimeout(timer);
  }
}

export interface PingOptions {
  readonly upstream: Promise<Upstream>;
  readonly clock: Clock;
  readonly pingIntervalMs: number;
  readonly onEnd?: (end: "complete" | "error" | "client_closed") => void;
}

const encoder = new TextEncoder();

/** Pings until the backend answers, then its stream byte for byte, or one `error` event. */
export function pingWhileLoading(options: PingOptions): ReadableStream<Uint8Array> {
  const { clock } = options;
  let timer: unknown = null;
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  let ended = false;
  const end = (how: "complete" | "error" | "client_closed") => {
    if (ended) return;
    ended = true;
    clock.clearTimeout(timer);
    options.onEnd?.(how);
  };
  let upstream: Upstream | null = null;
  const answered = options.upstream.then((value) => {
    upstream = value;
    clock.clearTimeout(timer);
  });
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const ping = () => {
        if (ended || upstream) return;
        controller.enqueue(encoder.encode(frame({ type: "ping" })));
        if (options.pingIntervalMs > 0) timer = clock.setTimeout(ping, options.pingIntervalMs);
      };
      ping();
    },
    async pull(controller) {
      await answered;
      if (ended) return;
      const current = upstream!;
      if (current.kind === "error") {
        const data = current.body ?? JSON.stringify({ type: "error", error: { type: current.type, message: current.message } });
        controller.enqueue(encoder.encode(`event: error\ndata: ${data}\n\n`));
        controller.close();
        return end("error");
      }
      reader ??= current.body.getReader();
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        controller.error(error);
        return end("error");
      }
      if (result.done) {
        controller.close();
        return end("complete");
      }
      controller.enqueue(result.value);
    },
    cancel(reason) {
      end("client_closed");
      // A backend still loading is aborted with the client's request; one that answers later is cancelled then.
      void answered.then(() => {
        const current = upstream as Upstream | null;
        if (current?.kind === "stream") return (reader ?? current.body).cancel(reason).catch(() => {});
      });
    },
  }, { highWaterMark: 0 });
}
