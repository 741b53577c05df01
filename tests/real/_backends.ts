/**
 * Real backends for the real-backend leg: Docker Model Runner (model-runner, each with its own
 * store) and a bare llama.cpp llama-server, built by scripts/real-backends.mjs and started here on
 * unix sockets in a fresh temporary directory. Every backend keeps its own log lines, and
 * `realTest` appends them to a failing test's error, so a failure shows what the backend said.
 */
import { test } from "bun:test";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-ignore -- a plain ES module, shared with the build script; no types
import { readManifest, runnerEnv } from "../../scripts/real-backends.mjs";

export interface Manifest {
  llamaServer: string;
  modelRunner: string;
  modelCli: string;
  models: { tiny: string; tinyEos: string };
  stores: { alpha: string; beta: string };
}

/** The built toolchain, or undefined when scripts/real-backends.mjs has not built it here. */
export const MANIFEST = readManifest() as Manifest | undefined;

/** Cold loads of a 34 MB model are quick, but a loaded 2-core machine is slow. */
export const REAL_TIMEOUT_MS = 60_000;

export interface Backend {
  readonly name: string;
  readonly socketPath: string;
  /** `unix://` URL for Tureen's config. */
  readonly url: string;
  /** Lines the process printed, and for DMR its engine log files. */
  logs(): string[];
  /** fetch a path on the backend over its socket. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

const running = new Set<Backend>();

interface Started {
  proc: ReturnType<typeof Bun.spawn>;
  lines: string[];
}

function spawnLogged(cmd: string[], env: Record<string, string>, cwd: string): Started {
  const proc = Bun.spawn(cmd, { cwd, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const lines: string[] = [];
  for (const stream of [proc.stdout, proc.stderr]) {
    void (async () => {
      let pending = "";
      for await (const chunk of stream as ReadableStream<Uint8Array>) {
        pending += new TextDecoder().decode(chunk);
        const parts = pending.split("\n");
        pending = parts.pop()!;
        lines.push(...parts);
      }
      if (pending) lines.push(pending);
    })();
  }
  return { proc, lines };
}

function socketFetch(socketPath: string) {
  return (path: string, init: RequestInit = {}) =>
    fetch(`http://localhost${path}`, { ...init, unix: socketPath } as RequestInit);
}

async function waitUntilAnswering(backend: Backend, path: string, exited: Promise<number>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void exited.then(() => (gone = true));
  while (Date.now() < deadline && !gone) {
    try {
      const res = await backend.fetch(path);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await Bun.sleep(50);
  }
  throw new Error(`${backend.name} did not answer ${path}${gone ? " (it exited)" : ""}:\n${backend.logs().join("\n")}`);
}

/** `dir` (socket, store copy, logs) is removed once the process has exited. */
function backend(name: string, dir: string, socketPath: string, started: Started, extraLogs: () => string[] = () => []): Backend {
  const self: Backend = {
    name,
    socketPath,
    url: `unix://${socketPath}`,
    logs: () => [...started.lines, ...extraLogs()],
    fetch: socketFetch(socketPath),
    async stop() {
      running.delete(self);
      started.proc.kill("SIGTERM");
      const timer = setTimeout(() => started.proc.kill("SIGKILL"), 3000);
      await started.proc.exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  running.add(self);
  return self;
}

/**
 * A model-runner on its own socket with a fresh copy of a store the build script packaged:
 * "alpha" holds ai/smollm2 and ai/mxbai-embed-large, "beta" ai/smollm2 and ai/llama3.2 (whose EOS
 * is likely). Its llama.cpp engine is the built llama-server; `embedding` models get mean pooling.
 */
export async function startRealDmr(
  store: "alpha" | "beta",
  options: { embedding?: string[]; name?: string } = {},
  manifest = MANIFEST!,
): Promise<Backend> {
  const name = options.name ?? store;
  const dir = mkdtempSync(join(tmpdir(), `tureen-real-${name}-`));
  const socketPath = join(dir, "dmr.sock");
  const logDir = join(dir, "logs");
  cpSync(manifest.stores[store], join(dir, "models"), { recursive: true });
  const started = spawnLogged([manifest.modelRunner], {
    ...runnerEnv(manifest.llamaServer, join(dir, "models"), logDir),
    MODEL_RUNNER_SOCK: socketPath,
  }, dir);
  const engineLogs = () => {
    if (!existsSync(logDir)) return [];
    return readdirSync(logDir).flatMap((file) => readFileSync(join(logDir, file), "utf8").split("\n").map((l) => `[${file}] ${l}`));
  };
  const dmr = backend(`dmr ${name}`, dir, socketPath, started, engineLogs);
  await waitUntilAnswering(dmr, "/engines/status", started.proc.exited);
  for (const model of options.embedding ?? []) {
    // A llama model embeds only with pooling; DMR sets llama-server flags per model.
    const res = await dmr.fetch("/engines/llama.cpp/_configure", {
      method: "POST",
      body: JSON.stringify({ model, mode: "embedding", "runtime-flags": ["--pooling", "mean"] }),
    });
    if (res.status !== 202) throw new Error(`configuring ${model} for embeddings: ${res.status} ${await res.text()}`);
  }
  return dmr;
}

/** Where a bare llama-server will listen: known before it starts, so Tureen can be pointed at it first. */
export interface LlamaSocket {
  readonly dir: string;
  readonly socketPath: string;
  readonly url: string;
}

export function llamaSocket(): LlamaSocket {
  const dir = mkdtempSync(join(tmpdir(), "tureen-real-llama-"));
  const socketPath = join(dir, "llama.sock");
  return { dir, socketPath, url: `unix://${socketPath}` };
}

/**
 * A bare llama-server serving `model` on a unix socket (llama-server binds a socket when --host
 * ends in .sock). By default it returns once /health answers 200; with `wait: false` at once,
 * while the model is still loading.
 */
export async function startLlamaServer(
  model: string,
  args: string[] = [],
  options: { at?: LlamaSocket; wait?: boolean; name?: string } = {},
  manifest = MANIFEST!,
): Promise<Backend> {
  const { dir, socketPath } = options.at ?? llamaSocket();
  const started = spawnLogged(
    [manifest.llamaServer, "--model", model, "--host", socketPath, "--ctx-size", "512", "--threads", "1", "--parallel", "2", ...args],
    {},
    dir,
  );
  const server = backend(options.name ?? "llama-server", dir, socketPath, started);
  if (options.wait !== false) await waitUntilAnswering(server, "/health", started.proc.exited);
  return server;
}

/** Stop every backend still running (afterAll). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((b) => b.stop()));
}

/** The last `n` log lines of each backend, labelled. */
export function backendLogs(backends: Iterable<Backend> = running, n = 60): string {
  return [...backends].map((b) => `--- last log lines of ${b.name} ---\n${b.logs().slice(-n).join("\n")}`).join("\n");
}

/** A test that, when it fails, shows the running backends' own log lines under its error. */
export function realTest(name: string, fn: () => Promise<void>, timeoutMs = REAL_TIMEOUT_MS): void {
  test(name, async () => {
    try {
      await fn();
    } catch (error) {
      if (error instanceof Error) error.message += `\n${backendLogs()}`;
      throw error;
    }
  }, timeoutMs);
}
