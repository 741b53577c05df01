// Run the whole suite with Bun, then the end-to-end and abuse suites again with the server under Deno
// (and under the compiled binary when dist/tureen exists), then tests/real and tests/compat against
// real DMRs and llama-server (when scripts/real-backends.mjs has built them), and print one
// "N passed, N failed" line.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cacheDir, readManifest } from "./real-backends.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bun = join(root, "node_modules", ".bin", "bun");
// Bun's default 5 s per test is too short for a test that starts the server (seconds under
// Deno on a loaded 2-core machine); the flag applies to every file, setDefaultTimeout() only
// to the first file that calls it in a run. A test may still set its own longer timeout.
const extra = ["--timeout", "30000", ...process.argv.slice(2)];

// The real-backend leg has its own entry below; the Bun leg leaves its files alone.
const legs = [
  { name: "bun", args: ["test", "--path-ignore-patterns=tests/real/**", ...extra], env: {} },
  { name: "deno", args: ["test", "tests/e2e", "tests/compat", "tests/abuse", ...extra], env: { TUREEN_TEST_RUNTIME: "deno" } },
];
if (existsSync(join(root, "dist", "tureen"))) {
  legs.push({ name: "binary", args: ["test", "tests/e2e", "tests/compat", "tests/abuse", ...extra], env: { TUREEN_TEST_RUNTIME: "binary" } });
}
// Real Docker Model Runners and llama-server, built by scripts/real-backends.mjs: run when built,
// skipped in one line otherwise, and a failure in CI, which must always run it (.ci/run builds it).
// The compat files whose stack (tests/compat/_setup.ts startStack) switches to a real DMR.
const COMPAT_ON_REAL_DMR = ["open_webui_test.ts", "openai_sdk_test.ts", "vercel_ai_test.ts"].map((f) => `tests/compat/${f}`);
const realLegs = [
  { name: "bun, against real DMRs and llama-server", args: ["test", "tests/real", ...COMPAT_ON_REAL_DMR, ...extra], env: { TUREEN_TEST_BACKEND: "real" } },
  // Deno reaches the DMRs' unix sockets through its own HTTP client: prove it against the real thing too.
  // Not llamacpp_type_test.ts: Deno's unix-socket fetch sends absolute-form request targets
  // (`GET http://localhost/health`), which Go's server (DMR) accepts and llama-server answers 404.
  {
    name: "deno, against real DMRs",
    args: ["test", "tests/real/dmr_test.ts", "tests/real/dmr_sdk_apis_test.ts", ...extra],
    env: { TUREEN_TEST_BACKEND: "real", TUREEN_TEST_RUNTIME: "deno" },
  },
];
let realMissing = false;
if (readManifest()) legs.push(...realLegs);
else if (process.env.CI === "true") realMissing = true;
else console.log(`real-backend leg skipped: not built here (node scripts/real-backends.mjs builds it into ${cacheDir()}, ~20 min once)`);

function run(leg) {
  return new Promise((resolve) => {
    console.log(`\n=== tests with the server on ${leg.name} ===`);
    const child = spawn(bun, leg.args, { cwd: root, env: { ...process.env, ...leg.env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (stream, sink) => stream.on("data", (chunk) => {
      output += chunk;
      sink.write(chunk);
    });
    collect(child.stdout, process.stdout);
    collect(child.stderr, process.stderr);
    child.on("close", (code) => {
      const count = (word) => Number(output.match(new RegExp(`^\\s*(\\d+) ${word}$`, "m"))?.[1] ?? 0);
      const passed = count("pass");
      let failed = count("fail");
      if (code !== 0 && failed === 0) failed = 1;
      resolve({ passed, failed });
    });
  });
}

let passed = 0;
let failed = 0;
for (const leg of legs) {
  const result = await run(leg);
  passed += result.passed;
  failed += result.failed;
}
if (realMissing) {
  console.log(`\nFAILED: the real-backend leg cannot run in CI: ${cacheDir()} holds no complete build (run node scripts/real-backends.mjs)`);
  failed += 1;
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
