/**
 * A/B experiment: how much of the proxy's per-request cost is the request-body reader and how
 * much is the relay wrapper? Copies main.ts + src/ to a temp folder, adds two switches there
 * (never in the repo), and measures each variant against the bench mock, interleaved:
 *
 *   AB_ARRAYBUFFER=1  readBodyWithin() returns `new Uint8Array(await request.arrayBuffer())`
 *                     instead of reading the body with a ReadableStream reader loop
 *   AB_NO_RELAY=1     relayBody() returns the backend body as is (Bun pipes it natively)
 *                     instead of wrapping it in a JS ReadableStream with pull()
 *
 * Per variant: wrk c=64 req/s, c=1 p50 (Bun fetch loop, 0.7 s per round) and the TTFB of short
 * streams (15 per round). Measurement only: with AB_NO_RELAY the relay's onEnd never fires, so in-flight counters and
 * access-log lines are wrong in that variant. Also measured: the bare Bun proxies of
 * bench/floor.ts and the direct path.
 *
 *   bun bench/ab.ts [--seconds 3] [--rounds 3]      → bench/results/ab-latest.json
 */
/// <reference types="bun-types" />
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sequentialRound, streamOnce } from "./clients.ts";
import { BUN, DIRECT_CHAT_PATH, freePort, median, PROXY_CHAT_PATH, ROOT, round, startFloor, startMock, untilAnswering, writeProxyConfig } from "./lib.ts";
import { ensureWrk, runWrk } from "./wrk.ts";

const argv = Bun.argv.slice(2);
const value = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
};
const SECONDS = Number(value("seconds", "3"));
const ROUNDS = Number(value("rounds", "3"));

const wrk = ensureWrk(console.error);
if (!wrk.path) {
  console.error(`wrk is needed for this experiment: ${wrk.note}`);
  process.exit(1);
}

// A copy of the tree with the two switches added.
const copy = mkdtempSync(join(tmpdir(), "tureen-ab-"));
cpSync(join(ROOT, "main.ts"), join(copy, "main.ts"));
cpSync(join(ROOT, "src"), join(copy, "src"), { recursive: true });
cpSync(join(ROOT, "package.json"), join(copy, "package.json"));
symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));

function insertAfterSignature(file: string, signature: string, line: string): void {
  const path = join(copy, file);
  const lines = readFileSync(path, "utf8").split("\n");
  const at = lines.findIndex((l) => l.includes(signature));
  if (at === -1 || !lines[at]!.trimEnd().endsWith("{")) {
    console.error(`cannot apply the switch: no one-line "${signature} ... {" in ${file} any more; update bench/ab.ts`);
    process.exit(1);
  }
  lines.splice(at + 1, 0, line);
  writeFileSync(path, lines.join("\n"));
}
insertAfterSignature("src/proxying/relay.ts", "export function relayBody(", "  if (process.env.AB_NO_RELAY) return body;");
insertAfterSignature(
  "src/http/body.ts",
  "export async function readBodyWithin(",
  "  if (process.env.AB_ARRAYBUFFER) return new Uint8Array(await request.arrayBuffer());",
);

const mock = await startMock(5, 10);
const work = join(copy, "work");
mkdirSync(work);
const variants: Record<string, Record<string, string>> = {
  "tureen as is": {},
  "tureen, body via arrayBuffer()": { AB_ARRAYBUFFER: "1" },
  "tureen, no relay wrapper": { AB_NO_RELAY: "1" },
  "tureen, both": { AB_ARRAYBUFFER: "1", AB_NO_RELAY: "1" },
};
const targets: Array<{ name: string; url: string }> = [];
const procs: Array<ReturnType<typeof Bun.spawn>> = [];
for (const [name, env] of Object.entries(variants)) {
  const port = freePort();
  const config = writeProxyConfig(
    { kind: "bun", mockUrl: mock.url, requestLogging: false, logLevel: "error", workDir: work, label: name.replace(/\W+/g, "-") },
    port,
  );
  procs.push(Bun.spawn([BUN, join(copy, "main.ts"), "--config", config], { cwd: copy, env: { ...process.env, ...env }, stdout: "ignore", stderr: "inherit" }));
  targets.push({ name, url: `http://127.0.0.1:${port}${PROXY_CHAT_PATH}` });
}
const floor = await startFloor(mock.url);
const floorRelay = await startFloor(mock.url, true);
targets.push({ name: "floor: bare Bun proxy", url: floor.url + PROXY_CHAT_PATH });
targets.push({ name: "floor + JS relay stream", url: floorRelay.url + PROXY_CHAT_PATH });
targets.push({ name: "direct", url: mock.url + DIRECT_CHAT_PATH });

// Ready and warm.
for (const t of targets) {
  await untilAnswering(t.url, 200, 25);
  await runWrk(wrk.path, t.url, { connections: 64, threads: 1, durationS: 1 });
}

const rps: Record<string, number[]> = {};
const c1: Record<string, number[]> = {};
const ttfb: Record<string, number[]> = {};
for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < targets.length; i++) {
    const t = targets[(i + r) % targets.length]!;
    (rps[t.name] ??= []).push((await runWrk(wrk.path, t.url, { connections: 64, threads: 1, durationS: SECONDS })).rps);
    (c1[t.name] ??= []).push(median((await sequentialRound(t.url, 700, 50)).latencies));
    const firsts: number[] = [];
    for (let k = 0; k < 15; k++) firsts.push((await streamOnce(t.url, 2, 10)).ttfbMs);
    (ttfb[t.name] ??= []).push(median(firsts));
  }
}
for (const p of procs) p.kill("SIGKILL");
await floor.stop();
await floorRelay.stop();
await mock.stop();
rmSync(copy, { recursive: true, force: true });

const base = median(rps["tureen as is"]!);
const direct = median(rps.direct!);
const rows = targets.map((t) => ({
  variant: t.name,
  rps_c64: Math.round(median(rps[t.name]!)),
  vs_tureen_as_is: round(median(rps[t.name]!) / base, 2),
  ratio_to_direct: round(median(rps[t.name]!) / direct, 3),
  c1_p50_ms: round(median(c1[t.name]!), 3),
  stream_ttfb_p50_ms: round(median(ttfb[t.name]!), 3),
  rps_per_round: rps[t.name]!.map(Math.round),
}));
const out = join(ROOT, "bench", "results", "ab-latest.json");
mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), bun: Bun.version, seconds: SECONDS, rounds: ROUNDS, rows }, null, 2) + "\n");
console.log("| Variant | req/s at c=64 (wrk) | × Tureen as is | ÷ direct | c=1 p50 | stream TTFB p50 |");
console.log("|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(`| ${r.variant} | ${r.rps_c64} | ${r.vs_tureen_as_is} | ${r.ratio_to_direct} | ${r.c1_p50_ms} ms | ${r.stream_ttfb_p50_ms} ms |`);
}
console.error(`written ${out.replace(ROOT + "/", "")}`);
process.exit(0);
