/**
 * Benchmark plumbing: statistics, child processes (mock, proxy), /proc readings.
 */
/// <reference types="bun-types" />
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
type Subprocess<In extends Bun.SpawnOptions.Writable = any, Out extends Bun.SpawnOptions.Readable = any, Err extends Bun.SpawnOptions.Readable = any> =
  Bun.Subprocess<In, Out, Err>;

export const ROOT = resolve(import.meta.dir, "..");
export const HOST = "127.0.0.1";
export const BUN = process.execPath;
export const BINARY = join(ROOT, "dist", "tureen");

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- statistics

/** Percentile by linear interpolation between closest ranks; `p` in 0..100. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}
export const median = (values: readonly number[]) => percentile(values, 50);

/** Wait until a chat endpoint answers 200 (a proxy or backend just started); gives up quietly after `tries`. */
export async function untilAnswering(url: string, tries = 500, pauseMs = 20): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    try {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: '{"model":"ai/smollm2"}' });
      await res.arrayBuffer();
      if (res.ok) return true;
    } catch {
      // still starting
    }
    await sleep(pauseMs);
  }
  return false;
}
export const round = (value: number, digits = 3) =>
  Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : value;

// ---------------------------------------------------------------- /proc

/** Resident set size of `pid` in MiB (VmRSS), or NaN when the process is gone. */
export function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
    return kb / 1024;
  } catch {
    return NaN;
  }
}

/** [soft, hard] open-file limits of `pid` ("self" for this process). */
export function fdLimits(pid: number | "self" = "self"): [number, number] {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const [soft, hard] = line!.replace("Max open files", "").trim().split(/\s+/);
    const n = (s?: string) => (s === "unlimited" ? Infinity : Number(s));
    return [n(soft), n(hard)];
  } catch {
    return [NaN, NaN];
  }
}

export function machineInfo() {
  const cpuinfo = safeRead("/proc/cpuinfo");
  const meminfo = safeRead("/proc/meminfo");
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1]);
  const load = safeRead("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  return {
    nproc: navigator.hardwareConcurrency,
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown",
    mem_gib: round(memKb / 1024 / 1024, 1),
    kernel: safeRead("/proc/sys/kernel/osrelease").trim(),
    loadavg_at_start: load,
  };
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** `cmd --version`'s first line, or null when it does not run. */
export function versionOf(cmd: string[]): string | null {
  try {
    const out = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
    if (out.exitCode !== 0 && out.stdout.length === 0) return null;
    return (out.stdout.toString() || out.stderr.toString()).split("\n")[0]!.trim();
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- children

const children = new Set<Subprocess>();

/**
 * The environment for a proxy "as shipped": the harness's own, minus Bun's fetch-cap variable,
 * so an exported BUN_CONFIG_MAX_HTTP_REQUESTS cannot hide what the proxy does by itself.
 */
export function shippedEnv(extra?: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.BUN_CONFIG_MAX_HTTP_REQUESTS;
  return { ...env, ...extra };
}

/** One variable from /proc/<pid>/environ (what the process runs with now, after any re-exec). */
export function processEnv(pid: number, name: string): string | null {
  try {
    const entry = readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").find((e) => e.startsWith(`${name}=`));
    return entry ? entry.slice(name.length + 1) : null;
  } catch {
    return null;
  }
}

/** A short fingerprint of main.ts + src/ as benchmarked (the tree may hold uncommitted work). */
export function sourceFingerprint(): { head: string | null; src_sha256_12: string } {
  const hasher = new Bun.CryptoHasher("sha256");
  const files = [join(ROOT, "main.ts"), ...[...new Bun.Glob("src/**/*.ts").scanSync({ cwd: ROOT })].sort().map((f) => join(ROOT, f))];
  for (const file of files) {
    hasher.update(file.slice(ROOT.length));
    hasher.update(safeRead(file));
  }
  let head: string | null = null;
  try {
    const ref = safeRead(join(ROOT, ".git", "HEAD")).trim();
    head = ref.startsWith("ref: ") ? safeRead(join(ROOT, ".git", ref.slice(5))).trim() || ref.slice(5) : ref;
  } catch {
    head = null;
  }
  return { head: head?.slice(0, 12) ?? null, src_sha256_12: hasher.digest("hex").slice(0, 12) };
}

/** Kill every child still running (on exit, on error, on Ctrl-C). */
export function killChildren(): void {
  for (const child of children) {
    try {
      child.kill("SIGKILL");
    } catch {
      // gone
    }
  }
  children.clear();
}
process.on("exit", killChildren);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killChildren();
    process.exit(130);
  });
}

