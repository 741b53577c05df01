/**
 * Slow and stalled clients: a body that does not arrive within server.read_timeout is a 408
 * and its connection closes; 2,000 of them at once neither stop other clients from being
 * served nor outlive the timeout. Deno 2.9.6 answers the 408 but keeps a connection whose
 * body is unfinished open until the client closes it (docs/SECURITY.md); the tests say so.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { TEST_RUNTIME, until } from "../_server.ts";
import { errorOf, rawExchange } from "./_raw.ts";
import { dmrBehindProxy, later } from "./_setup.ts";

/** Whether the runtime can close a connection whose request body is unfinished. */
const CLOSES_STALLED = TEST_RUNTIME !== "deno";
const HEAD = (length: string, path = "/olla/dmr/engines/v1/chat/completions") =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${length}\r\n`;

/** Every route that reads a request body, one per way in. */
const BODY_ROUTES = [
  "/olla/proxy/v1/chat/completions",
  "/olla/dmr/engines/v1/responses",
  "/olla/proxy/v1/responses",
  "/olla/anthropic/v1/messages",
  "/olla/proxy/v1/rerank",
  "/olla/ollama/api/chat",
];

const setup = (readTimeout: string) => dmrBehindProxy({ server: { read_timeout: readTimeout } });

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

describe("server.read_timeout", () => {
  test("a declared body that stalls is a 408 JSON and the connection closes", async () => {
    const { server, posts } = await setup("400ms");
    const answer = await rawExchange(server.port, [HEAD("Content-Length: 100\r\n") + '{"model":"ai/'], { timeoutMs: 1500 });
    expect(answer.status).toBe(408);
    expect(errorOf(answer)?.code).toBe("request_timeout");
    expect(answer.closed).toBe(CLOSES_STALLED);
    expect(posts()).toBe(0);
  });

  test("every route that reads a body: a stalled body is a 408, and nothing reaches a backend", async () => {
    const { server, posts } = await setup("300ms");
    const answers = await Promise.all(BODY_ROUTES.map((path) =>
      rawExchange(server.port, [HEAD("Content-Length: 100\r\n", path) + '{"model":"ai/'], { timeoutMs: 1500 })
    ));
    // The Anthropic route answers in Anthropic's error shape, which has a type and no code.
    expect(answers.map((a) => `${a.status} ${errorOf(a)?.code ?? errorOf(a)?.type}`)).toEqual(
      BODY_ROUTES.map((path) => path.includes("anthropic") ? "408 invalid_request_error" : "408 request_timeout"),
    );
    expect(posts()).toBe(0);
  });

  test("a chunked body that stalls is a 408 too", async () => {
    const { server, posts } = await setup("400ms");
    const answer = await rawExchange(server.port, [HEAD("Transfer-Encoding: chunked\r\n") + "5\r\n{\"mod\r\n"], { timeoutMs: 1500 });
    expect(answer.status).toBe(408);
    expect(answer.closed).toBe(CLOSES_STALLED);
    expect(posts()).toBe(0);
  });

  test("2,000 stalled bodies: others are still served, and every one is gone after the timeout", async () => {
    const { server, posts } = await setup("1500ms");
    const baseline = openFds(server.pid);
    const sockets: Array<{ end(): void }> = [];
    const answered: Promise<string>[] = [];
    for (let i = 0; i < 2000; i++) {
      answered.push(new Promise<string>((resolve) => {
        let text = "";
        void Bun.connect({
          hostname: "127.0.0.1",
          port: server.port,
          socket: {
            open(s) {
              sockets.push(s);
              s.write(HEAD("Content-Length: 1000\r\n") + "{");
            },
            data(_s, chunk) {
              text += Buffer.from(chunk).toString("latin1");
              if (!CLOSES_STALLED && text.includes("request_timeout")) resolve(text);
            },
            close: () => resolve(text),
            error: () => resolve(text),
          },
        }).catch(() => resolve(text));
      }));
    }
    later(() => sockets.forEach((s) => s.end()));
    await until(() => sockets.length === 2000, 5000);
    const ok = await fetch(`${server.url}/olla/dmr/engines/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "ai/smollm2", messages: [] }),
    });
    expect(ok.status).toBe(200);
    const answers = await Promise.all(answered);
    expect(answers.filter((text) => text.startsWith("HTTP/1.1 408")).length).toBe(2000);
    if (CLOSES_STALLED) await until(() => openFds(server.pid) <= baseline + 5, 5000);
    expect(posts()).toBe(1);
  }, 20_000);
});
