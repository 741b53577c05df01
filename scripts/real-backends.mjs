#!/usr/bin/env node
// Build the real backends the real-backend test leg runs against, once, cached outside the repo:
//   - llama.cpp's llama-server, from the llama.cpp tree vendored in the llama-cpp-python sdist (PyPI);
//   - two tiny random-weight llama GGUF models made on the spot with gguf-py and numpy
//     (tiny.gguf, and tiny-eos.gguf whose end-of-sequence token is likely, so streams stop by themselves);
//   - Docker Model Runner (model-runner) and its CLI (model-cli), from the Go module proxy.
//
//   node scripts/real-backends.mjs           build what is missing (idempotent), then print the manifest
//   node scripts/real-backends.mjs --check   exit 0 when everything is built, 1 otherwise; never builds
//
// Cache: $TUREEN_CACHE_DIR/real, default ~/.cache/tureen/real. Each step leaves its output in place and is
// skipped when that output exists; manifest.json (binaries, models, step timings) is written last.
// Missing cmake/g++ are installed with apt-get when running as root; Go fetches its pinned toolchain itself.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const LLAMA_CPP_PYTHON = "0.3.36";
export const MODEL_RUNNER = "v1.2.9";
export const GO_TOOLCHAIN = "go1.27.3";

export const cacheDir = () => join(process.env.TUREEN_CACHE_DIR ?? join(homedir(), ".cache", "tureen"), "real");
export const manifestPath = () => join(cacheDir(), "manifest.json");

/** The manifest of a complete build whose files are all still there, or undefined. */
export function readManifest() {
  try {
    const manifest = JSON.parse(readFileSync(manifestPath(), "utf8"));
    if (manifest.llamaCppPython !== LLAMA_CPP_PYTHON || manifest.modelRunnerVersion !== MODEL_RUNNER) return undefined;
    const files = [manifest.llamaServer, manifest.modelRunner, manifest.modelCli, ...Object.values(manifest.models),
      ...Object.values(manifest.stores).map((store) => join(store, ".ready"))];
    return files.every((file) => existsSync(file)) ? manifest : undefined;
  } catch {
    return undefined;
  }
}

const log = (message) => console.error(`real-backends: ${message}`);

