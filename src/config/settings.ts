/**
 * @module
 * The numbers the running parts take, derived from a validated {@link Config} in one place:
 * units resolved, "0 means none" turned into a real bound, preload shorthand expanded.
 */
import type { BreakerOptions } from "../health/breaker.ts";
import type { PreloadEntry } from "../models/preload.ts";
import { MAX_DURATION_MS } from "./fields.ts";
import type { Config } from "./load.ts";

export interface Settings {
  readonly breaker: BreakerOptions;
  /** Time allowed for a backend's response headers; never 0. */
  readonly headerTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly retryStatuses: ReadonlySet<number>;
  readonly maxAttempts: number;
  readonly queue: { readonly maxQueue: number; readonly timeoutMs: number };
  readonly preload: readonly PreloadEntry[];
  readonly discovery: { readonly enabled: boolean; readonly intervalMs: number; readonly timeoutMs: number };
  readonly maxBodySize: number;
  readonly aliases: ReadonlyMap<string, readonly string[]>;
}

export function deriveSettings(config: Config): Settings {
  const { proxy } = config;
  return {
    breaker: {
      failureThreshold: proxy.circuit_breaker.failure_threshold,
      cooldownMs: proxy.circuit_breaker.cooldown,
      maxCooldownMs: proxy.circuit_breaker.max_cooldown,
    },
    // 0 means no limit: the longest a timer can wait (config rejects anything longer).
    headerTimeoutMs: proxy.response_header_timeout || MAX_DURATION_MS,
    readTimeoutMs: proxy.read_timeout,
    retryStatuses: new Set(proxy.retry_on_status),
    maxAttempts: proxy.max_attempts,
    queue: { maxQueue: proxy.queue.max_size, timeoutMs: proxy.queue.timeout },
    preload: config.models.preload.map((entry) =>
      typeof entry === "string" ? { name: entry, mode: "completion" as const } : entry
    ),
    discovery: {
      enabled: config.discovery.model_discovery.enabled,
      intervalMs: config.discovery.model_discovery.interval,
      timeoutMs: config.discovery.model_discovery.timeout,
    },
    maxBodySize: config.server.request_limits.max_body_size,
    aliases: new Map(Object.entries(config.model_aliases)),
  };
}
