/**
 * Load clients: a sequential keep-alive fetch loop (c=1 latency), a fetch-based streaming
 * reader (TTFB, per-event delivery latency, reads vs events), an in-process throughput
 * fallback when wrk is missing, and a raw-socket client for thousands of concurrent streams
 * (raw sockets, so the client is not held by Bun's own 256-fetch cap).
 */
/// <reference types="bun-types" />
type Socket<T> = Bun.Socket<T>;
import { CHAT_BODY, STREAM_BODY } from "./lib.ts";

const JSON_HEADERS = { "content-type": "application/json" };

/**
 * POST `CHAT_BODY` to `url` one request at a time on one keep-alive connection for `durationMs`
 * (after `warmup` untimed requests). Returns each request's latency in ms (fetch call →
 * whole body read) and the number of non-200 answers.
 */
export async function sequentialRound(url: string, durationMs: number, warmup: number) {
  const init = { method: "POST", headers: JSON_HEADERS, body: CHAT_BODY };
  for (let i = 0; i < warmup; i++) await (await fetch(url, init)).arrayBuffer();
  const latencies: number[] = [];
  let failures = 0;
  const end = performance.now() + durationMs;
  for (;;) {
    const t0 = performance.now();
    if (t0 >= end) break;
    const res = await fetch(url, init);
    await res.arrayBuffer();
    latencies.push(performance.now() - t0);
    if (res.status !== 200) failures++;
  }
  return { latencies, failures };
}

export interface StreamSample {
  /** fetch call → first body bytes, ms */
  ttfbMs: number;
  /** fetch call → last byte, ms */
  totalMs: number;
  /** body reads that returned bytes */
  reads: number;
  /** `data:` events received (including [DONE]) */
  events: number;
  /** reads that held more than one event (coalesced) */
  coalescedReads: number;
  /** per stamped event: receive time − the mock's send time, ms (same machine clock) */
  eventLatencyMs: number[];
  sawDone: boolean;
  status: number;
}

const decoder = new TextDecoder();
const stamp = () => performance.timeOrigin + performance.now();

/** One streamed chat request, read as it arrives. */
export async function streamOnce(url: string, chunks: number, intervalMs: number): Promise<StreamSample> {
  const t0 = performance.now();
  const res = await fetch(url, {
    method: "POST",
    headers: { ...JSON_HEADERS, "x-bench-chunks": String(chunks), "x-bench-interval-ms": String(intervalMs) },
    body: STREAM_BODY,
  });
  const reader = res.body!.getReader();
  const sample: StreamSample = {
    ttfbMs: NaN,
    totalMs: NaN,
    reads: 0,
    events: 0,
    coalescedReads: 0,
    eventLatencyMs: [],
    sawDone: false,
    status: res.status,
  };
  let pending = "";
  for (;;) {
    const { done, value } = await reader.read();
    const at = stamp();
    if (done) break;
    if (sample.reads === 0) sample.ttfbMs = performance.now() - t0;
    sample.reads++;
    pending += decoder.decode(value, { stream: true });
    let eventsThisRead = 0;
    let end: number;
    while ((end = pending.indexOf("\n\n")) !== -1) {
      const event = pending.slice(0, end);
      pending = pending.slice(end + 2);
      if (!event.startsWith("data: ")) continue;
      eventsThisRead++;
      sample.events++;
      if (event === "data: [DONE]") {
        sample.sawDone = true;
        continue;
      }
      const t = Number(/"t":([0-9.]+)\}$/.exec(event)?.[1]);
      if (Number.isFinite(t)) sample.eventLatencyMs.push(at - t);
    }
    if (eventsThisRead > 1) sample.coalescedReads++;
  }
  sample.totalMs = performance.now() - t0;
  return sample;
}

/** In-process throughput client (used only when wrk is missing): `concurrency` fetch loops. */
export async function fetchThroughput(url: string, concurrency: number, durationMs: number) {
  const init = { method: "POST", headers: JSON_HEADERS, body: CHAT_BODY };
  let requests = 0;
  let failures = 0;
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          const res = await fetch(url, init);
          await res.arrayBuffer();
          if (res.status !== 200) failures++;
        } catch {
          failures++;
        }
        latencies.push(performance.now() - t0);
        requests++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  return { rps: requests / seconds, requests, failures, latencies };
}

// ---------------------------------------------------------------- many concurrent streams

interface RawStream {
  socket?: Socket<RawStream>;
  openedAt: number;
  firstByteAt: number;
  firstEventAt: number;
  status: number;
  events: number;
  done: boolean;
  closed: boolean;
  error?: string;
  tail: string;
}

export interface ConcurrencyResult {
  requested: number;
  connected: number;
  connectErrors: number;
  /** streams whose first event reached the client before the deadline */
  started: number;
  /** streams that ended with [DONE] before the deadline */
  completed: number;
  non200: number;
  closedEarly: number;
  /** first connect → the last stream's first event, ms (NaN when not all started) */
  allStartedMs: number;
  /** first connect → the moment `started` stopped growing, ms */
  rampMs: number;
  /** per-stream: request written → first event, ms */
  firstEventP50Ms: number;
  firstEventP99Ms: number;
  firstEventMaxMs: number;
  eventsReceived: number;
  eventsExpected: number;
  elapsedMs: number;
  timeline: Array<{ t_ms: number; started: number; completed: number }>;
}