function run(command, args, options = {}) {
  log(`$ ${command} ${args.join(" ")}`);
  // Progress goes to stderr: stdout carries only the manifest.
  const result = spawnSync(command, args, { stdio: ["ignore", 2, 2], ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (${result.error?.message ?? `exit ${result.status}`})`);
  }
}

function has(command) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** cmake, a C++ compiler and python3 with venv; apt-get installs what is missing when we are root. */
function ensureTools() {
  const missing = [];
  if (!has("cmake")) missing.push("cmake");
  if (!has("g++")) missing.push("g++");
  if (!has("make") && !has("ninja")) missing.push("make");
  if (!has("python3")) missing.push("python3");
  if (spawnSync("python3", ["-c", "import venv, ensurepip"], { stdio: "ignore" }).status !== 0) missing.push("python3-venv");
  if (missing.length > 0) {
    if (process.getuid?.() !== 0 || !has("apt-get")) {
      throw new Error(`missing ${missing.join(", ")}: install them (Debian: apt-get install ${missing.join(" ")})`);
    }
    run("apt-get", ["update", "-q"]);
    run("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...missing], { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  }
  if (!has("go")) throw new Error("missing go (1.21 or newer, which fetches the pinned toolchain by GOTOOLCHAIN): install Go");
}

/** Run `fn` unless `output` exists; time it into `timings[name]`. */
async function step(name, output, timings, fn) {
  if (existsSync(output)) return;
  const started = Date.now();
  log(`${name}...`);
  await fn();
  if (!existsSync(output)) throw new Error(`${name} finished without producing ${output}`);
  timings[name] = Math.round((Date.now() - started) / 1000);
  log(`${name}: ${timings[name]} s`);
}

export async function build() {
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  const timings = {};
  ensureTools();

  const venv = join(dir, "venv");
  const python = join(venv, "bin", "python");
  await step("python venv (numpy, pyyaml)", join(venv, ".ready"), timings, () => {
    rmSync(venv, { recursive: true, force: true });
    run("python3", ["-m", "venv", venv]);
    run(python, ["-m", "pip", "install", "-q", "--disable-pip-version-check", "numpy", "pyyaml", "tqdm", "requests"]);
    writeFileSync(join(venv, ".ready"), "");
  });

  const sdistName = `llama_cpp_python-${LLAMA_CPP_PYTHON}`;
  const src = join(dir, "src", sdistName);
  const llama = join(src, "vendor", "llama.cpp");
  await step("llama-cpp-python sdist", join(llama, "CMakeLists.txt"), timings, () => {
    const dl = join(dir, "dl");
    mkdirSync(dl, { recursive: true });
    const tarball = join(dl, `${sdistName}.tar.gz`);
    if (!existsSync(tarball)) {
      // Only this package as source: its build requirements (for pip's metadata step) may come as wheels;
      // with --no-binary :all: pip would build scikit-build-core, hatchling and their kin from source too.
      run(python, ["-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps", "--no-binary", "llama-cpp-python",
        `llama-cpp-python==${LLAMA_CPP_PYTHON}`, "-d", dl]);
    }
    mkdirSync(join(dir, "src"), { recursive: true });
    run("tar", ["-xzf", tarball, "-C", join(dir, "src")]);
  });

  // Versioned directories: a pin bump builds afresh instead of finding the old outputs.
  const llamaBuild = join(dir, `llama-build-${LLAMA_CPP_PYTHON}`);
  const llamaServer = join(llamaBuild, "bin", "llama-server");
  await step("llama-server (cmake, 10 to 13 min on 2 cores)", llamaServer, timings, () => {
    run("cmake", ["-S", llama, "-B", llamaBuild, "-DGGML_NATIVE=ON", "-DLLAMA_CURL=OFF", "-DLLAMA_OPENSSL=OFF",
      "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_UI=OFF", "-DLLAMA_USE_PREBUILT_UI=OFF",
      "-DCMAKE_BUILD_TYPE=Release"]);
    run("nice", ["-n", "10", "cmake", "--build", llamaBuild, "--target", "llama-server", "-j2"]);
  });

  const models = { tiny: join(dir, "models", "tiny.gguf"), tinyEos: join(dir, "models", "tiny-eos.gguf") };
  const generator = join(dirname(fileURLToPath(import.meta.url)), "real", "tiny_gguf.py");
  const vocab = join(llama, "models", "ggml-vocab-llama-spm.gguf");
  const pyEnv = { env: { ...process.env, PYTHONPATH: join(llama, "gguf-py") } };
  for (const [file, extra] of [[models.tiny, []], [models.tinyEos, ["--eos-likely"]]]) {
    await step(`model ${file}`, file, timings, () => {
      mkdirSync(join(dir, "models"), { recursive: true });
      run(python, [generator, vocab, `${file}.tmp`, ...extra], pyEnv);
      run("mv", [`${file}.tmp`, file]);
    });
  }

  const dmr = join(dir, `dmr-${MODEL_RUNNER}`);
  const modelRunner = join(dmr, "bin", "model-runner");
  const modelCli = join(dmr, "bin", "model-cli");
  const goEnv = { env: { ...process.env, GOTOOLCHAIN: GO_TOOLCHAIN, GOFLAGS: "-mod=mod" } };
  await step("model-runner and model-cli (go build)", modelCli, timings, () => {
    const module = JSON.parse(execFileSync("go", ["mod", "download", "-json", `github.com/docker/model-runner@${MODEL_RUNNER}`], { ...goEnv, encoding: "utf8" }));
    if (!module.Dir) throw new Error(`go mod download gave no module directory: ${module.Error ?? JSON.stringify(module)}`);
    // The module cache is read-only and `go install` refuses a module with replace directives: build a copy.
    const copy = join(dmr, "src");
    rmSync(copy, { recursive: true, force: true });
    cpSync(module.Dir, copy, { recursive: true });
    makeWritable(copy);
    run("nice", ["-n", "10", "go", "build", "-o", modelRunner, "."], { ...goEnv, cwd: copy });
    run("nice", ["-n", "10", "go", "build", "-o", modelCli, "./cmd/cli"], { ...goEnv, cwd: copy });
  });

  // Stores made once and copied per test run: model-cli reaches the runner only over TCP, and DMR
  // listens on TCP (all interfaces) or a socket, not both; the test runners then use sockets only.
  const stores = {};
  for (const [name, contents] of Object.entries(STORES)) {
    stores[name] = join(dir, `stores-${MODEL_RUNNER}`, name);
    await step(`DMR store ${name}`, join(stores[name], ".ready"), timings, () =>
      packageStore(stores[name], contents.map(([model, tag]) => [models[model], tag]), { modelRunner, modelCli, llamaServer }));
  }

  const previous = readManifest();
  const manifest = {
    llamaCppPython: LLAMA_CPP_PYTHON,
    modelRunnerVersion: MODEL_RUNNER,
    llamaServer,
    modelRunner,
    modelCli,
    models,
    stores,
    buildSeconds: { ...previous?.buildSeconds, ...timings },
  };
  writeFileSync(manifestPath(), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/**
 * The DMR stores the real-backend leg runs with: both hold ai/smollm2, so a model can be on two
 * machines; each also holds one the other lacks, so routing by model is real. ai/smollm2 is the
 * model whose EOS is likely (answers end by themselves, finish_reason "stop"); ai/llama3.2 runs on
 * until max_tokens, for long streams.
 */
const STORES = {
  alpha: [["tinyEos", "ai/smollm2:latest"], ["tiny", "ai/mxbai-embed-large:latest"]],
  beta: [["tinyEos", "ai/smollm2:latest"], ["tiny", "ai/llama3.2:latest"]],
};

/** The environment every model-runner gets: the built llama-server, no self-update, no usage tracking. */
export function runnerEnv(llamaServer, modelsPath, logDir) {
  return {
    MODELS_PATH: modelsPath,
    MODEL_RUNNER_LOG_DIR: logDir,
    LLAMA_SERVER_PATH: dirname(llamaServer),
    DISABLE_SERVER_UPDATE: "1",
    // Without it the runner asks Docker Hub about every model it configures or serves.
    DO_NOT_TRACK: "1",
  };
}

async function packageStore(store, entries, { modelRunner, modelCli, llamaServer }) {
  rmSync(store, { recursive: true, force: true });
  mkdirSync(store, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "tureen-store-"));
  const port = await freePort();
  const runner = spawn(modelRunner, [], {
    cwd: work,
    env: { ...process.env, ...runnerEnv(llamaServer, store, join(work, "logs")), MODEL_RUNNER_PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  runner.stdout.on("data", (chunk) => (output += chunk));
  runner.stderr.on("data", (chunk) => (output += chunk));
  try {
    const host = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    while (!(await fetch(`${host}/engines/status`).then((r) => r.ok, () => false))) {
      if (Date.now() > deadline || runner.exitCode !== null) throw new Error(`model-runner did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const [file, tag] of entries) {
      run(modelCli, ["package", "--gguf", file, tag], {
        cwd: work,
        stdio: ["ignore", "ignore", "inherit"],
        env: { ...process.env, MODEL_RUNNER_HOST: host, DOCKER_CONFIG: join(work, "docker-config") },
      });
    }
    writeFileSync(join(store, ".ready"), "");
  } finally {
    runner.kill("SIGTERM");
    rmSync(work, { recursive: true, force: true });
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function makeWritable(path) {
  const stat = statSync(path);
  chmodSync(path, stat.mode | 0o200);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) makeWritable(join(path, entry));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes("--check")) {
    const manifest = readManifest();
    if (manifest) console.log(JSON.stringify(manifest, null, 2));
    else log(`not built: run "node scripts/real-backends.mjs" (cache: ${cacheDir()})`);
    process.exit(manifest ? 0 : 1);
  }
  try {
    console.log(JSON.stringify(await build(), null, 2));
  } catch (error) {
    log(`FAILED: ${error.message}`);
    process.exit(1);
  }
}
