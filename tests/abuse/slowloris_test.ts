/**
 * Slowloris: clients that never finish their headers. No request reaches Tureen's handler,
 * so only the runtime can time them out, and neither does so promptly (Bun 1.4.5 keeps a
 * connection with unfinished header lines open past its idleTimeout; see docs/SECURITY.md).
 * What must hold: 1,000 of them do not stop other clients from being served.
 */
import { describe, expect, test } from "bun:test";
import { dmrConfig, startServer } from "../_server.ts";
import { later } from "./_setup.ts";

describe("slowloris", () => {
  test("1,000 connections with unfinished headers: other clients are still served", async () => {
    const server = await startServer(dmrConfig([], { server: { idle_timeout: "1s" } }));
    later(() => server.stop());
    const sockets: Array<{ end(): void }> = [];
    later(() => sockets.forEach((s) => s.end()));
    await Promise.all(Array.from({ length: 1000 }, () =>
      Bun.connect({
        hostname: "127.0.0.1",
        port: server.port,
        socket: {
          open(s) {
            sockets.push(s);
            s.write("POST /olla/dmr/engines/v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Slow: ");
          },
          data() {},
        },
      })
    ));
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${server.url}/internal/health`);
      expect(res.status).toBe(200);
    }
    const status = await (await fetch(`${server.url}/internal/status`)).json();
    expect(status.system.total_requests).toBe(0);
  });
});
