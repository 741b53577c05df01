/**
 * HTTP/1.1 pipelining: requests written back to back in one packet. Deno answers each in
 * order. Bun 1.4.5 aborts the first request and closes the socket when the second arrives
 * while the first is in flight (docs/SECURITY.md has the minimal reproduction); Tureen then
 * sends nothing on to a backend, so no request is ever half done: the backend does exactly
 * the work whose answers the client receives.
 */
import { describe, expect, test } from "bun:test";
import { TEST_RUNTIME } from "../_server.ts";
import { rawExchange } from "./_raw.ts";
import { dmrBehindProxy } from "./_setup.ts";

const BODY = JSON.stringify({ model: "ai/smollm2", messages: [{ role: "user", content: "hi" }] });
const post = (last: boolean) =>
  `POST /olla/dmr/engines/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
  `Content-Length: ${BODY.length}\r\n${last ? "Connection: close\r\n" : ""}\r\n${BODY}`;

describe("pipelined requests", () => {
  test("two POSTs in one write: every request the backend served was answered, none half-done", async () => {
    const { server, posts } = await dmrBehindProxy({}, { dmr: { chunkDelayMs: 5 } });
    for (let round = 0; round < 3; round++) {
      const before = posts();
      const answer = await rawExchange(server.port, [post(false) + post(true)], { timeoutMs: 2000 });
      await Bun.sleep(100);
      const served = posts() - before;
      if (TEST_RUNTIME === "deno") expect(answer.statuses).toEqual([200, 200]);
      else expect(answer.closed).toBe(true);
      expect(served).toBe(answer.statuses.filter((s) => s === 200).length);
    }
    expect((await (await fetch(`${server.url}/internal/status/endpoints`)).json()).endpoints[0].active_connections).toBe(0);
  });
});
