/**
 * @module
 * Hot reload (SIGHUP, or `--watch`): re-read and validate the config, then apply what can
 * change while serving. An invalid file is rejected and the running config keeps serving.
 *
 * - Endpoints: an endpoint whose name and resolved config are unchanged keeps its object,
 *   so its health, models, breaker and counters carry over; added and changed ones are new
 *   objects, probed at once. The shared endpoint array is changed in place, in one step, so
 *   the router, health loop and status routes see the new list on their next read; a
 *   removed endpoint's in-flight requests and streams hold their own reference and finish.
 * - `logging.level` and `logging.format`: applied at once; `anthropic.model_map`: read per
 *   request; `server.shutdown_timeout`: read when the stop signal arrives; `auth` (inbound
 *   keys) and `server.rate_limits`: applied to the next request.
 * - Everything else (listen address, proxy timeouts, balancer, queue, breaker, limits, ...):
 *   named in a "needs restart" warning and ignored until the next start.
 */
import type { Config, EndpointConfig } from "./config/load.ts";
import { ConfigError } from "./config/load.ts";
import type { Fields, Level, Logger } from "./log/logger.ts";

/** What a reload of the endpoint list does, in the new config's order. */
export interface EndpointPlan<E> {
  /** The new list: an existing object to keep, or a config to build an endpoint from. */
  readonly next: ReadonlyArray<{ readonly keep: E } | { readonly build: EndpointConfig }>;
  /** Old objects that leave the list (removed, or replaced because their config changed). */
  readonly retired: readonly E[];
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
  readonly kept: readonly string[];
}

/** Match endpoints by name; keep those whose resolved config is deep-equal. */
export function planEndpoints<E extends { readonly name: string; readonly config: EndpointConfig }>(
  current: readonly E[],
  configs: readonly EndpointConfig[],
): EndpointPlan<E> {
  const byName = new Map(current.map((e) => [e.name, e]));
  const wanted = new Set(configs.map((c) => c.name));
  const next: Array<{ keep: E } | { build: EndpointConfig }> = [];
  const retired: E[] = [];
  const added: string[] = [];
  const changed: string[] = [];
  const kept: string[] = [];
  for (const config of configs) {
    const existing = byName.get(config.name);
    if (existing && deepEqual(existing.config, config)) {
      next.push({ keep: existing });
      kept.push(config.name);
      continue;
    }
    next.push({ build: config });
    if (existing) {
      retired.push(existing);
      changed.push(config.name);
    } else {
      added.push(config.name);
    }
  }
  const removed = current.filter((e) => !wanted.has(e.name));
  retired.push(...removed);
  return { next, retired, added, changed, removed: removed.map((e) => e.name), kept };
}

/** Key paths a reload applies (everything else is read at start only). */
const RELOADABLE = new Set([
  "endpoints",
  "discovery.static.endpoints",
  "logging.level",
  "logging.format",
  // Read per request.
  "anthropic.model_map",
  // Read when the stop signal arrives.
  "server.shutdown_timeout",
  // Inbound keys and rate limits are swapped in place (src/auth/key_ring.ts, src/limits/).
  "auth",
  "server.rate_limits",
  "source",
  "warnings",
]);

/**
 * Settings that differ between `before` and `after` but only take effect on restart, as
 * dotted key paths (`server.port`, `proxy.response_header_timeout`).
 */
export function settingsNeedingRestart(before: Config, after: Config): string[] {
  const paths: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (RELOADABLE.has(path)) return;
    if (path === "profiles") {
      // Profiles hold functions and maps: compare what a file can say, not object identity.
      if (profileSignature(before.profiles) !== profileSignature(after.profiles)) paths.push(path);
      return;
    }
    if (isPlainObject(a) && isPlainObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
        walk(a[key], b[key], path ? `${path}.${key}` : key);
      }
      return;
    }
    if (!deepEqual(a, b)) paths.push(path);
  };
  walk(before, after, "");
  return paths;
}

function profileSignature(profiles: Config["profiles"]): string {
  return JSON.stringify(profiles.map((p) => [
    p.type,
    p.label,
    p.prefixes,
    p.defaultPort,
    p.openaiCompatible,
    p.healthPath,
    p.modelsPath,
    [...p.proxied.keys()],
    p.nativeApis,
  ]));
}

/** Structural equality for plain config data (objects, arrays, primitives). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a).filter((k) => a[k] !== undefined);
    const otherKeys = Object.keys(b).filter((k) => b[k] !== undefined);
    return keys.length === otherKeys.length && keys.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A logger whose target can be swapped when `logging.*` is reloaded. */
export interface SwitchableLogger extends Logger {
  use(next: Logger): void;
}

export function switchableLogger(initial: Logger): SwitchableLogger {
  let target = initial;
  const forward = (level: Level) => (message: string, fields?: Fields) => target[level](message, fields);
  return {
    debug: forward("debug"),
    info: forward("info"),
    warn: forward("warn"),
    error: forward("error"),
    enabled: (level) => target.enabled(level),
    use(next) {
      target = next;
    },
  };
}

/** What `Tureen.reload` reports back. */
export interface ReloadSummary {
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
  readonly kept: readonly string[];
  readonly needsRestart: readonly string[];
}

export interface ReloadDeps {
  /** Read and validate the config exactly as at start. @throws {ConfigError} */
  readonly load: () => Config;
  readonly current: () => Config;
  readonly apply: (next: Config) => ReloadSummary;
  /** Rebuild the log output when `logging.*` changed. */
  readonly applyLogging: (next: Config) => void;
  readonly logger: Logger;
}

/**
 * Re-read the config and apply it; on any error keep the running config.
 *
 * @returns whether the new config was applied
 */
export function reloadConfig(trigger: string, deps: ReloadDeps): boolean {
  const { logger } = deps;
  const before = deps.current();
  let next: Config;
  try {
    next = deps.load();
  } catch (error) {
    const problems = error instanceof ConfigError ? error.problems : [(error as Error).message ?? String(error)];
    logger.error("config reload rejected: the running config stays in force", {
      trigger,
      source: error instanceof ConfigError ? error.source.replace(/^"|"$/g, "") : before.source ?? undefined,
      problems,
    });
    return false;
  }
  const loggingChanged = !deepEqual(before.logging, next.logging);
  if (loggingChanged) deps.applyLogging(next);
  const summary = deps.apply(next);
  for (const warning of next.warnings) if (!before.warnings.includes(warning)) logger.warn(warning);
  logger.info("config reloaded", {
    trigger,
    source: next.source ?? "(built-in defaults)",
    added: summary.added,
    changed: summary.changed,
    removed: summary.removed,
    kept: summary.kept.length,
    logging: loggingChanged ? { level: next.logging.level, format: next.logging.format } : undefined,
  });
  if (summary.needsRestart.length > 0) {
    logger.warn("config change needs restart: ignored until then", { settings: summary.needsRestart });
  }
  return true;
}

/**
 * Poll `path` every `intervalMs` and call `onChange` when its contents change (also when
 * it appears or disappears). Content, not mtime: editors that replace the file and
 * same-second writes are both seen.
 *
 * @returns a function that stops watching
 */
export function watchConfigFile(
  path: string,
  read: (path: string) => string | undefined,
  onChange: () => void,
  intervalMs = 1_000,
): () => void {
  const snapshot = () => {
    try {
      return read(path) ?? null;
    } catch {
      return null;
    }
  };
  let last = snapshot();
  const timer = setInterval(() => {
    const now = snapshot();
    if (now === last) return;
    last = now;
    onChange();
  }, intervalMs);
  return () => clearInterval(timer);
}