/**
 * Open-file limit a child needs. Bun raises its soft limit to the hard one by itself; when the
 * hard limit is too low and we are root, the child is started through `sh -c 'ulimit -n N'`.
 */
let wantedFds = 0;
export function requireFds(count: number): { ok: boolean; hard: number; raised: boolean } {
  const [, hard] = fdLimits();
  if (hard >= count) return { ok: true, hard, raised: false };
  if (process.getuid?.() === 0) {
    wantedFds = Math.max(wantedFds, count);
    return { ok: true, hard, raised: true };
  }
  return { ok: false, hard, raised: false };
}

function withFdLimit(cmd: string[]): string[] {
  if (wantedFds === 0) return cmd;
  return ["sh", "-c", `ulimit -Hn ${wantedFds} && ulimit -Sn ${wantedFds} && exec "$@"`, "sh", ...cmd];
}

/** A free TCP port on the loopback (tiny race between close and reuse, fine on one machine). */
export function freePort(): number {
  const server = Bun.serve({ hostname: HOST, port: 0, fetch: () => new Response() });
  const port = server.port!;
  server.stop(true);
  return port;
}

export interface Mock {
  readonly port: number;
  readonly pid: number;
  readonly url: string;
  stats(): Promise<{ active: number; peak: number; streams: number; requests: number }>;
  resetStats(): Promise<void>;
  stop(): Promise<void>;
}

