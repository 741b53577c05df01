/**
 * CPU time the proxy process spends per request, at c=1 and c=64, for several checkouts of
 * Tureen measured in alternation against one bench mock. On a shared machine, req/s moves by
 * ±20% from run to run; the process's own CPU time per request (utime + stime from /proc, all
 * threads) moves far less, and alternating the checkouts spreads any drift over all of them.
 * Used to find which change made a request more expensive (one checkout per commit).
 *
 *   bun bench/cpu.ts [--rounds 4] [--seconds 3] <checkout> [<checkout> ...]
 *
 * Each checkout is a directory with main.ts and node_modules (e.g. a `git worktree`). Prints,
 * per checkout, the median CPU µs per request at c=1 and c=64 and the c=1 req/s (wrk, one
 * connection, so the inverse of the mean round trip). Linux only (reads /proc).
 */
/// <reference types="bun-types" />
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BUN, freePort, HOST, median, PROXY_CHAT_PATH, startMock, untilAnswering, writeProxyConfig } from "./lib.ts";
import { ensureWrk, runWrk } from "./wrk.ts";

const argv = Bun.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const [value] = argv.splice(i, 2).slice(1);
  return Number(value);
};
const ROUNDS = option("rounds", 4);
const SECONDS = option("seconds", 3);
const CHECKOUTS = argv.map((dir) => resolve(dir));
if (CHECKOUTS.length === 0) {
  console.error("usage: bun bench/cpu.ts [--rounds 4] [--seconds 3] <checkout> [<checkout> ...]");
  process.exit(2);
}
const wrk = ensureWrk(console.error);
if (!wrk.path) {
  console.error(`wrk is needed: ${wrk.note}`);
  process.exit(1);
}

/** utime + stime of a process, in clock ticks (100 per second on Linux). */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

const mock = await startMock(20, 10);
const results = new Map(CHECKOUTS.map((dir) => [dir, { c1: [] as number[], c64: [] as number[], rps1: [] as number[] }]));
for (let round = 0; round < ROUNDS; round++) {
  for (const dir of CHECKOUTS) {
    const port = freePort();
    const config = writeProxyConfig(
      { kind: "bun", mockUrl: mock.url, requestLogging: false, logLevel: "warn", workDir: mkdtempSync(join(tmpdir(), "tureen-cpu-")), label: "cpu" },
      port,
    );
    // One process: the proxy re-executes itself unless this is already set.
    const proc = Bun.spawn([BUN, join(dir, "main.ts"), "--config", config], {
      cwd: dir,
      env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: "65535" },
      stdout: "ignore",
      stderr: "inherit",
    });
    const url = `http://${HOST}:${port}${PROXY_CHAT_PATH}`;
    if (!(await untilAnswering(url))) throw new Error(`${dir}: the proxy did not answer at ${url}`);
    await runWrk(wrk.path, url, { connections: 8, threads: 1, durationS: 1 }); // JIT warm-up
    const into = results.get(dir)!;
    for (const connections of [1, 64]) {
      const before = cpuTicks(proc.pid);
      const run = await runWrk(wrk.path, url, { connections, threads: 1, durationS: SECONDS });
      const micros = ((cpuTicks(proc.pid) - before) * 10_000) / run.requests;
      (connections === 1 ? into.c1 : into.c64).push(Math.round(micros));
      if (connections === 1) into.rps1.push(Math.round(run.rps));
    }
    proc.kill();
    await proc.exited;
  }
}
await mock.stop();
console.log("| checkout | CPU µs/request, c=1 | CPU µs/request, c=64 | c=1 req/s |\n|---|---|---|---|");
for (const [dir, r] of results) {
  const show = (values: number[]) => `${median(values)} (${values.join(", ")})`;
  console.log(`| ${dir} | ${show(r.c1)} | ${show(r.c64)} | ${show(r.rps1)} |`);
}
process.exit(0);
