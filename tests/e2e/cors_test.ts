/**
 * Browser access with server.cors: preflights answered by the proxy, X-Olla-* exposed,
 * nothing of it reaching DMR (which would answer 403 to an unlisted Origin).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type DmrEmulator, startDmr } from "../emulators/dmr.ts";
import { dmrConfig, type ServerUnderTest, startServer } from "../_server.ts";

let dmr: DmrEmulator;
let open: ServerUnderTest;
let closed: ServerUnderTest;
const ORIGIN = "http://localhost:3000";

beforeAll(async () => {
  dmr = await startDmr();
  const endpoints = [{ url: dmr.url, name: "dmr" }];
  [open, closed] = await Promise.all([
    startServer(dmrConfig(endpoints, { server: { cors: { enabled: true, allowed_origins: [ORIGIN] } } })),
    startServer(dmrConfig(endpoints)),
  ]);
});

afterAll(async () => {
  await open?.stop();
  await closed?.stop();
  await dmr?.stop();
});

const preflight = (server: ServerUnderTest, origin = ORIGIN) =>
  fetch(`${server.url}/olla/dmr/engines/v1/chat/completions`, {
    method: "OPTIONS",
    headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type" },
  });

describe("server.cors", () => {
  test("a preflight from an allowed origin is answered by the proxy and never reaches DMR", async () => {
    const res = await preflight(open);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")?.replace(/\s/g, "")).toBe("authorization,content-type");
    expect(res.headers.get("access-control-max-age")).toBe("300");
    expect(dmr.requests.filter((r) => r.method === "OPTIONS")).toHaveLength(0);
  });

  test("a browser chat gets the allow-origin and exposed X-Olla-* headers, and DMR never sees the Origin", async () => {
    const res = await fetch(`${open.url}/olla/dmr/engines/v1/chat/completions`, {
      method: "POST",
      headers: { Origin: ORIGIN, "content-type": "application/json" },
      body: JSON.stringify({ model: "smollm2", messages: [], stream: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(res.headers.get("access-control-expose-headers")).toContain("X-Olla-Endpoint");
    expect((await res.text()).endsWith("data: [DONE]\n\n")).toBe(true);
    expect(dmr.requests.at(-1)!.headers.origin).toBeUndefined();
  });

  test("an origin not listed gets no allow-origin header", async () => {
    const res = await preflight(open, "http://evil.example");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("without server.cors, as in Olla, there are no CORS headers", async () => {
    const res = await fetch(`${closed.url}/olla/dmr/engines/v1/models`, { headers: { Origin: ORIGIN } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});
