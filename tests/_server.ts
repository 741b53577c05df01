/**
 * Start the real Tureen server as a child process on an ephemeral port, under the runtime
 * named by TUREEN_TEST_RUNTIME: "bun" (default), "deno", or "binary" (dist/tureen).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { stringify } from "yaml";

const ROOT = resolve(import.meta.dir, "..");
export const TEST_RUNTIME = (process.env.TUREEN_TEST_RUNTIME ?? "bun") as "bun" | "deno" | "binary";

export interface ServerUnderTest {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Every stdout line so far, parsed when it is JSON. */
  readonly logs: Array<Record<string, unknown>>;
  readonly stderr: string[];
  configPath: string;
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  signal(signal: "SIGTERM" | "SIGINT" | "SIGHUP"): void;
  exited: Promise<number>;
  stop(): Promise<void>;
}

export interface StartServerOptions {
  env?: Record<string, string>;
  args?: string[];
  /** Unix sockets the server connects to: Deno needs --allow-write for each. */
  sockets?: string[];
  /** Extra files beside the config file, by relative path (e.g. profiles/x.yaml). */
  files?: Record<string, string>;
}

/** The command that runs Tureen under the runtime being tested (`sockets`: unix sockets Deno may write). */
export function tureenCommand(sockets: string[] = []): string[] {
  if (TEST_RUNTIME === "deno") {
    const write = sockets.length > 0 ? [`--allow-write=${sockets.join(",")}`] : [];
    return [join(ROOT, "node_modules/.bin/deno"), "run", "--allow-net", "--allow-env", "--allow-read", ...write, join(ROOT, "main.ts")];
  }
  if (TEST_RUNTIME === "binary") return [join(ROOT, "dist/tureen")];
  return [process.execPath, join(ROOT, "main.ts")];
}

export function writeConfig(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), "tureen-test-"));
  const path = join(dir, "config.yaml");
  writeFileSync(path, typeof config === "string" ? config : stringify(config));
  return path;
}

/** A config for the given emulated DMR backends, listening on an ephemeral port. */
export function dmrConfig(
  backends: Array<{ url: string; name: string; priority?: number; [key: string]: unknown }>,
  extra: Record<string, any> = {},
): Record<string, unknown> {
  return {
    ...extra,
    server: { host: "127.0.0.1", port: 0, ...extra.server },
    logging: { level: "debug", format: "json", ...extra.logging },
    endpoints: backends.map((b) => ({
      type: "docker-model-runner",
      check_interval: "1s",
      check_timeout: "1s",
      ...b,
    })),
  };
}

export async function startServer(config: unknown, options: StartServerOptions = {}): Promise<ServerUnderTest> {
  const configPath = writeConfig(config);
  for (const [relative, text] of Object.entries(options.files ?? {})) {
    const target = join(dirname(configPath), relative);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
  const proc = Bun.spawn([...tureenCommand(options.sockets), "--config", configPath, ...(options.args ?? [])], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const logs: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  void (async () => {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of proc.stdout) {
      pending += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = pending.indexOf("\n")) !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        try {
          logs.push(JSON.parse(line));
        } catch {
          logs.push({ raw: line });
        }
      }
      notify();
    }
  })();
  void (async () => {
    for await (const chunk of proc.stderr) stderr.push(new TextDecoder().decode(chunk));
    notify();
  })();
  const exited = proc.exited;
  const waitForLog: ServerUnderTest["waitForLog"] = (match, timeoutMs = 10_000) =>
    new Promise((resolveLine, reject) => {
      const check = () => {
        const found = logs.find(match);
        if (found) {
          cleanup();
          resolveLine(found);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`No matching log line within ${timeoutMs}ms; logs:\n${logs.map((l) => JSON.stringify(l)).join("\n")}\nstderr:\n${stderr.join("")}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  const listening = await Promise.race([
    waitForLog((l) => l.msg === "listening", 20_000),
    exited.then((code) => {
      throw new Error(`Server exited with ${code} before listening:\n${stderr.join("")}\n${JSON.stringify(logs)}`);
    }),
  ]);
  const port = listening.port as number;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: proc.pid,
    logs,
    stderr,
    configPath,
    waitForLog,
    signal: (signal) => proc.kill(signal),
    exited,
    async stop() {
      proc.kill("SIGKILL");
      await exited;
    },
  };
}

/** Wait until `predicate` holds, polling every 10 ms. */
export async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs}ms`);
    await Bun.sleep(10);
  }
}

/** Wait until every endpoint is healthy and has listed its models. */
export function untilAllHealthy(server: ServerUnderTest, timeoutMs = 8_000): Promise<void> {
  return until(async () => {
    const status = await (await fetch(`${server.url}/internal/status/endpoints`)).json();
    return status.endpoints.every((e: { status: string; model_count: number }) => e.status === "healthy" && e.model_count > 0);
  }, timeoutMs);
}
