/**
 * Endpoints on unix sockets, on every runtime the server runs on: a DMR reached through a socket
 * with its API under a base path, as Docker Desktop serves it on /var/run/docker.sock.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DmrEmulator, startDmr } from "../emulators/dmr.ts";
import { dmrConfig, type ServerUnderTest, startServer, TEST_RUNTIME, until } from "../_server.ts";

const BASE = "/exp/vDD4.40";
let dmr: DmrEmulator;
let socket: ReturnType<typeof Bun.serve>;
let server: ServerUnderTest;
let socketPath: string;
const seen: string[] = [];

beforeAll(async () => {
  dmr = await startDmr({ models: [{ tag: "docker.io/ai/smollm2:latest" }] });
  socketPath = join(mkdtempSync(join(tmpdir(), "tureen-unix-")), "docker.sock");
  // The socket side answers only under BASE, like Docker Desktop, and relays to the emulator.
  socket = Bun.serve({
    unix: socketPath,
    fetch(request) {
      const url = new URL(request.url);
      seen.push(url.pathname);
      if (!url.pathname.startsWith(`${BASE}/`)) return new Response("not under the base path\n", { status: 404 });
      return fetch(dmr.url + url.pathname.slice(BASE.length) + url.search, {
        method: request.method,
        headers: request.headers,
        body: request.body,
      });
    },
  });
  server = await startServer(dmrConfig([{ url: `unix://${socketPath}${BASE}`, name: "desktop" }]), { sockets: [socketPath] });
  await server.waitForLog((l) => l.msg === "endpoint healthy");
});

afterAll(async () => {
  await server?.stop();
  socket?.stop(true);
  await dmr?.stop();
});

describe("unix:// endpoint with a base path", () => {
  test("health probes and model lists go over the socket under the base path", async () => {
    const body = await (await fetch(`${server.url}/olla/dmr/engines/v1/models`)).json();
    expect(body.data.map((m: { id: string }) => m.id)).toEqual(["ai/smollm2"]);
    expect(seen).toContain(`${BASE}/engines/v1/models`);
    expect(seen.every((path) => path.startsWith(`${BASE}/`))).toBe(true);
  });

  test("a streamed chat is relayed event by event, ending with [DONE]", async () => {
    const res = await fetch(`${server.url}/olla/dmr/engines/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "smollm2", messages: [{ role: "user", content: "hi" }], stream: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-olla-endpoint")).toBe("desktop");
    const text = await res.text();
    expect(text).toContain("data: [DONE]");
    expect(dmr.requests.findLast((r) => r.method === "POST")!.path).toBe("/engines/v1/chat/completions");
  });

  test("the status API shows the unix URL as configured", async () => {
    const { endpoints } = await (await fetch(`${server.url}/internal/status/endpoints`)).json();
    expect(endpoints[0].url).toStartWith("unix:///");
    expect(endpoints[0].url).toEndWith(BASE);
  });
});

test.skipIf(TEST_RUNTIME !== "deno")("on Deno without write permission on the socket, the endpoint error names the flag", async () => {
  const denied = await startServer(dmrConfig([{ url: `unix://${socketPath}${BASE}`, name: "desktop" }]));
  try {
    let error = "";
    await until(async () => {
      const { endpoints } = await (await fetch(`${denied.url}/internal/status/endpoints`)).json();
      error = JSON.stringify(endpoints[0]);
      return endpoints[0].status === "offline";
    });
    expect(error).toContain(`--allow-write=${socketPath}`);
  } finally {
    await denied.stop();
  }
});
