/**
 * @module
 * Process entry: argv → config → runtime → server; stops on SIGINT/SIGTERM.
 */
import { startTureen } from "./src/app.ts";
import type { Runtime } from "./src/runtime/contract.ts";
import { ConfigError, loadConfig } from "./src/config/load.ts";
import { createLogger } from "./src/log/logger.ts";
import { detectRuntime } from "./src/runtime/detect.ts";
import { NAME, VERSION } from "./src/version.ts";

const USAGE = `${NAME} ${VERSION} — load balancer for self-hosted LLM inference (Olla-compatible)

Usage: tureen [--config PATH] [--validate-config] [--version] [--help]

  -c, --config PATH     config file (default: $OLLA_CONFIG_FILE, then config/config.local.yaml,
                        config/config.yaml, config.yaml, default.yaml; built-in defaults if none)
  --validate-config     check the config, list every problem, exit 0 or 1
  -v, --version         print the version
  -h, --help            print this help
`;

const runtime: Runtime = await detectRuntime();
const args = [...runtime.args];
let configPath: string | undefined;
let validateOnly = false;
for (let i = 0; i < args.length; i++) {
  const arg = args[i]!;
  if (arg === "--config" || arg === "-c") configPath = args[++i];
  else if (arg.startsWith("--config=")) configPath = arg.slice("--config=".length);
  else if (arg === "--validate-config") validateOnly = true;
  else if (arg === "--version" || arg === "-v") {
    runtime.writeStdout(`${NAME} ${VERSION} (${runtime.name} ${runtime.version})\n`);
    runtime.exit(0);
  } else if (arg === "--help" || arg === "-h") {
    runtime.writeStdout(USAGE);
    runtime.exit(0);
  } else {
    runtime.writeStderr(`Cannot start: unknown argument "${arg}"\n\n${USAGE}`);
    runtime.exit(2);
  }
}

const config = readConfigOrExit();
function readConfigOrExit() {
  try {
    return loadConfig({ path: configPath, env: runtime.env, readTextFile: runtime.readTextFile });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    runtime.writeStderr(`${error.message}\n`);
    return runtime.exit(1);
  }
}
if (validateOnly) {
  runtime.writeStdout(`Config ${config.source ?? "(built-in defaults)"} is valid: ${config.endpoints.length} endpoint(s)\n`);
  for (const warning of config.warnings) runtime.writeStdout(`warning: ${warning}\n`);
  runtime.exit(0);
}

const logger = createLogger({
  level: config.logging.level,
  format: config.logging.format ?? (runtime.isTerminal() ? "text" : "json"),
  write: (line) => runtime.writeStdout(line),
});
for (const warning of config.warnings) logger.warn(warning);

const tureen = await startTureen(config, { runtime, logger }).catch((error) => {
  logger.error("cannot listen", { host: config.server.host, port: config.server.port, error });
  return runtime.exit(1);
});
logger.info("listening", {
  url: `http://${tureen.server.hostname}:${tureen.server.port}`,
  port: tureen.server.port,
  version: VERSION,
  runtime: `${runtime.name} ${runtime.version}`,
  config: config.source ?? "(built-in defaults)",
  endpoints: config.endpoints.map((e) => `${e.name}=${e.url}`),
});

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) runtime.exit(1);
  stopping = true;
  logger.info("shutting down", { signal });
  await tureen.stop(false);
  runtime.exit(0);
};
runtime.onSignal("SIGINT", () => void shutdown("SIGINT"));
runtime.onSignal("SIGTERM", () => void shutdown("SIGTERM"));
