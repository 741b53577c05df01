// Run the whole suite with Bun, then the end-to-end and abuse suites again with the server under Deno
// (and under the compiled binary when dist/tureen exists), and print one "N passed, N failed" line.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bun = join(root, "node_modules", ".bin", "bun");
const extra = process.argv.slice(2);

const legs = [
  { name: "bun", args: ["test", ...extra], env: {} },
  { name: "deno", args: ["test", "tests/e2e", "tests/compat", "tests/abuse", ...extra], env: { TUREEN_TEST_RUNTIME: "deno" } },
];
if (existsSync(join(root, "dist", "tureen"))) {
  legs.push({ name: "binary", args: ["test", "tests/e2e", "tests/compat", "tests/abuse", ...extra], env: { TUREEN_TEST_RUNTIME: "binary" } });
}

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
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
