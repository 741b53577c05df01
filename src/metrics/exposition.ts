/**
 * @module
 * The whole `/internal/metrics` text: Olla's families first, with Olla's names, labels and
 * meanings (so Olla dashboards keep working), read from live state at scrape time, then
 * the `tureen_*` families Olla lacks.
 */
import type { Clock } from "../clock.ts";
import type { Config } from "../config/load.ts";
import type { Endpoint } from "../endpoints/endpoint.ts";
import type { Slots } from "../endpoints/slots.ts";
import { VERSION } from "../version.ts";
import { Registry } from "./registry.ts";
import type { Stats } from "./stats.ts";
import { systemStatus } from "./system_status.ts";
import type { TrafficMetrics } from "./traffic.ts";

export interface ExpositionSources {
  readonly endpoints: readonly Endpoint[];
  readonly stats: Stats;
  readonly traffic: TrafficMetrics;
  readonly slots: Slots;
  readonly config: () => Config;
  readonly clock: Clock;
  /** Requests being served now, streams until their last byte. */
  readonly inFlight: () => number;
}

const BREAKER_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

export function renderMetrics(sources: ExpositionSources): string {
  return ollaFamilies(sources).render() + tureenGauges(sources).render() + sources.traffic.registry.render();
}

function ollaFamilies({ endpoints, stats, traffic, config, clock }: ExpositionSources): Registry {
  const r = new Registry();
  const { proxy } = config();
  r.gauge("olla_info", "Olla build and proxy configuration", ["version", "commit", "engine", "profile", "balancer"])
    .set([VERSION, "", "tureen", proxy.profile, proxy.load_balancer], 1);
  const up = endpoints.filter((e) => e.isRoutable()).length;
  const successRate = stats.total.successRate();
  const status = systemStatus(endpoints.length, up, successRate);
  r.gauge("olla_system_status", "Overall system status (2=healthy, 1=degraded, 0=critical)")
    .set([], status === "healthy" ? 2 : status === "degraded" ? 1 : 0);
  r.gauge("olla_endpoints_total", "Total configured endpoints").set([], endpoints.length);
  r.gauge("olla_endpoints_healthy", "Number of healthy endpoints").set([], endpoints.filter((e) => e.status === "healthy").length);
  r.gauge("olla_success_rate_percent", "Proxy success rate percentage").set([], successRate ?? 0);
  r.gauge("olla_avg_latency_ms", "Average proxy latency in milliseconds").set([], stats.total.latency.summary().avg_ms ?? 0);
  const bytes = [...traffic.trafficBytes.values()].reduce((a, b) => a + b, 0);
  r.gauge("olla_total_traffic_bytes", "Total traffic across all endpoints in bytes").set([], bytes);
  r.gauge("olla_uptime_seconds", "Process uptime in seconds").set([], (clock.now() - stats.startedAt) / 1000);
  r.gauge("olla_active_connections", "Active connections across all endpoints")
    .set([], endpoints.reduce((sum, e) => sum + e.inFlight, 0));
  const rateLimits = traffic.rateLimitRefusals.total();
  const violations = rateLimits + traffic.sizeLimitRefusals;
  r.counter("olla_security_violations_total", "Total security violations").inc([], violations);
  r.counter("olla_requests_total", "Total proxy requests processed").inc([], stats.total.requests);
  r.counter("olla_failures_total", "Total failed proxy requests").inc([], stats.total.failures);
  r.counter("olla_security_rate_limit_violations_total", "Rate limit violations").inc([], rateLimits);
  r.counter("olla_security_size_limit_violations_total", "Request size limit violations")
    .inc([], traffic.sizeLimitRefusals);

  const labels = ["endpoint", "status"];
  const families = {
    up: r.gauge("olla_endpoint_up", "Whether the endpoint is healthy (1) or not (0)", labels),
    requests: r.counter("olla_endpoint_requests_total", "Total requests handled by endpoint", labels),
    connections: r.gauge("olla_endpoint_connections", "Active connections for endpoint", labels),
    successRate: r.gauge("olla_endpoint_success_rate_percent", "Endpoint success rate percentage", labels),
    latency: r.gauge("olla_endpoint_avg_latency_ms", "Endpoint average latency in milliseconds", labels),
    traffic: r.counter("olla_endpoint_traffic_bytes", "Total traffic for endpoint in bytes", labels),
    priority: r.gauge("olla_endpoint_priority", "Endpoint routing priority", labels),
    models: r.gauge("olla_endpoint_models_count", "Number of models discovered on endpoint", labels),
  };
  for (const endpoint of endpoints) {
    const values = [endpoint.name, endpoint.status];
    const counters = stats.endpoint(endpoint.name);
    families.up.set(values, endpoint.status === "healthy" ? 1 : 0);
    families.requests.inc(values, counters.requests);
    families.connections.set(values, endpoint.inFlight);
    families.successRate.set(values, counters.successRate() ?? 0);
    families.latency.set(values, counters.latency.summary().avg_ms ?? 0);
    families.traffic.inc(values, traffic.trafficBytes.get(endpoint.name) ?? 0);
    families.priority.set(values, endpoint.config.priority);
    families.models.set(values, endpoint.models.size);
  }

  const model = {
    requests: r.counter("olla_model_requests_total", "Total requests for model", ["model"]),
    successes: r.counter("olla_model_successful_requests_total", "Successful requests for model", ["model"]),
    failures: r.counter("olla_model_failed_requests_total", "Failed requests for model", ["model"]),
    successRate: r.gauge("olla_model_success_rate_percent", "Model success rate percentage", ["model"]),
    latency: r.gauge("olla_model_avg_latency_ms", "Model average latency in milliseconds", ["model"]),
  };
  for (const [name, { counters }] of stats.byModel) {
    model.requests.inc([name], counters.requests);
    model.successes.inc([name], counters.successes);
    model.failures.inc([name], counters.failures);
    model.successRate.set([name], counters.successRate() ?? 0);
    model.latency.set([name], counters.latency.summary().avg_ms ?? 0);
  }
  return r;
}

function tureenGauges({ endpoints, slots, inFlight }: ExpositionSources): Registry {
  const r = new Registry();
  r.gauge("tureen_requests_in_flight", "Requests being served now, a relayed stream until its last byte").set([], inFlight());
  r.gauge("tureen_queue_depth", "Requests waiting for a free slot under max_concurrent_requests").set([], slots.depth);
  const breaker = r.gauge(
    "tureen_endpoint_circuit_breaker_state",
    "Circuit breaker per endpoint (0=closed, 1=half-open, 2=open)",
    ["endpoint"],
  );
  const loaded = r.gauge("tureen_endpoint_loaded_models", "Models the endpoint reports loaded (DMR /engines/ps)", ["endpoint"]);
  const routable = r.gauge("tureen_endpoint_routable", "Whether the proxy sends traffic to the endpoint now (1) or not (0)", ["endpoint"]);
  for (const endpoint of endpoints) {
    breaker.set([endpoint.name], BREAKER_VALUE[endpoint.breaker.snapshot().state]);
    loaded.set([endpoint.name], endpoint.dmr.loaded.size);
    routable.set([endpoint.name], endpoint.isAvailable() ? 1 : 0);
  }
  return r;
}
