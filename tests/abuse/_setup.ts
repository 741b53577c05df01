/**
 * Shared set-up for the abuse suite: a Tureen under test (Bun, Deno or the binary, per
 * TUREEN_TEST_RUNTIME) in front of hostile or emulated backends, torn down after each test.
 */
import { afterEach } from "bun:test";
import { dmrConfig, type ServerUnderTest, startServer, type StartServerOptions, until } from "../_server.ts";
import { type DmrEmulator, type DmrOptions, startDmr } from "../emulators/dmr.ts";
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
  const server = await startServer(dmrConfig([{ url: backend.url, name: "target", check_interval: "1s", check_timeout: "1s", ...endpoint }], extra));
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

export interface DmrUnderProxy {
  readonly server: ServerUnderTest;
  readonly dmr: DmrEmulator;
  readonly config: Record<string, any>;
  /** Inference requests (POSTs) the backend has received. */
  posts(): number;
}

/**
 * The DMR emulator with ai/smollm2 (plus `dmr.models`) behind a Tureen, once routable.
 *
 * @param extra top-level config blocks (server:, auth:, ...)
 * @param statusHeaders sent with the readiness poll (an API key when /internal needs one)
 */
export async function dmrBehindProxy(
  extra: Record<string, any> = {},
  options: { dmr?: DmrOptions; endpoint?: Record<string, unknown>; server?: StartServerOptions; statusHeaders?: Record<string, string> } = {},
): Promise<DmrUnderProxy> {
  const dmr = await startDmr({ models: [{ tag: "docker.io/ai/smollm2:latest" }], ...options.dmr });
  later(() => dmr.stop());
  const config = dmrConfig([{ url: dmr.url, name: "dmr", ...options.endpoint }], extra);
  const server = await startServer(config, options.server);
  later(() => server.stop());
  const status = () => fetch(`${server.url}/internal/status/endpoints`, { headers: options.statusHeaders });
  await until(async () => (await (await status()).json()).routable_count === 1);
  return { server, dmr, config, posts: () => dmr.requests.filter((r) => r.method === "POST").length };
}
