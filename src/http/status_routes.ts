/**
 * @module
 * The status API in Olla's shapes: `/internal/status`, `/internal/status/endpoints`,
 * `/internal/status/models` and `/internal/stats/models`, plus what Olla lacks: breaker
 * state, queue depth, latency percentiles and per-endpoint check times.
 */
import { redactUrl } from "../config/redact.ts";
import type { Hono } from "hono";
import type { Clock } from "../clock.ts";
import type { Config } from "../config/load.ts";
import type { Endpoint } from "../endpoints/endpoint.ts";
import type { Slots } from "../endpoints/slots.ts";
import { displayModelName } from "../models/dmr_names.ts";
import type { Stats } from "../metrics/stats.ts";
import { systemStatus } from "../metrics/system_status.ts";
import { VERSION } from "../version.ts";
import type { AppEnv } from "./context.ts";

export interface StatusRoutesOptions {
  readonly endpoints: readonly Endpoint[];
  readonly stats: Stats;
  readonly slots: Slots;
  readonly config: Config;
  readonly clock: Clock;
}

export function mountStatusRoutes(app: Hono<AppEnv>, options: StatusRoutesOptions): void {
  const { endpoints, stats, slots, config, clock } = options;
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

  const endpointView = (endpoint: Endpoint) => {
    const counters = stats.endpoint(endpoint.name);
    return {
      id: endpointId(endpoint.config.url),
      name: endpoint.name,
      url: redactUrl(endpoint.config.url),
      type: endpoint.config.type,
      status: endpoint.status,
      routable: endpoint.isAvailable(),
      priority: endpoint.config.priority,
      model_count: endpoint.models.size,
      models: [...endpoint.models.keys()].map(displayModelName),
      engines: endpoint.dmr.engines ? Object.fromEntries(endpoint.dmr.engines) : null,
      loaded_models: runnerNames(endpoint.dmr.loaded),
      loading_models: runnerNames(new Set([...endpoint.dmr.loadingReported, ...endpoint.dmr.loadsStarted.keys()])),
      request_count: counters.requests,
      error_count: counters.failures,
      success_rate: counters.successRate(),
      latency: counters.latency.summary(),
      active_connections: endpoint.inFlight,
      max_concurrent_requests: endpoint.config.maxConcurrentRequests,
      circuit_breaker: endpoint.breaker.snapshot(),
      health_check: {
        url: redactUrl(endpoint.config.healthUrl),
        interval_ms: endpoint.config.checkIntervalMs,
        last_check_at: iso(endpoint.lastCheckAt),
        last_check_ms: endpoint.lastCheckMs,
        next_check_at: iso(endpoint.nextCheckAt),
        consecutive_failures: endpoint.consecutiveFailures,
      },
      last_model_sync_at: iso(endpoint.modelsUpdatedAt),
      issues: endpoint.lastError ? [endpoint.lastError] : [],
    };
  };

  const sortedEndpoints = () =>
    [...endpoints].sort((a, b) => b.config.priority - a.config.priority || a.name.localeCompare(b.name));

  app.get("/internal/status/endpoints", (c) => {
    const views = sortedEndpoints().map(endpointView);
    return c.json({
      timestamp: iso(clock.now()),
      total_count: views.length,
      healthy_count: endpoints.filter((e) => e.status === "healthy").length,
      routable_count: endpoints.filter((e) => e.isAvailable()).length,
      queue_depth: slots.depth,
      endpoints: views,
    });
  });

  app.get("/internal/status", (c) => {
    const up = endpoints.filter((e) => e.isRoutable()).length;
    const successRate = stats.total.successRate();
    return c.json({
      timestamp: iso(clock.now()),
      endpoints: sortedEndpoints().map(endpointView),
      proxy: { engine: "tureen", profile: config.proxy.profile, balancer: config.proxy.load_balancer },
      queue: { depth: slots.depth, max_size: config.proxy.queue.max_size, timeout_ms: config.proxy.queue.timeout },
      system: {
        status: systemStatus(endpoints.length, up, successRate),
        endpoints_up: `${up}/${endpoints.length}`,
        success_rate: successRate,
        latency: stats.total.latency.summary(),
        total_requests: stats.total.requests,
        total_failures: stats.total.failures,
        active_connections: endpoints.reduce((sum, e) => sum + e.inFlight, 0),
        uptime_seconds: Math.round((clock.now() - stats.startedAt) / 1000),
        start_time: iso(stats.startedAt),
        version: VERSION,
      },
    });
  });

  app.get("/internal/status/models", (c) => {
    const models = new Map<string, { endpoints: string[]; available: string[]; loaded: string[]; loading: string[] }>();
    for (const endpoint of sortedEndpoints()) {
      for (const key of endpoint.models.keys()) {
        const name = displayModelName(key);
        let entry = models.get(name);
        if (!entry) models.set(name, entry = { endpoints: [], available: [], loaded: [], loading: [] });
        entry.endpoints.push(endpoint.name);
        if (endpoint.isAvailable()) entry.available.push(endpoint.name);
        if (endpoint.dmr.isLoaded(key, "completion") || endpoint.dmr.isLoaded(key, "embedding")) {
          entry.loaded.push(endpoint.name);
        } else if (endpoint.dmr.isLoading(key, "completion") || endpoint.dmr.isLoading(key, "embedding")) {
          entry.loading.push(endpoint.name);
        }
      }
    }
    return c.json({
      timestamp: iso(clock.now()),
      total_models: models.size,
      total_endpoints: endpoints.length,
      models: [...models].map(([name, where]) => ({
        name,
        type: "docker-model-runner",
        endpoints: where.endpoints,
        available_endpoints: where.available,
        loaded_on: where.loaded,
        loading_on: where.loading,
        requests: stats.byModel.get(name)?.counters.requests ?? 0,
      })),
    });
  });

  app.get("/internal/stats/models", (c) => {
    const rows = [...stats.byModel].map(([name, model]) => ({
      name,
      total_requests: model.counters.requests,
      successful_requests: model.counters.successes,
      failed_requests: model.counters.failures,
      success_rate: model.counters.successRate(),
      latency: model.counters.latency.summary(),
      last_requested: iso(model.counters.lastRequestAt),
      served_by: Object.fromEntries(model.byEndpoint),
      endpoints: endpoints.filter((e) => [...e.models.keys()].some((k) => displayModelName(k) === name)).map((e) => e.name),
    }));
    rows.sort((a, b) => b.total_requests - a.total_requests);
    return c.json({
      timestamp: iso(clock.now()),
      models: rows,
      summary: {
        total_models: rows.length,
        total_requests: stats.total.requests,
        overall_success_rate: stats.total.successRate(),
        most_popular_model: rows[0]?.name ?? null,
      },
    });
  });
}

/** `key|mode` runner ids as `ai/smollm2 (completion)`. */
function runnerNames(ids: Iterable<string>): string[] {
  return [...ids].map((id) => {
    const [key, mode] = id.split("|");
    return `${displayModelName(key!)} (${mode})`;
  });
}

/** Olla's endpoint id: base-36 FNV-1a of the URL without credentials, query or fragment. */
function endpointId(url: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < url.length; i++) {
    hash ^= url.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}
