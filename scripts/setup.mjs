// Make sure the pinned Bun and Deno binaries (npm packages) and the dependencies are installed,
// so `npm start` and `npm test` work on a machine that has only Node.js and npm.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);

function works(name) {
  try {
    execFileSync(bin(name), ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

if (!existsSync(join(root, "node_modules", "hono")) || !works("bun") || !works("deno")) {
  console.error("tureen: installing dependencies (npm ci)...");
  execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
}
for (const name of ["bun", "deno"]) {
  if (!works(name)) {
    // The packages fetch their platform binary in a postinstall step; run it if npm skipped it.
    const installer = name === "bun" ? "node_modules/bun/install.js" : "node_modules/deno/install.cjs";
    if (existsSync(join(root, installer))) execFileSync("node", [installer], { cwd: join(root, "node_modules", name), stdio: "inherit" });
    if (!works(name)) {
      console.error(`tureen: ${name} is not runnable from node_modules/.bin; run "npm ci" and check its output`);
      process.exit(1);
    }
  }
}