/**
 * Open `count` streaming chat requests at once over raw HTTP/1.1 sockets and hold them until
 * they end or `deadlineMs` after the first connect. `onTick` runs every 250 ms (RSS sampling).
 */
export async function concurrentStreams(options: {
  host: string;
  port: number;
  path: string;
  count: number;
  chunks: number;
  intervalMs: number;
  deadlineMs: number;
  batch?: number;
  onTick?: () => void;
  /** Runs at the deadline, before the sockets still open are closed. */
  onDeadline?: () => Promise<void>;
}): Promise<ConcurrencyResult> {
  const { host, port, path, count, chunks, intervalMs } = options;
  const request = new TextEncoder().encode(
    `POST ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nContent-Type: application/json\r\n` +
      `X-Bench-Chunks: ${chunks}\r\nX-Bench-Interval-Ms: ${intervalMs}\r\n` +
      `Content-Length: ${Buffer.byteLength(STREAM_BODY)}\r\nConnection: close\r\n\r\n${STREAM_BODY}`,
  );
  const streams: RawStream[] = [];
  let started = 0;
  let completed = 0;
  let lastStartAt = 0;
  const handlers = {
    open(socket: Socket<RawStream>) {
      socket.data.openedAt = performance.now();
      socket.write(request);
    },
    data(socket: Socket<RawStream>, buffer: Buffer) {
      const s = socket.data;
      const now = performance.now();
      const chunk = buffer.toString("latin1");
      if (s.status === 0) {
        s.firstByteAt = now;
        s.status = Number(chunk.slice(9, 12));
      }
      const text = s.tail + chunk;
      let from = 0;
      let at: number;
      while ((at = text.indexOf("data: ", from)) !== -1) {
        if (at + 6 > s.tail.length) {
          s.events++;
          if (s.firstEventAt === 0) {
            s.firstEventAt = now;
            started++;
            lastStartAt = now;
          }
        }
        from = at + 6;
      }
      if (!s.done && text.includes("[DONE]")) {
        s.done = true;
        completed++;
        socket.end();
      }
      s.tail = text.slice(-8);
    },
    close(socket: Socket<RawStream>) {
      socket.data.closed = true;
    },
    error(socket: Socket<RawStream>, error: Error) {
      socket.data.error = error.message;
    },
    connectError(socket: Socket<RawStream>, error: Error) {
      socket.data.error = error.message;
      socket.data.closed = true;
    },
  };
  const t0 = performance.now();
  let deadline = t0 + options.deadlineMs;
  // Streams opened late (a slow ramp) get their full length too, up to twice the deadline.
  const streamMs = chunks * intervalMs;
  const hardDeadline = t0 + 2 * options.deadlineMs;
  const timeline: ConcurrencyResult["timeline"] = [];
  let connectErrors = 0;
  const batch = options.batch ?? 250;
  let tick = performance.now();
  for (let i = 0; i < count; i += batch) {
    const opened = await Promise.allSettled(
      Array.from({ length: Math.min(batch, count - i) }, () => {
        const s: RawStream = { openedAt: 0, firstByteAt: 0, firstEventAt: 0, status: 0, events: 0, done: false, closed: false, tail: "" };
        streams.push(s);
        return Bun.connect<RawStream>({ hostname: host, port, data: s, socket: handlers }).then((socket) => (s.socket = socket));
      }),
    );
    connectErrors += opened.filter((o) => o.status === "rejected").length;
    if (performance.now() - tick >= 250) {
      tick = performance.now();
      options.onTick?.();
    }
  }
  while (performance.now() < deadline && completed + connectErrors < count) {
    await Bun.sleep(250);
    if (started === count) deadline = Math.min(hardDeadline, Math.max(deadline, lastStartAt + streamMs + 1500));
    options.onTick?.();
    timeline.push({ t_ms: Math.round(performance.now() - t0), started, completed });
  }
  const elapsedMs = performance.now() - t0;
  await options.onDeadline?.();
  const closedEarly = streams.filter((s) => s.closed && !s.done).length;
  for (const s of streams) if (!s.done) s.socket?.terminate();
  const firstEvents = streams.filter((s) => s.firstEventAt > 0).map((s) => s.firstEventAt - s.openedAt).sort((a, b) => a - b);
  const pick = (p: number) => (firstEvents.length ? firstEvents[Math.min(firstEvents.length - 1, Math.floor((p / 100) * firstEvents.length))]! : NaN);
  return {
    requested: count,
    connected: streams.filter((s) => s.socket).length,
    connectErrors,
    started,
    completed,
    non200: streams.filter((s) => s.status !== 0 && s.status !== 200).length,
    closedEarly,
    allStartedMs: started === count ? lastStartAt - t0 : NaN,
    rampMs: lastStartAt - t0,
    firstEventP50Ms: pick(50),
    firstEventP99Ms: pick(99),
    firstEventMaxMs: firstEvents.at(-1) ?? NaN,
    eventsReceived: streams.reduce((n, s) => n + s.events, 0),
    eventsExpected: count * (chunks + 1),
    elapsedMs,
    timeline,
  };
}
