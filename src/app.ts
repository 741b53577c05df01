/**
 * @module
 * Composition root: builds every part from a {@link Config}, starts the loops and the
 * server, and stops them again.
 */
import { type Clock, systemClock } from "./clock.ts";
import type { Config, EndpointConfig } from "./config/load.ts";
import { deriveSettings } from "./config/settings.ts";
import { Endpoint } from "./endpoints/endpoint.ts";
import { Slots } from "./endpoints/slots.ts";
import { HealthChecker } from "./health/checker.ts";
import { InFlight } from "./in_flight.ts";
import { PassiveHealth } from "./health/passive.ts";
import { Stats } from "./metrics/stats.ts";
import { TrafficMetrics } from "./metrics/traffic.ts";
import { ModelDiscovery } from "./models/discovery.ts";
import { Preloader } from "./models/preload.ts";
import { createHttpApp } from "./http/app.ts";
import { BodyDeadline } from "./http/body.ts";
import type { Logger } from "./log/logger.ts";
import { BUILT_IN_PROFILES, ProfileRegistry } from "./profiles/registry.ts";
import { ResponseAffinity } from "./routing/response_affinity.ts";
import { Router } from "./routing/route.ts";
import { deepEqual, planEndpoints, type ReloadSummary, settingsNeedingRestart } from "./reload.ts";
import { KeyRing } from "./auth/key_ring.ts";
import { RateLimiter } from "./limits/rate_limit.ts";
import type { RunningServer, Runtime } from "./runtime/contract.ts";

export interface Tureen {
  readonly server: RunningServer;
  readonly endpoints: readonly Endpoint[];
  /** The config in force: the one started with, or the last one reloaded. */
  readonly config: Config;
  /** Requests not yet finished, a relayed stream until its last byte. */
  readonly inFlight: number;
  /** Stop the loops and the server; with `force`, cut open connections. */
  stop(force?: boolean): Promise<void>;
  /**
   * Graceful stop: accept nothing new, let in-flight requests and streams finish for up to
   * `timeoutMs`, then cut what is still open.
   */
  shutdown(timeoutMs: number): Promise<ShutdownResult>;
  /**
   * Apply a validated config while serving: the endpoint list is changed in place (see
   * reload.ts); settings read only at start are reported in `needsRestart`.
   */
  reload(next: Config): ReloadSummary;
}

export interface ShutdownResult {
  /** Requests still open at the deadline, cut; 0 when everything finished in time. */
  readonly cut: number;
  readonly waitedMs: number;
}