/** Spawn a helper that prints `{"port":N,...}` as its first stdout line; wait for that line. */
async function spawnListening(cmd: string[], what: string) {
  const proc = Bun.spawn(withFdLimit(cmd), { cwd: ROOT, stdout: "pipe", stderr: "inherit" });
  children.add(proc);
  const reader = proc.stdout.getReader();
  let text = "";
  const deadline = Date.now() + 10_000;
  while (!text.includes("\n")) {
    if (Date.now() > deadline) throw new Error(`${what} did not start within 10 s`);
    const { done, value } = await reader.read();
    if (done) throw new Error(`${what} exited before listening (code ${await proc.exited})`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const { port } = JSON.parse(text.split("\n")[0]!) as { port: number };
  return {
    proc,
    port,
    async stop() {
      proc.kill("SIGTERM");
      await Promise.race([proc.exited, sleep(2000)]);
      proc.kill("SIGKILL");
      children.delete(proc);
    },
  };
}

export async function startMock(chunks: number, intervalMs: number): Promise<Mock> {
  const child = await spawnListening(
    [BUN, join(ROOT, "bench", "mock.ts"), "--host", HOST, "--port", "0", "--chunks", String(chunks), "--interval-ms", String(intervalMs)],
    "mock",
  );
  const url = `http://${HOST}:${child.port}`;
  return {
    port: child.port,
    pid: child.proc.pid,
    url,
    stats: async () => (await fetch(`${url}/stats`)).json() as never,
    resetStats: async () => void (await fetch(`${url}/stats`, { method: "POST" })).arrayBuffer(),
    stop: child.stop,
  };
}

/** The bare Bun proxy of bench/floor.ts in front of `mockUrl`. */
export async function startFloor(mockUrl: string, relay = false) {
  const child = await spawnListening(
    [BUN, join(ROOT, "bench", "floor.ts"), "--host", HOST, "--port", "0", "--upstream", mockUrl, ...(relay ? ["--relay"] : [])],
    "floor proxy",
  );
  return { port: child.port, pid: child.proc.pid, url: `http://${HOST}:${child.port}`, stop: child.stop };
}

export type ProxyKind = "bun" | "binary";

export interface ProxyOptions {
  readonly kind: ProxyKind;
  readonly mockUrl: string;
  readonly requestLogging: boolean;
  readonly logLevel: "debug" | "info" | "warn" | "error";
  readonly workDir: string;
  readonly label: string;
  readonly env?: Record<string, string>;
}

export interface Proxy {
  readonly label: string;
  readonly port: number;
  readonly pid: number;
  readonly url: string;
  readonly logPath: string;
  readonly errPath: string;
  readonly spawnedAt: number;
  readonly proc: Subprocess;
  stop(): Promise<void>;
}

export function proxyCommand(kind: ProxyKind, configPath: string): string[] {
  return kind === "binary"
    ? [BINARY, "--config", configPath]
    : [BUN, join(ROOT, "main.ts"), "--config", configPath];
}

/** Write a config: one DMR endpoint (the mock), loopback listener, the given logging. */
export function writeProxyConfig(options: ProxyOptions, port: number): string {
  const yaml = `# written by bench/run.ts
server:
  host: ${HOST}
  port: ${port}
  request_logging: ${options.requestLogging}
  shutdown_timeout: 2s
proxy:
  load_balancer: priority
logging:
  level: ${options.logLevel}
  format: json
endpoints:
  - url: "${options.mockUrl}"
    name: "bench-mock"
    type: "docker-model-runner"
    priority: 100
    model_url: "/engines/v1/models"
    health_check_url: "/engines/v1/models"
    check_interval: 5s
    check_timeout: 2s
`;
  mkdirSync(options.workDir, { recursive: true });
  const path = join(options.workDir, `${options.label}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

/** Start a proxy and wait until a chat request through it answers 200. */
export async function startProxy(options: ProxyOptions): Promise<Proxy> {
  const port = freePort();
  const configPath = writeProxyConfig(options, port);
  const logPath = join(options.workDir, `${options.label}.log`);
  const errPath = join(options.workDir, `${options.label}.err`);
  const spawnedAt = performance.now();
  const proc = Bun.spawn(withFdLimit(proxyCommand(options.kind, configPath)), {
    cwd: ROOT,
    env: shippedEnv(options.env),
    stdout: Bun.file(logPath),
    stderr: Bun.file(errPath),
  });
  children.add(proc);
  const url = `http://${HOST}:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) {
      throw new Error(`proxy ${options.label} exited with ${proc.exitCode}: ${safeRead(errPath)}${safeRead(logPath)}`);
    }
    try {
      const res = await fetch(`${url}/olla/dmr/engines/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: CHAT_BODY,
      });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`proxy ${options.label} not ready within 15 s: ${safeRead(errPath)}`);
    await sleep(20);
  }
  return {
    label: options.label,
    port,
    pid: proc.pid,
    url,
    logPath,
    errPath,
    spawnedAt,
    proc,
    async stop() {
      proc.kill("SIGTERM");
      await Promise.race([proc.exited, sleep(3000)]);
      proc.kill("SIGKILL");
      await proc.exited;
      children.delete(proc);
    },
  };
}

/** Spawn a child for the start-up measurements; the caller owns its life. */
export function spawnTracked(cmd: string[], env?: Record<string, string>): Subprocess<"ignore", "pipe", "pipe"> {
  const proc = Bun.spawn(withFdLimit(cmd), {
    cwd: ROOT,
    env: shippedEnv(env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  children.add(proc);
  return proc;
}
export function untrack(proc: Subprocess): void {
  children.delete(proc);
}

export function readText(path: string): string {
  return safeRead(path);
}

export const CHAT_BODY = JSON.stringify({
  model: "ai/smollm2",
  messages: [{ role: "user", content: "Hello" }],
  max_tokens: 16,
});
export const STREAM_BODY = JSON.stringify({
  model: "ai/smollm2",
  messages: [{ role: "user", content: "Hello" }],
  max_tokens: 16,
  stream: true,
});
export const PROXY_CHAT_PATH = "/olla/dmr/engines/v1/chat/completions";
export const DIRECT_CHAT_PATH = "/engines/v1/chat/completions";
