/**
 * A fast, fixed-answer Docker Model Runner stand-in for the benchmark (not the test emulator:
 * no model store, no runners, no cold loads, nothing but the bytes the proxy has to carry).
 *
 *   bun bench/mock.ts [--host 127.0.0.1] [--port 0] [--chunks 20] [--interval-ms 10]
 *
 * Prints one JSON line `{"port":N,"pid":N}` on stdout once it listens.
 *
 * - `GET  /engines[/llama.cpp|/vllm]/v1/models` → DMR-style list with docker.io/ai/smollm2:latest
 * - `POST /engines[/llama.cpp|/vllm]/v1/chat/completions` → small fixed JSON; with `"stream": true`
 *   an SSE stream: one `data: {...}\n\n` event at once, then one every `interval` ms until
 *   `chunks` events were sent, then `data: [DONE]\n\n` one interval later. Every event carries
 *   `"t"`: the send time in epoch ms (`performance.timeOrigin + performance.now()`, sub-µs), so a
 *   client on the same machine can measure each event's delivery latency.
 *   Per request, `x-bench-chunks` and `x-bench-interval-ms` headers override the defaults
 *   (the proxy forwards them, so direct and proxied runs get the same stream).
 * - `GET /stats` → `{active, peak, streams, requests}` (active/peak: open SSE streams);
 *   `POST /stats/reset` zeroes `peak` (to the current `active`) and the counters.
 */

function flag(name: string, fallback: string): string {
  const i = Bun.argv.indexOf(`--${name}`);
  return i > 0 && Bun.argv[i + 1] !== undefined ? Bun.argv[i + 1]! : fallback;
}

const HOST = flag("host", "127.0.0.1");
const PORT = Number(flag("port", "0"));
const DEFAULT_CHUNKS = Number(flag("chunks", "20"));
const DEFAULT_INTERVAL_MS = Number(flag("interval-ms", "10"));
const MODEL = "docker.io/ai/smollm2:latest";
const CREATED = 1742816981;

const MODELS_BODY = JSON.stringify({
  object: "list",
  data: [{ id: MODEL, object: "model", created: CREATED, owned_by: "docker" }],
});
const CHAT_BODY = JSON.stringify({
  choices: [{ finish_reason: "stop", index: 0, message: { role: "assistant", content: "Hello! How can I help you today?" } }],
  created: CREATED,
  model: MODEL,
  system_fingerprint: "b1-bench",
  object: "chat.completion",
  usage: { completion_tokens: 9, prompt_tokens: 9, total_tokens: 18 },
  id: "chatcmpl-bench",
});
const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };
const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache" };
const MODEL_LIST_PATHS = new Set(["/engines/v1/models", "/engines/llama.cpp/v1/models", "/engines/vllm/v1/models"]);
const CHAT_PATHS = new Set([
  "/engines/v1/chat/completions",
  "/engines/llama.cpp/v1/chat/completions",
  "/engines/vllm/v1/chat/completions",
]);

const encoder = new TextEncoder();
const stamp = () => performance.timeOrigin + performance.now();
// Everything before the stamp is fixed; the event is `${HEAD}${i}${MID}${t}}\n\n`.
const EVENT_HEAD = `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":${CREATED},"model":"${MODEL}",` +
  `"system_fingerprint":"b1-bench","choices":[{"index":0,"delta":{"content":"tok"},"finish_reason":null}],"i":`;
const DONE = encoder.encode("data: [DONE]\n\n");

const stats = { active: 0, peak: 0, streams: 0, requests: 0 };

function intHeader(request: Request, name: string, fallback: number, max: number): number {
  const raw = request.headers.get(name);
  const value = raw === null ? fallback : Number(raw);
  return Number.isFinite(value) && value >= 0 ? Math.min(value, max) : fallback;
}

function sseStream(chunks: number, intervalMs: number, signal: AbortSignal): ReadableStream {
  return new ReadableStream({
    type: "direct",
    async pull(controller: { write(chunk: string | Uint8Array): void; flush(): unknown; close(): void }) {
      stats.active++;
      stats.streams++;
      if (stats.active > stats.peak) stats.peak = stats.active;
      const start = performance.now();
      try {
        for (let i = 0; i < chunks; i++) {
          // Schedule against the start so timer lateness does not add up.
          const due = start + i * intervalMs;
          const wait = due - performance.now();
          if (i > 0 && wait > 0) await Bun.sleep(wait);
          if (signal.aborted) return;
          controller.write(`${EVENT_HEAD}${i},"t":${stamp()}}\n\n`);
          await controller.flush();
        }
        const wait = start + chunks * intervalMs - performance.now();
        if (wait > 0) await Bun.sleep(wait);
        if (signal.aborted) return;
        controller.write(DONE);
        await controller.flush();
      } catch {
        // client went away
      } finally {
        stats.active--;
        try {
          controller.close();
        } catch {
          // already closed
        }
      }
    },
  } as unknown as UnderlyingDefaultSource);
}

const server = Bun.serve({
  hostname: HOST,
  port: PORT,
  // Long streams at 500 ms per event are never idle for 10 s, but a queued proxy may hold them.
  idleTimeout: 0,
  development: false,
  async fetch(request) {
    stats.requests++;
    const { pathname } = new URL(request.url);
    if (request.method === "GET" && MODEL_LIST_PATHS.has(pathname)) {
      return new Response(MODELS_BODY, { headers: JSON_HEADERS });
    }
    if (request.method === "POST" && CHAT_PATHS.has(pathname)) {
      let body: { stream?: unknown };
      try {
        body = JSON.parse(await request.text());
      } catch {
        return Response.json({ error: { message: "invalid json", type: "invalid_request_error", code: 400 } }, { status: 400 });
      }
      if (body.stream === true) {
        const chunks = intHeader(request, "x-bench-chunks", DEFAULT_CHUNKS, 100_000);
        const intervalMs = intHeader(request, "x-bench-interval-ms", DEFAULT_INTERVAL_MS, 60_000);
        return new Response(sseStream(chunks, intervalMs, request.signal), { headers: SSE_HEADERS });
      }
      return new Response(CHAT_BODY, { headers: JSON_HEADERS });
    }
    if (pathname === "/stats") {
      if (request.method === "POST") {
        stats.peak = stats.active;
        stats.streams = 0;
        stats.requests = 0;
      }
      return Response.json(stats);
    }
    return Response.json({ error: { message: "not found", type: "not_found_error", code: 404 } }, { status: 404 });
  },
});

process.stdout.write(JSON.stringify({ port: server.port, pid: process.pid }) + "\n");
const stop = () => {
  server.stop(true);
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
