/**
 * Check a metrics text with Prometheus' own code (the expfmt parser and promlint, in the Go
 * program under tools/promcheck), built once and cached in ~/.cache/tureen by its source hash.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

const SOURCE = resolve(import.meta.dir, "../tools/promcheck");

export interface PromSample {
  name: string;
  type: "counter" | "gauge" | "histogram" | "untyped";
  labels: Record<string, string>;
  value: number;
  count?: number;
  sum?: number;
}

export interface PromReport {
  families: number;
  samples: PromSample[];
  parse_error?: string;
  lint: Array<{ metric: string; text: string }>;
}

function findGo(): string | null {
  for (const candidate of [Bun.which("go"), "/usr/local/go/bin/go", "/usr/lib/go/bin/go"]) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return null;
}

function goBinary(): string {
  const go = findGo();
  if (go) return go;
  throw new Error("promcheck needs Go (the Prometheus parser is Go code): install golang or put go on PATH");
}

/**
 * Why the tests that read metrics through Prometheus' parser cannot run on this machine, or null.
 * A machine with only Node.js and npm has no Go: those tests are skipped there, with this one line;
 * CI always runs them (a missing Go fails it).
 */
export const promcheckUnavailable: string | null = findGo() !== null || process.env.CI === "true"
  ? null
  : "metrics tests skipped: Go is not installed (they build Prometheus' own parser, tools/promcheck, with it)";
if (promcheckUnavailable) console.log(promcheckUnavailable);

/** Path of the built checker; builds it when this source has not been built before (~30 s the first time). */
export function promcheckBinary(): string {
  const hash = createHash("sha256");
  for (const file of ["go.mod", "go.sum", "main.go"]) hash.update(readFileSync(join(SOURCE, file)));
  const dir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "tureen");
  const binary = join(dir, `promcheck-${hash.digest("hex").slice(0, 16)}`);
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const build = Bun.spawnSync([goBinary(), "build", "-o", binary, "."], { cwd: SOURCE, stderr: "pipe", stdout: "pipe" });
  if (build.exitCode !== 0) throw new Error(`building tools/promcheck failed:\n${build.stderr.toString()}`);
  return binary;
}

export async function promcheck(text: string): Promise<PromReport> {
  const proc = Bun.spawn([promcheckBinary()], { stdin: new TextEncoder().encode(text), stdout: "pipe", stderr: "pipe" });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  return JSON.parse(out) as PromReport;
}

/** Sum of the values (histograms: the counts) of samples named `name` whose labels include `match`. */
export function total(report: PromReport, name: string, match: Record<string, string> = {}): number {
  return report.samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + (s.type === "histogram" ? s.count ?? 0 : s.value), 0);
}
