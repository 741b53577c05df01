/**
 * @module
 * Process entry: argv → command. Serving: config → runtime → server; SIGTERM/SIGINT drain
 * and exit, SIGHUP (and `--watch`) reload the config.
 */
// First, before any dependency loads: see preflight.ts.
import "./src/runtime/preflight.ts";
import { startTureen, type Tureen } from "./src/app.ts";
import type { Runtime } from "./src/runtime/contract.ts";
import { type Config, ConfigError, loadConfig } from "./src/config/load.ts";
import { redactUrl } from "./src/config/redact.ts";
import { parseArgs, USAGE } from "./src/cli/args.ts";
import { healthcheckBaseUrl, runHealthcheck } from "./src/cli/healthcheck.ts";
import { renderConfig } from "./src/cli/print_config.ts";
import { batchedWriter } from "./src/log/batch.ts";
import { createLogger } from "./src/log/logger.ts";
import { reloadConfig, switchableLogger, watchConfigFile } from "./src/reload.ts";
import { detectRuntime } from "./src/runtime/detect.ts";
import { NAME, VERSION } from "./src/version.ts";

const runtime: Runtime = await detectRuntime();
const command = parseArgs(runtime.args);
if (command.kind === "help") {
  runtime.writeStdout(USAGE);
  runtime.exit(0);
}
if (command.kind === "version") {
  runtime.writeStdout(`${NAME} ${VERSION} (${runtime.name} ${runtime.version})\n`);
  runtime.exit(0);
}
if (command.kind === "usage-error") {
  runtime.writeStderr(`Cannot start: ${command.message}\n\n${USAGE}`);
  runtime.exit(2);
}
if (command.kind === "healthcheck" && command.url !== undefined) {
  // An explicit URL needs no config (and works when the config is unreadable here).
  await healthcheckAndExit(command.url);
}

const load = () => loadConfig({
  path: command.configPath,
  env: runtime.env,
  readTextFile: runtime.readTextFile,
  listDir: runtime.listDir,
});
const config = readConfigOrExit();
function readConfigOrExit(): Config {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    runtime.writeStderr(`${error.message}\n`);
    return runtime.exit(1);
  }
}
if (command.kind === "validate-config") {
  runtime.writeStdout(`Config ${config.source ?? "(built-in defaults)"} is valid: ${config.endpoints.length} endpoint(s)\n`);
  for (const warning of config.warnings) runtime.writeStdout(`warning: ${warning}\n`);
  runtime.exit(0);
}
if (command.kind === "print-config") {
  runtime.writeStdout(renderConfig(config));
  runtime.exit(0);
}
if (command.kind === "healthcheck") {
  await healthcheckAndExit(healthcheckBaseUrl(config.server.host, config.server.port));
}

async function healthcheckAndExit(url: string): Promise<never> {
  const result = await runHealthcheck(url);
  if (result.ok) runtime.writeStdout(`${result.message}\n`);
  else runtime.writeStderr(`${result.message}\n`);
  return runtime.exit(result.ok ? 0 : 1);
}

const stdout = batchedWriter((text) => runtime.writeStdout(text));
/** Exit once pending log lines are written. */
function exit(code: number): never {
  stdout.flush();
  return runtime.exit(code);
}
const makeLogger = (c: Config) =>
  createLogger({
    level: c.logging.level,
    format: c.logging.format ?? (runtime.isTerminal() ? "text" : "json"),
    write: stdout.write,
  });
// Every part holds this one logger, so a reload of logging.* reaches all of them.
const logger = switchableLogger(makeLogger(config));
for (const warning of config.warnings) logger.warn(warning);

// Signals are wired before the port opens, so a signal right after "listening" is never lost.
let tureen: Tureen | undefined;
let stopping = false;
let stopWatching: (() => void) | undefined;
const shutdown = async (signal: string) => {
  if (stopping || !tureen) {
    logger.warn(stopping ? "second signal: exiting now without waiting" : "signal before listening: exiting", {
      signal,
      in_flight: tureen?.inFlight,
    });
    exit(stopping ? 1 : 0);
  }
  stopping = true;
  stopWatching?.();
  const timeoutMs = tureen.config.server.shutdown_timeout;
  logger.info("shutting down: no new connections, waiting for in-flight requests", {
    signal,
    in_flight: tureen.inFlight,
    shutdown_timeout_ms: timeoutMs,
  });
  const result = await tureen.shutdown(timeoutMs);
  logger.info("stopped", { signal, waited_ms: result.waitedMs, cut: result.cut });
  exit(0);
};
runtime.onSignal("SIGINT", () => void shutdown("SIGINT"));
runtime.onSignal("SIGTERM", () => void shutdown("SIGTERM"));

const reload = (trigger: string) => {
  if (stopping || !tureen) return;
  const running = tureen;
  reloadConfig(trigger, {
    load,
    current: () => running.config,
    apply: (next) => running.reload(next),
    applyLogging: (next) => logger.use(makeLogger(next)),
    logger,
  });
};
runtime.onSignal("SIGHUP", () => reload("SIGHUP"));

tureen = await startTureen(config, { runtime, logger }).catch((error) => {
  logger.error("cannot listen", { host: config.server.host, port: config.server.port, error });
  return exit(1);
});
logger.info("listening", {
  url: `http://${tureen.server.hostname}:${tureen.server.port}`,
  port: tureen.server.port,
  version: VERSION,
  runtime: `${runtime.name} ${runtime.version}`,
  config: config.source ?? "(built-in defaults)",
  endpoints: config.endpoints.map((e) => `${e.name}=${redactUrl(e.url)}`),
});

if (command.kind === "serve" && command.watch) {
  if (config.source) stopWatching = watchConfigFile(config.source, runtime.readTextFile, () => reload("watch"));
  else logger.warn("--watch has no file to watch: running on the built-in defaults");
}
