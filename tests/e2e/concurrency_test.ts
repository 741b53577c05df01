/**
 * More simultaneous streams than Bun's default fetch cap (256) all reach the backend at
 * once: none waits in a hidden queue inside the proxy.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { dmrConfig, type ServerUnderTest, startServer } from "../_server.ts";

const STREAMS = 300;
let backend: ReturnType<typeof Bun.serve>;
let server: ServerUnderTest;
let active = 0;
let peak = 0;

beforeAll(async () => {
  let release!: () => void;
  const allArrived = new Promise<void>((resolve) => (release = resolve));
  backend = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      if (req.method === "GET") {
        return Response.json({ object: "list", data: [{ id: "docker.io/ai/smollm2:latest", object: "model", created: 1, owned_by: "docker" }] });
      }
      active++;
      peak = Math.max(peak, active);
      if (active >= STREAMS) release();
      // Hold every stream open until all have arrived (or 10 s pass), as long generations would.
      await Promise.race([allArrived, Bun.sleep(10_000)]);
      active--;
      return new Response("data: {}\n\ndata: [DONE]\n\n", { headers: { "content-type": "text/event-stream" } });
    },
  });
  server = await startServer(dmrConfig([{ url: `http://127.0.0.1:${backend.port}`, name: "one" }], {
    logging: { level: "info" },
    server: { request_logging: false },
  }));
});

afterAll(async () => {
  await server?.stop();
  backend?.stop(true);
});

test(`${STREAMS} concurrent streams are all in flight at the backend at the same time`, async () => {
  const client = Bun.spawn([process.execPath, join(import.meta.dir, "_many_streams.ts"), `${server.url}/olla/dmr/engines/v1/chat/completions`, String(STREAMS)], {
    env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: "65535" },
    stdout: "pipe",
  });
  const report = JSON.parse(await new Response(client.stdout).text());
  expect(report.failed).toEqual([]);
  expect(report.ok).toBe(STREAMS);
  expect(peak).toBe(STREAMS);
}, 15_000);
