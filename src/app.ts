/**
 * @module
 * Composition root: builds every part from a {@link Config}, starts the loops and the
 * server, and stops them again.
 */
import { type Clock, systemClock } from "./clock.ts";
import type { Config } from "./config/load.ts";
import { Endpoint } from "./endpoints/endpoint.ts";
import { Slots } from "./endpoints/slots.ts";
import { HealthChecker } from "./health/checker.ts";
import { PassiveHealth } from "./health/passive.ts";
import { Stats } from "./metrics/stats.ts";
import { createHttpApp } from "./http/app.ts";
import type { Logger } from "./log/logger.ts";
import { DMR_PROFILE } from "./profiles/dmr.ts";
import { Router } from "./routing/route.ts";
import type { RunningServer, Runtime } from "./runtime/contract.ts";

export interface Tureen {
  readonly server: RunningServer;
  readonly endpoints: readonly Endpoint[];
  /** Stop the loops and the server; with `force`, cut open connections. */
  stop(force?: boolean): Promise<void>;
}

export interface StartOptions {
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export async function startTureen(config: Config, options: StartOptions): Promise<Tureen> {
  const { runtime, logger } = options;
  const clock = options.clock ?? systemClock;
  const { proxy } = config;
  const breaker = {
    failureThreshold: proxy.circuit_breaker.failure_threshold,
    cooldownMs: proxy.circuit_breaker.cooldown,
    maxCooldownMs: proxy.circuit_breaker.max_cooldown,
  };
  const endpoints = config.endpoints.map((c) => new Endpoint(c, breaker, clock));
  const slots = new Slots({ clock, maxQueue: proxy.queue.max_size, timeoutMs: proxy.queue.timeout });
  const stats = new Stats(clock.now());
  const health = new HealthChecker({
    endpoints,
    fetch: runtime.fetch,
    clock,
    logger,
    discoveryEnabled: config.discovery.model_discovery.enabled,
    discoveryIntervalMs: config.discovery.model_discovery.interval,
    discoveryTimeoutMs: config.discovery.model_discovery.timeout,
    onStatusChange: () => slots.drain(),
  });
  const passive = new PassiveHealth({ logger, markOffline: (endpoint, reason) => health.markOffline(endpoint, reason) });
  const router = new Router({
    endpoints,
    balancer: proxy.load_balancer,
    clock,
    refreshModels: () => health.refreshModels(),
  });
  const app = createHttpApp({
    logger,
    clock,
    requestLogging: config.server.request_logging,
    stats,
    runtime,
    status: { endpoints, stats, slots, config, clock },
    dmr: {
      endpoints,
      router,
      maxBodySize: config.server.request_limits.max_body_size,
      forwarding: {
        fetch: runtime.fetch,
        fetchDecompresses: runtime.fetchDecompresses,
        clock,
        logger,
        responseHeaderTimeoutMs: proxy.response_header_timeout || Number.MAX_SAFE_INTEGER,
        readTimeoutMs: proxy.read_timeout,
        retryStatuses: new Set(proxy.retry_on_status),
        maxAttempts: proxy.max_attempts,
        backendType: DMR_PROFILE.type,
        slots,
        passive,
      },
    },
  });
  health.start();
  let server: RunningServer;
  try {
    server = await runtime.serve({
      hostname: config.server.host,
      port: config.server.port,
      idleTimeoutSeconds: Math.ceil(config.server.idle_timeout / 1000),
      // The app enforces the configured limit with a JSON 413; the runtime's own cap must sit above it.
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      handler: (request, conn) => app.fetch(request, conn),
    });
  } catch (error) {
    health.stop();
    throw error;
  }
  return {
    server,
    endpoints,
    async stop(force = false) {
      health.stop();
      await server.stop(force);
    },
  };
}
