/**
 * @module
 * `/internal/metrics` (Prometheus text), `/internal/stats/traffic` (what the dashboard adds
 * to the status API: per-model percentiles, tokens, the last errors) and the dashboard
 * itself at `/internal/ui/`, a page compiled into the binary.
 */
import type { Hono } from "hono";
import { type ExpositionSources, renderMetrics } from "../metrics/exposition.ts";
import { EXPOSITION_CONTENT_TYPE } from "../metrics/registry.ts";
import type { TrafficMetrics } from "../metrics/traffic.ts";
import { DASHBOARD_HTML } from "../ui/dashboard.ts";
import type { AppEnv } from "./context.ts";

export interface MetricsRoutesOptions extends ExpositionSources {
  readonly traffic: TrafficMetrics;
}

export function mountMetricsRoutes(app: Hono<AppEnv>, options: MetricsRoutesOptions): void {
  app.get("/internal/metrics", () =>
    new Response(renderMetrics(options), {
      headers: { "content-type": EXPOSITION_CONTENT_TYPE, "cache-control": "no-store" },
    }));

  app.get("/internal/stats/traffic", (c) => {
    const { traffic, clock, stats } = options;
    const models = [...traffic.byModel].map(([name, w]) => {
      const counters = stats.byModel.get(name)?.counters;
      return {
        name,
        requests: counters?.requests ?? 0,
        failures: counters?.failures ?? 0,
        latency_p50_ms: w.duration.percentile(50),
        latency_p95_ms: w.duration.percentile(95),
        ttft_p50_ms: w.ttft.percentile(50),
        ttft_p95_ms: w.ttft.percentile(95),
        tokens_per_second_p50: w.tokensPerSecond.percentile(50),
        tokens_in: w.tokensIn,
        tokens_out: w.tokensOut,
      };
    });
    return c.json({
      timestamp: new Date(clock.now()).toISOString(),
      uptime_seconds: Math.round((clock.now() - stats.startedAt) / 1000),
      requests_in_flight: options.inFlight(),
      queue_depth: options.slots.depth,
      total_requests: stats.total.requests,
      total_failures: stats.total.failures,
      latency_p50_ms: stats.total.latency.percentile(50),
      latency_p95_ms: stats.total.latency.percentile(95),
      tokens_in: traffic.promptTokens.total(),
      tokens_out: traffic.completionTokens.total(),
      models,
      recent_errors: traffic.recentErrors().map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
    });
  });

  app.get("/internal/ui", (c) => c.redirect("/internal/ui/", 301));
  app.get("/internal/ui/", () =>
    new Response(DASHBOARD_HTML, {
      headers: {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        // Everything is inline and same-origin; nothing may load from elsewhere.
        "content-security-policy":
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
      },
    }));
}
