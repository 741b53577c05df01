/**
 * Shared set-up for the abuse suite: a Tureen under test (Bun, Deno or the binary, per
 * TUREEN_TEST_RUNTIME) in front of hostile or emulated backends, torn down after each test.
 */
import { afterEach } from "bun:test";
import { dmrConfig, type ServerUnderTest, startServer, until } from "../_server.ts";
import { type HostileBackend, type HostileMode, startHostile } from "../emulators/hostile.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await Promise.resolve(cleanups.pop()!()).catch(() => {});
});

/** Run `cleanup` after the current test. */
export function later(cleanup: () => unknown): void {
  cleanups.push(cleanup);
}

export function hostile(options: { models?: string[]; mode?: HostileMode } = {}): HostileBackend {
  const backend = startHostile(options);
  later(() => backend.stop());
  return backend;
}

/** Tureen in front of `backend`, once the backend is routable. */
export async function proxyFor(
  backend: { url: string },
  endpoint: Record<string, unknown> = {},
  extra: Record<string, any> = {},
): Promise<ServerUnderTest> {
  const server = await startServer(dmrConfig([{ url: backend.url, name: "target", check_interval: "200ms", check_timeout: "150ms", ...endpoint }], extra));
  later(() => server.stop());
  await until(async () => {
    const status = await (await fetch(`${server.url}/internal/status/endpoints`)).json();
    return status.routable_count === 1;
  }, 5000);
  return server;
}

export function chat(server: ServerUnderTest, model: string, stream = false, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}/olla/dmr/engines/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], stream }),
  });
}

/** The endpoint's active connections as the status API reports them. */
export async function activeConnections(server: ServerUnderTest): Promise<number> {
  const status = await (await fetch(`${server.url}/internal/status/endpoints`)).json();
  return status.endpoints[0].active_connections;
}
