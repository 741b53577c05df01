/**
 * Where the proxy's time goes under load: run `bun --cpu-prof main.ts` in front of the bench
 * mock, drive it with wrk (c=64 non-streaming, or --stream for c=1 streams), stop it with
 * SIGTERM so Bun writes the profile, and summarise self and inclusive time per function and
 * per area (Tureen src/, Hono, Bun builtins, GC, ...).
 *
 *   bun bench/profile.ts [--seconds 8] [--connections 64] [--stream] [--out bench/results/profile-c64.md]
 *
 * The raw .cpuprofile and Bun's own --cpu-prof-md output stay in a temp folder (path printed).
 */
/// <reference types="bun-types" />
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fetchThroughput, streamOnce } from "./clients.ts";
import { BUN, freePort, HOST, PROXY_CHAT_PATH, ROOT, sleep, startMock, untilAnswering, writeProxyConfig } from "./lib.ts";
import { ensureWrk, runWrk } from "./wrk.ts";

const argv = Bun.argv.slice(2);
const value = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
};
const STREAM = argv.includes("--stream");
const SECONDS = Number(value("seconds", "8"));
const CONNECTIONS = Number(value("connections", "64"));
const OUT = value("out", join(ROOT, "bench", "results", STREAM ? "profile-stream.md" : `profile-c${CONNECTIONS}.md`));

const dir = mkdtempSync(join(tmpdir(), "tureen-prof-"));
const mock = await startMock(20, 10);
const port = freePort();
const config = writeProxyConfig(
  { kind: "bun", mockUrl: mock.url, requestLogging: false, logLevel: "warn", workDir: dir, label: "prof" },
  port,
);
// The proxy re-executes itself to set BUN_CONFIG_MAX_HTTP_REQUESTS, and the re-exec does not
// pass Bun's own flags (--cpu-prof) on: setting the variable here keeps it to one process.
const proc = Bun.spawn([BUN, "--cpu-prof", `--cpu-prof-dir=${dir}`, "--cpu-prof-md", join(ROOT, "main.ts"), "--config", config], {
  cwd: ROOT,
  env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: "65535" },
  stdout: "inherit",
  stderr: "inherit",
});
const url = `http://${HOST}:${port}${PROXY_CHAT_PATH}`;
await untilAnswering(url);
let load: string;
if (STREAM) {
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  while (performance.now() < end) {
    await streamOnce(url, 20, 10);
    n++;
  }
  load = `${n} sequential streams of 20 events every 10 ms over ${SECONDS} s`;
} else {
  const wrk = ensureWrk(console.error);
  if (wrk.path) {
    const r = await runWrk(wrk.path, url, { connections: CONNECTIONS, threads: 1, durationS: SECONDS });
    load = `wrk -t1 -c${CONNECTIONS} -d${SECONDS}s: ${Math.round(r.rps)} req/s`;
  } else {
    const r = await fetchThroughput(url, CONNECTIONS, SECONDS * 1000);
    load = `in-process fetch c=${CONNECTIONS} for ${SECONDS} s: ${Math.round(r.rps)} req/s`;
  }
}
proc.kill("SIGTERM");
await Promise.race([proc.exited, sleep(10_000)]);
proc.kill("SIGKILL");
await mock.stop();

const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
if (!file) {
  console.error(`no .cpuprofile written in ${dir}`);
  process.exit(1);
}

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

function where(n: Node): string {
  const u = n.callFrame.url.replace(/^file:\/\//, "");
  if (!u) return "";
  if (u.startsWith(ROOT)) return relative(ROOT, u);
  return u;
}
function key(n: Node): string {
  const fn = n.callFrame.functionName || "(anonymous)";
  const w = where(n);
  return w ? `${fn} ${w}:${n.callFrame.lineNumber + 1}` : fn;
}
function area(n: Node): string {
  const u = where(n);
  const fn = n.callFrame.functionName;
  if (fn === "(garbage collector)") return "GC";
  if (fn === "(idle)") return "idle";
  if (fn === "(program)" || fn === "(root)") return "native / (program)";
  if (u.startsWith("src/") || u === "main.ts") return `tureen ${u.split("/").slice(0, 2).join("/")}`;
  if (u.includes("node_modules/hono")) return "hono";
  if (u.includes("node_modules/")) return `dep ${u.split("node_modules/")[1]!.split("/")[0]}`;
  if (!u) return `native / builtin (${fn || "anonymous"})`;
  return "bun builtins / other";
}

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const areas = new Map<string, number>();
let total = 0;
let idle = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  const node = byId.get(profile.samples[i]!)!;
  if (node.callFrame.functionName === "(idle)") {
    idle += dt;
    continue;
  }
  total += dt;
  self.set(key(node), (self.get(key(node)) ?? 0) + dt);
  const a = area(node);
  areas.set(a.startsWith("native / builtin") ? "native / builtin (no JS frame)" : a, (areas.get(a.startsWith("native / builtin") ? "native / builtin (no JS frame)" : a) ?? 0) + dt);
  const seen = new Set<string>();
  for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
    const k = key(byId.get(id)!);
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
  }
}
const pct = (x: number) => `${((100 * x) / total).toFixed(1)}%`;
const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
const tureenInclusive = [...inclusive].filter(([k]) => / (src\/|main\.ts)/.test(k)).sort((a, b) => b[1] - a[1]).slice(0, 20);

const md = [
  `# CPU profile of the proxy under load (${new Date().toISOString()})`,
  "",
  `Load: ${load}. Proxy: \`bun --cpu-prof main.ts\` (Bun ${Bun.version}), request_logging off, level warn.`,
  `Busy samples: ${(total / 1000).toFixed(0)} ms on the JS thread (idle ${(idle / 1000).toFixed(0)} ms excluded).`,
  `Raw profile: ${join(dir, file)} (not kept in the repo).`,
  "",
  "## By area (self time)",
  "",
  "| Area | Self | Share |",
  "|---|---|---|",
  ...top(areas, 20).map(([k, v]) => `| ${k} | ${(v / 1000).toFixed(0)} ms | ${pct(v)} |`),
  "",
  "## Top functions by self time",
  "",
  "| Function | Self | Share |",
  "|---|---|---|",
  ...top(self, 30).map(([k, v]) => `| \`${k}\` | ${(v / 1000).toFixed(0)} ms | ${pct(v)} |`),
  "",
  "## Tureen functions by inclusive time (self + callees)",
  "",
  "| Function | Inclusive | Share |",
  "|---|---|---|",
  ...tureenInclusive.map(([k, v]) => `| \`${k}\` | ${(v / 1000).toFixed(0)} ms | ${pct(v)} |`),
  "",
].join("\n");
mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
writeFileSync(OUT, md);
console.log(md);
console.error(`written ${relative(ROOT, OUT)}; raw profile in ${dir}`);
process.exit(0);
