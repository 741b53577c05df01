/**
 * Configured secrets never come back out: not from the status API, the "listening" line,
 * --print-config or a config error, and a credential in a URL is refused at load.
 */
import { describe, expect, test } from "bun:test";
import { startDmr } from "../emulators/dmr.ts";
import { dmrConfig, startServer, tureenCommand, until, writeConfig } from "../_server.ts";
import { later } from "./_setup.ts";

const SECRET = "sk-live-0123456789";

async function run(args: string[]): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn([...tureenCommand(), ...args], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out: stdout + stderr };
}

describe("secrets in URLs and config", () => {
  test("query values are masked in the status API, the listening line and --print-config", async () => {
    const dmr = await startDmr({ models: [{ tag: "docker.io/ai/smollm2:latest" }] });
    later(() => dmr.stop());
    const config = dmrConfig([{ url: `${dmr.url}/?api_key=${SECRET}`, name: "dmr", health_check_url: `/engines/v1/models?token=${SECRET}` }]);
    const server = await startServer(config);
    later(() => server.stop());
    await until(async () => (await (await fetch(`${server.url}/internal/status/endpoints`)).json()).routable_count === 1);
    for (const path of ["/internal/status", "/internal/status/endpoints", "/internal/status/models"]) {
      const text = await (await fetch(server.url + path)).text();
      expect(text).not.toContain(SECRET);
    }
    expect(JSON.stringify(server.logs)).not.toContain(SECRET);
    expect(JSON.stringify(server.logs.find((l) => l.msg === "listening"))).toContain("api_key=***");
    const printed = await run(["--print-config", "--config", writeConfig(config)]);
    expect(printed.code).toBe(0);
    expect(printed.out).not.toContain(SECRET);
    expect(printed.out).toContain("api_key=***");
  });

  test("user:password@ in any endpoint URL is refused at load, naming auth, without echoing it", async () => {
    for (const field of ["url", "model_url", "health_check_url"]) {
      const endpoint: Record<string, string> = { url: "http://127.0.0.1:1", name: "dmr" };
      endpoint[field] = `http://alice:${SECRET}@127.0.0.1:1${field === "url" ? "" : "/engines/v1/models"}`;
      const { code, out } = await run(["--validate-config", "--config", writeConfig(dmrConfig([endpoint as any]))]);
      expect(code).toBe(1);
      expect(out).toContain(`endpoints[0].${field}`);
      expect(out).toContain("use the endpoint's auth or headers instead");
      expect(out).not.toContain(SECRET);
    }
  });

  test("a mistyped token is never printed in the config error", async () => {
    const endpoint = { url: "http://127.0.0.1:1", name: "dmr", auth: { type: "bearer", token: 987654321 } };
    const { code, out } = await run(["--validate-config", "--config", writeConfig(dmrConfig([endpoint as any]))]);
    expect(code).toBe(1);
    expect(out).toContain("endpoints[0].auth.token");
    expect(out).not.toContain("987654321");
  });
});