export interface StartOptions {
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export async function startTureen(config: Config, options: StartOptions): Promise<Tureen> {
  const { runtime, logger } = options;
  const clock = options.clock ?? systemClock;
  const settings = deriveSettings(config);
  const profiles = new ProfileRegistry([...BUILT_IN_PROFILES, ...config.profiles]);
  // Type resolution follows the profiles of the config in force; new route prefixes need a restart.
  let registry = profiles;
  const makeEndpoint = (c: EndpointConfig) => new Endpoint(c, registry.forType(c.type), settings.breaker, clock);
  const endpoints = config.endpoints.map(makeEndpoint);
  const inFlight = new InFlight();
  const slots = new Slots({ clock, ...settings.queue });
  const stats = new Stats(clock.now());
  const traffic = new TrafficMetrics();
  const preloader = new Preloader({
    entries: settings.preload,
    fetch: runtime.fetch,
    logger,
    timeoutMs: settings.headerTimeoutMs,
  });
  const discovery = new ModelDiscovery({ endpoints, fetch: runtime.fetch, clock, logger, ...settings.discovery });
  const health = new HealthChecker({
    endpoints,
    fetch: runtime.fetch,
    clock,
    logger,
    discovery,
    onStatusChange: () => slots.drain(),
    onRecovered: (endpoint) => void preloader.warm(endpoint),
  });
  const passive = new PassiveHealth({ logger, markOffline: (endpoint, reason) => health.markOffline(endpoint, reason) });
  const router = new Router({
    endpoints,
    balancer: config.proxy.load_balancer,
    clock,
    refreshModels: () => discovery.refreshModels(),
  });
  const keyRing = new KeyRing();
  await keyRing.replace(config.auth);
  const rateLimiter = new RateLimiter(config.server.rate_limits, clock);
  // The config in force; reload() replaces it. Read by routes that follow reloadable settings.
  let current = config;
  const proxying = {
    endpoints,
    router,
    maxBodySize: settings.maxBodySize,
    aliases: settings.aliases,
    forwarding: {
      fetch: runtime.fetch,
      fetchDecompresses: runtime.fetchDecompresses,
      clock,
      logger,
      responseHeaderTimeoutMs: settings.headerTimeoutMs,
      readTimeoutMs: settings.readTimeoutMs,
      retryStatuses: settings.retryStatuses,
      maxAttempts: settings.maxAttempts,
      slots,
      passive,
      onFailover: (endpoint: string, reason: string) => traffic.failover(endpoint, reason),
      onColdLoad: (endpoint: string, model: string, joined: boolean) => traffic.coldLoad(endpoint, model, joined),
    },
  };
  const app = createHttpApp({
    keyRing,
    rateLimiter,
    bodyDeadline: new BodyDeadline(config.server.read_timeout, clock),
    logger,
    clock,
    inFlight,
    requestLogging: config.server.request_logging,
    stats,
    runtime,
    status: { endpoints, stats, slots, config, clock },
    profiles,
    proxy: proxying,
    metrics: {
      traffic,
      endpoints,
      stats,
      slots,
      clock,
      config: () => current,
      inFlight: () => inFlight.count,
    },
    responses: {
      ...proxying,
      affinity: new ResponseAffinity({
        clock,
        maxEntries: config.responses.affinity_max_entries,
        ttlMs: config.responses.affinity_ttl,
      }),
    },
    anthropic: {
      ...proxying,
      clock,
      modelMap: () => current.anthropic.model_map,
      pingIntervalMs: config.anthropic.ping_interval,
      translator: {
        enabled: config.translators.anthropic.enabled,
        passthrough: config.translators.anthropic.passthrough_enabled,
        maxMessageSize: config.translators.anthropic.max_message_size,
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
    get config() {
      return current;
    },
    get inFlight() {
      return inFlight.count;
    },
    async stop(force = false) {
      health.stop();
      await server.stop(force);
    },
    async shutdown(timeoutMs) {
      const startedAt = clock.now();
      // Resolves once every connection is done (Bun's stop(false) and Deno's shutdown() both
      // wait for in-flight responses, streamed bodies included); the counter says how many are left.
      const stopped = server.stop(false).catch(() => {});
      let timer: unknown;
      const outcome = await Promise.race([
        Promise.all([stopped, inFlight.idle()]).then(() => "drained" as const),
        new Promise<"deadline">((resolve) => (timer = clock.setTimeout(() => resolve("deadline"), timeoutMs))),
      ]);
      clock.clearTimeout(timer);
      health.stop();
      if (outcome === "drained") return { cut: 0, waitedMs: clock.now() - startedAt };
      const cut = inFlight.count;
      logger.warn("shutdown deadline reached: closing requests still open", {
        open: cut,
        shutdown_timeout_ms: timeoutMs,
      });
      await server.stop(true).catch(() => {});
      // Cut streams end at once; give their access lines a moment to be written.
      let grace: unknown;
      await Promise.race([inFlight.idle(), new Promise<void>((resolve) => (grace = clock.setTimeout(() => resolve(), 250)))]);
      clock.clearTimeout(grace);
      return { cut, waitedMs: clock.now() - startedAt };
    },
    reload(next) {
      registry = new ProfileRegistry([...BUILT_IN_PROFILES, ...next.profiles]);
      const plan = planEndpoints(endpoints, next.endpoints);
      const nextList = plan.next.map((item) => ("keep" in item ? item.keep : makeEndpoint(item.build)));
      const fresh = nextList.filter((e) => !endpoints.includes(e));
      for (const endpoint of plan.retired) health.remove(endpoint);
      // One synchronous splice: every reader of the shared array sees the old list or the new one.
      endpoints.splice(0, endpoints.length, ...nextList);
      for (const endpoint of fresh) health.add(endpoint);
      slots.drain();
      // Against the config started with: a restart-only change stays pending on every reload until a restart.
      const needsRestart = settingsNeedingRestart(config, next);
      void keyRing.replace(next.auth);
      if (!deepEqual(current.server.rate_limits, next.server.rate_limits)) rateLimiter.configure(next.server.rate_limits);
      current = next;
      return { added: plan.added, changed: plan.changed, removed: plan.removed, kept: plan.kept, needsRestart };
    },
  };
}
