/**
 * wrk (Debian's package) as the load generator: installed on demand when missing and root,
 * driven with bench/post.lua, read from the JSON line that script prints.
 */
/// <reference types="bun-types" />
import { join } from "node:path";
import { ROOT } from "./lib.ts";

export interface WrkResult {
  rps: number;
  requests: number;
  durationS: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyUs: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
}

/** Path of wrk, installing it with apt-get when missing and running as root; null otherwise. */
export function ensureWrk(log: (line: string) => void): { path: string | null; note: string } {
  const found = Bun.which("wrk");
  if (found) return { path: found, note: "wrk found on PATH" };
  if (process.getuid?.() !== 0) return { path: null, note: "wrk missing and not root: cannot apt-get install it" };
  if (!Bun.which("apt-get")) return { path: null, note: "wrk missing and no apt-get on this machine" };
  log("wrk is missing: running apt-get install -y wrk (Debian package) ...");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  let install = Bun.spawnSync(["apt-get", "install", "-y", "-qq", "wrk"], { env, stdout: "pipe", stderr: "pipe" });
  if (install.exitCode !== 0) {
    Bun.spawnSync(["apt-get", "update", "-qq"], { env, stdout: "ignore", stderr: "ignore" });
    install = Bun.spawnSync(["apt-get", "install", "-y", "-qq", "wrk"], { env, stdout: "pipe", stderr: "pipe" });
  }
  const path = Bun.which("wrk");
  return path
    ? { path, note: "wrk installed by the harness (apt-get install -y wrk)" }
    : { path: null, note: `apt-get install wrk failed: ${install.stderr.toString().trim().split("\n").at(-1)}` };
}

export async function runWrk(
  wrk: string,
  url: string,
  options: { connections: number; threads: number; durationS: number },
): Promise<WrkResult> {
  const proc = Bun.spawn(
    [
      wrk,
      `-t${options.threads}`,
      `-c${options.connections}`,
      `-d${options.durationS}s`,
      "--timeout",
      "5s",
      "-s",
      join(ROOT, "bench", "post.lua"),
      url,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const line = out.split("\n").find((l) => l.startsWith("WRKJSON "));
  if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}): ${err || out}`);
  const parsed = JSON.parse(line.slice("WRKJSON ".length));
  const durationS = parsed.duration_us / 1e6;
  return {
    rps: parsed.requests / durationS,
    requests: parsed.requests,
    durationS,
    errors: parsed.errors,
    latencyUs: parsed.latency_us,
  };
}
