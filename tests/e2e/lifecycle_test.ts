/**
 * The process lifecycle against the real server (bun, deno or the compiled binary, per
 * TUREEN_TEST_RUNTIME): graceful shutdown that never drops a stream, the shutdown deadline,
 * a second signal, and the command line (--validate-config, --print-config, healthcheck,
 * starting with no config file as the container does).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { type DmrEmulator, startDmr } from "../emulators/dmr.ts";
import { dmrConfig, type ServerUnderTest, startServer, TEST_RUNTIME, writeConfig } from "../_server.ts";

const ROOT = resolve(import.meta.dir, "../..");

/** The command that runs Tureen under the runtime being tested (as tests/_server.ts does). */
function tureen(): string[] {
  if (TEST_RUNTIME === "deno") {
    return [join(ROOT, "node_modules/.bin/deno"), "run", "--allow-net", "--allow-env", "--allow-read", join(ROOT, "main.ts")];
  }
  if (TEST_RUNTIME === "binary") return [join(ROOT, "dist/tureen")];
  return [process.execPath, join(ROOT, "main.ts")];
}

/** Environment without any OLLA_* variable from the outer shell, plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("OLLA_") && value !== undefined) env[key] = value;
  return { ...env, ...extra };
}

async function run(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
  const proc = Bun.spawn([...tureen(), ...args], {
    cwd: options.cwd ?? ROOT,
    env: cleanEnv(options.env),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

let dmr: DmrEmulator;

beforeAll(async () => {
  dmr = await startDmr({ models: [{ tag: "docker.io/ai/smollm2:latest" }] });
});

afterAll(async () => {
  await dmr?.stop();
});

const TOKENS = (n: number) => Array.from({ length: n }, (_, i) => ` t${i}`);

function streamChat(server: ServerUnderTest): Promise<Response> {
  return fetch(`${server.url}/olla/dmr/engines/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "smollm2", messages: [{ role: "user", content: "hi" }], stream: true }),
  });
}

/** Read the first chunk, then hand back a function that reads the rest (never throws). */
async function openStream(res: Response) {
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const first = await reader.read();
  let text = decoder.decode(first.value);
  return async (): Promise<{ text: string; error: string | null }> => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return { text, error: null };
        text += decoder.decode(value, { stream: true });
      }
    } catch (error) {
      return { text, error: (error as Error).message };
    }
  };
}

const events = (text: string) => text.split("\n\n").filter(Boolean);

describe("graceful shutdown", () => {
  test("SIGTERM during a stream: no new connections, the stream completes, exit 0", async () => {
    dmr.options.chunkDelayMs = 100;
    dmr.options.tokens = TOKENS(7); // role + 7 tokens + finish + [DONE] = 10 events, ~1 s
    // A deadline far past the ~1 s stream, so exiting before it proves the drain, not the deadline.
    const server = await startServer(dmrConfig([{ url: dmr.url, name: "dmr" }], { server: { shutdown_timeout: "20s" } }));
    try {
      const rest = await openStream(await streamChat(server));
      const signalledAt = performance.now();
      server.signal("SIGTERM");
      const stopping = await server.waitForLog((l) => String(l.msg).startsWith("shutting down"));
      expect(stopping.in_flight).toBe(1);
      expect(stopping.shutdown_timeout_ms).toBe(20_000);
      // The listener is closed at once: a new connection is refused while the stream drains.
      await expect(fetch(`${server.url}/internal/health`, { keepalive: false })).rejects.toThrow();

      const { text, error } = await rest();
      expect(error).toBeNull();
      expect(events(text)).toHaveLength(10);
      expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
      expect(await server.exited).toBe(0);
      expect(performance.now() - signalledAt).toBeLessThan(10_000);
      const stopped = server.logs.find((l) => l.msg === "stopped")!;
      expect(stopped).toBeDefined();
      expect(stopped.cut).toBe(0);
      const access = server.logs.find((l) => l.msg === "request" && l.path === "/olla/dmr/engines/v1/chat/completions");
      expect(access?.outcome).toBe("complete");
    } finally {
      dmr.options.chunkDelayMs = 0;
      await server.stop();
    }
  });

  test("a stream still open at server.shutdown_timeout is cut, logged, and the exit is still 0", async () => {
    dmr.options.chunkDelayMs = 100;
    dmr.options.tokens = TOKENS(60); // ~6 s, far past the 300 ms deadline
    const server = await startServer(dmrConfig([{ url: dmr.url, name: "dmr" }], { server: { shutdown_timeout: "300ms" } }));
    try {
      const rest = await openStream(await streamChat(server));
      const signalledAt = performance.now();
      server.signal("SIGTERM");
      const code = await server.exited;
      const elapsed = performance.now() - signalledAt;
      expect(code).toBe(0);
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(4000);
      const deadline = server.logs.find((l) => String(l.msg).startsWith("shutdown deadline reached"));
      expect(deadline?.open).toBe(1);
      expect(server.logs.find((l) => l.msg === "stopped")?.cut).toBe(1);
      const { text } = await rest();
      expect(text).not.toContain("[DONE]");
      expect(events(text).length).toBeLessThan(10);
    } finally {
      dmr.options.chunkDelayMs = 0;
      await server.stop();
    }
  });

  test("a second signal exits at once with code 1", async () => {
    dmr.options.chunkDelayMs = 100;
    dmr.options.tokens = TOKENS(60); // ~6 s: exiting well before it ends proves the second signal
    const server = await startServer(dmrConfig([{ url: dmr.url, name: "dmr" }], { server: { shutdown_timeout: "10s" } }));
    try {
      const rest = await openStream(await streamChat(server));
      server.signal("SIGTERM");
      await server.waitForLog((l) => String(l.msg).startsWith("shutting down"));
      const secondAt = performance.now();
      server.signal("SIGINT");
      expect(await server.exited).toBe(1);
      expect(performance.now() - secondAt).toBeLessThan(3000);
      await rest();
    } finally {
      dmr.options.chunkDelayMs = 0;
      await server.stop();
    }
  });

  test("SIGINT on an idle server exits 0 at once", async () => {
    const server = await startServer(dmrConfig([{ url: dmr.url, name: "dmr" }]));
    const signalledAt = performance.now();
    server.signal("SIGINT");
    expect(await server.exited).toBe(0);
    // "At once" rules out waiting for server.shutdown_timeout (10 s).
    expect(performance.now() - signalledAt).toBeLessThan(5000);
    expect(server.logs.find((l) => l.msg === "stopped")?.signal).toBe("SIGINT");
  });
});

