/**
 * The floor: the least a Bun proxy can do for the same request, to tell Bun's own cost
 * (Bun.serve + fetch + one JSON parse) from Tureen's. No Hono, no routing, no header rules,
 * no relay wrapper: read the body, parse it for `model` (any model-aware proxy must), fetch
 * the backend, return its body stream as is.
 *
 *   bun bench/floor.ts --port N --upstream http://127.0.0.1:M
 *
 * With `--relay`, the backend body is wrapped the way src/proxying/relay.ts does it (a JS
 * `ReadableStream` with `pull` and highWaterMark 0 that reads the backend body chunk by chunk),
 * to measure what that wrapper costs on its own.
 *
 * Prints `{"port":N,"pid":N}` once listening. Not part of Tureen; used by bench/run.ts only.
 */
/// <reference types="bun-types" />

function flag(name: string, fallback: string): string {
  const i = Bun.argv.indexOf(`--${name}`);
  return i > 0 && Bun.argv[i + 1] !== undefined ? Bun.argv[i + 1]! : fallback;
}

const upstream = flag("upstream", "http://127.0.0.1:12434");
const PREFIX = "/olla/dmr";
const RELAY = Bun.argv.includes("--relay");

function relay(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const result = await reader.read();
        if (result.done) controller.close();
        else controller.enqueue(result.value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

const server = Bun.serve({
  hostname: flag("host", "127.0.0.1"),
  port: Number(flag("port", "0")),
  idleTimeout: 0,
  development: false,
  async fetch(request) {
    const url = new URL(request.url);
    const body = await request.arrayBuffer();
    const model = JSON.parse(new TextDecoder().decode(body)).model;
    if (typeof model !== "string") return new Response("no model", { status: 400 });
    const res = await fetch(upstream + url.pathname.slice(PREFIX.length), {
      method: "POST",
      headers: request.headers,
      body,
      decompress: false,
      timeout: false,
    } as RequestInit);
    const out = RELAY && res.body ? relay(res.body) : res.body;
    return new Response(out, { status: res.status, headers: res.headers });
  },
});
process.stdout.write(JSON.stringify({ port: server.port, pid: process.pid }) + "\n");
process.on("SIGTERM", () => process.exit(0));
