/**
 * Start-up refusals: a port another process holds, and a --config that names a directory,
 * both end with exit 1 and one clear line, on every runtime.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dmrConfig, startServer, tureenCommand, writeConfig } from "../_server.ts";
import { later } from "./_setup.ts";

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([...tureenCommand(), ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, OLLA_CONFIG_FILE: "" } });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

describe("start-up refusals", () => {
  test("a port already in use: exit 1 naming the port, and the first server keeps every request", async () => {
    const first = await startServer(dmrConfig([]));
    later(() => first.stop());
    const { code, stdout } = await run(["--config", writeConfig(dmrConfig([], { server: { port: first.port } }))]);
    expect(code).toBe(1);
    expect(stdout).toContain('"msg":"cannot listen"');
    expect(stdout).toContain(`"port":${first.port}`);
    expect(stdout).not.toContain('"msg":"listening"');
  });

  test("--config naming a directory: the same one-line error as a missing file, exit 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tureen-dir-"));
    const { code, stdout, stderr } = await run(["--config", dir]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(`Cannot load config "${dir}":\n  - --config names a path that is a directory, not a file: name the YAML file inside it\n`);
  });
});