describe("--validate-config", () => {
  test("a good file: exit 0 and a summary", async () => {
    const path = writeConfig(dmrConfig([{ url: dmr.url, name: "a" }, { url: dmr.url, name: "b" }]));
    const { code, stdout } = await run(["--validate-config", "--config", path]);
    expect(code).toBe(0);
    expect(stdout).toContain(`Config ${path} is valid: 2 endpoint(s)`);
  });

  test("a bad file: exit 1 and every problem listed with its key path", async () => {
    const path = writeConfig({
      server: { port: 99999, shutdown_timeout: "soon" },
      proxy: { load_balancer: "random" },
      endpoints: [{ url: dmr.url, name: "a", check_intervall: "5s" }],
    });
    const { code, stdout, stderr } = await run(["--validate-config", "--config", path]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain(`Cannot load config "${path}"`);
    for (const key of ["server.port", "server.shutdown_timeout", "proxy.load_balancer", "endpoints[0].check_intervall"]) {
      expect(stderr).toContain(`  - ${key}:`);
    }
  });

  test("a missing file: exit 1", async () => {
    const { code, stderr } = await run(["--validate-config", "--config", "/nonexistent/tureen.yaml"]);
    expect(code).toBe(1);
    expect(stderr).toContain("does not exist");
  });

  test("usage errors exit 2; --help and --version exit 0", async () => {
    const bad = await run(["--frobnicate"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown argument "--frobnicate"');
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("healthcheck");
    expect(help.stdout).toContain("--print-config");
    const version = await run(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^tureen \d+\.\d+\.\d+ \((bun|deno) /);
  });
});

describe("--print-config", () => {
  test("prints the effective config after env overrides, with header and auth values masked", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tureen-print-"));
    const keyFile = join(dir, "key");
    writeFileSync(keyFile, "file-key-0123\n");
    const path = writeConfig({
      server: { host: "127.0.0.1", port: 40114 },
      endpoints: [
        {
          url: dmr.url,
          name: "bearer",
          headers: { "X-Team": "team-secret-42" },
          auth: { type: "bearer", token: "${TUREEN_TEST_TOKEN}" },
        },
        { url: dmr.url, name: "keyed", auth: { type: "api_key", key_file: keyFile, header: "X-Api-Key" } },
        { url: dmr.url, name: "basic", auth: { type: "basic", username: "alice", password: "pa55word" } },
      ],
    });
    const { code, stdout, stderr } = await run(["--print-config", "--config", path], {
      env: { TUREEN_TEST_TOKEN: "sk-live-123", OLLA_SERVER_PORT: "41234", OLLA_PROXY_LOAD_BALANCER: "round-robin" },
    });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    for (const secret of ["sk-live-123", "team-secret-42", "file-key-0123", "pa55word", btoa("alice:pa55word")]) {
      expect(stdout).not.toContain(secret);
    }
    const doc = parse(stdout);
    expect(doc.server.port).toBe(41234);
    expect(doc.proxy.load_balancer).toBe("round-robin");
    expect(doc.server.shutdown_timeout).toBe("10s");
    const byName = Object.fromEntries(doc.endpoints.map((e: { name: string }) => [e.name, e]));
    expect(byName.bearer.headers).toEqual({ "X-Team": "***", Authorization: "***" });
    expect(byName.keyed.headers).toEqual({ "X-Api-Key": "***" });
    expect(byName.basic.headers).toEqual({ Authorization: "***" });

    // The output is itself a valid config.
    const printed = writeConfig(stdout);
    const check = await run(["--validate-config", "--config", printed]);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain("3 endpoint(s)");
  });
});

describe("healthcheck", () => {
  let server: ServerUnderTest;
  beforeAll(async () => {
    server = await startServer(dmrConfig([{ url: dmr.url, name: "dmr" }]));
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("exit 0 when /internal/health answers 200 (--url)", async () => {
    const { code, stdout } = await run(["healthcheck", "--url", server.url]);
    expect(code).toBe(0);
    expect(stdout).toContain("healthy");
  });

  test("the URL comes from the config, with 0.0.0.0 meaning 127.0.0.1", async () => {
    const path = writeConfig({ server: { host: "0.0.0.0", port: server.port } });
    expect((await run(["healthcheck", "--config", path])).code).toBe(0);
    // As in the container: no file, OLLA_SERVER_HOST=0.0.0.0.
    const cwd = mkdtempSync(join(tmpdir(), "tureen-empty-"));
    const viaEnv = await run(["healthcheck"], { cwd, env: { OLLA_SERVER_HOST: "0.0.0.0", OLLA_SERVER_PORT: String(server.port) } });
    expect(viaEnv.code).toBe(0);
  });

  test("exit 1 when nothing listens, when the answer is not 200, and when no answer comes within 2 s", async () => {
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
    const closedUrl = `http://127.0.0.1:${closed.port}`;
    await closed.stop(true);
    const refused = await run(["healthcheck", "--url", closedUrl]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("unhealthy");

    // The DMR emulator has no /internal/health: 404.
    const notFound = await run(["healthcheck", "--url", dmr.url]);
    expect(notFound.code).toBe(1);
    expect(notFound.stderr).toContain("404");

    const silent = Bun.serve({ port: 0, hostname: "127.0.0.1", idleTimeout: 30, fetch: () => new Promise<Response>(() => {}) });
    try {
      const started = performance.now();
      const hung = await run(["healthcheck", "--url", `http://127.0.0.1:${silent.port}`]);
      expect(hung.code).toBe(1);
      expect(hung.stderr).toContain("within 2000ms");
      // Process start-up under load included; the silent server would hold it for 30 s.
      expect(performance.now() - started).toBeLessThan(15_000);
    } finally {
      await silent.stop(true);
    }
  });
});

describe("as the container runs it", () => {
  test("no config file: starts on the built-in defaults, binds OLLA_SERVER_HOST, stops on SIGTERM", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "tureen-empty-"));
    const proc = Bun.spawn([...tureen()], {
      cwd,
      env: cleanEnv({ OLLA_SERVER_HOST: "0.0.0.0", OLLA_SERVER_PORT: "0", OLLA_LOGGING_FORMAT: "json" }),
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      const reader = proc.stdout.getReader();
      let out = "";
      let listening: Record<string, unknown> | undefined;
      const deadline = Date.now() + 20_000;
      while (!listening && Date.now() < deadline) {
        const { done, value } = await reader.read();
        if (done) break;
        out += new TextDecoder().decode(value);
        listening = out.split("\n").filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.msg === "listening");
      }
      expect(listening).toBeDefined();
      expect(listening!.config).toBe("(built-in defaults)");
      expect(listening!.endpoints).toEqual(["local-dmr=http://localhost:12434"]);
      expect(String(listening!.url)).toStartWith("http://0.0.0.0:");
      const port = String(listening!.port);
      const check = await run(["healthcheck"], { cwd, env: { OLLA_SERVER_HOST: "0.0.0.0", OLLA_SERVER_PORT: port } });
      expect(check.code).toBe(0);
      reader.releaseLock();
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
    } finally {
      proc.kill("SIGKILL");
    }
  });
});
