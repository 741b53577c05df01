/**
 * @module
 * The Hono app: route table, access log, and the one place errors become responses.
 */
import { Hono } from "hono";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import { internalAccess } from "../auth/require_key.ts";
import type { KeyRing } from "../auth/key_ring.ts";
import type { RateLimiter } from "../limits/rate_limit.ts";
import { accessLog } from "./access_log.ts";
import { admission } from "./admission.ts";
import { type AnthropicRoutesOptions, mountAnthropicRoutes } from "./anthropic_routes.ts";
import type { BodyDeadline } from "./body.ts";
import { canonicalTarget } from "./canonical_target.ts";
import { corsFor } from "./cors.ts";
import type { AppEnv } from "./context.ts";
import type { ProfileRegistry } from "../profiles/registry.ts";
import { mountCatalogRoutes } from "./catalog_routes.ts";
import { proxyRoutes } from "./proxy_routes.ts";
import { typeRoutes, type TypeRoutesOptions } from "./type_routes.ts";
import { asProxyError, type ProxyError, refuse } from "./errors.ts";
import { mountInternalRoutes } from "./internal_routes.ts";
import { mountMetricsRoutes, type MetricsRoutesOptions } from "./metrics_routes.ts";
import { mountRerankRoutes } from "./rerank_routes.ts";
import { mountResponsesRoutes, type ResponsesRoutesOptions } from "./responses_routes.ts";
import { mountStatusRoutes, type StatusRoutesOptions } from "./status_routes.ts";
import type { Stats } from "../metrics/stats.ts";
import type { TrafficMetrics } from "../metrics/traffic.ts";
import { anthropicErrorResponse } from "../translate/anthropic/errors.ts";

export interface HttpAppOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly requestLogging: boolean;
  readonly stats: Stats;
  readonly status: StatusRoutesOptions;
  readonly runtime: { name: string; version: string };
  readonly proxy: TypeRoutesOptions;
  readonly profiles: ProfileRegistry;
  readonly anthropic: AnthropicRoutesOptions;
  readonly responses: ResponsesRoutesOptions;
  /** Inbound keys and the /internal policy in force. */
  readonly keyRing: KeyRing;
  readonly rateLimiter: RateLimiter;
  /** server.read_timeout, for every route that reads a request body. */
  readonly bodyDeadline: BodyDeadline;
  /** Counts unfinished requests for graceful shutdown (src/in_flight.ts). */
  readonly inFlight?: { begin(): () => void };
  /** `/internal/metrics` and the dashboard at `/internal/ui/`. */
  readonly metrics?: MetricsRoutesOptions;
}

export function createHttpApp(options: HttpAppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(accessLog({
    logger: options.logger,
    clock: options.clock,
    stats: options.stats,
    traffic: options.metrics?.traffic,
    enabled: options.requestLogging,
    inFlight: options.inFlight,
  }));
  app.use(canonicalTarget());
  const browserAccess = corsFor(options.status.config.server.cors);
  if (browserAccess) app.use(browserAccess);
  // Before the routes: Hono runs handlers in the order they were added.
  app.use("/internal/health", options.rateLimiter.health());
  app.use("/internal/*", internalAccess(options.keyRing));
  app.use("/olla/*", admission(options.keyRing, options.rateLimiter, options.bodyDeadline));
  mountInternalRoutes(app, options.runtime);
  mountStatusRoutes(app, options.status);
  // Before /olla/proxy/* and the type routes: these name paths under /olla/dmr/ that the DMR type route
  // refuses, and give /olla/proxy/v1/responses and /olla/<type>/.../responses their affinity.
  mountAnthropicRoutes(app, options.anthropic);
  mountResponsesRoutes(app, options.responses, options.profiles);
  mountRerankRoutes(app, options.proxy, options.profiles);
  if (options.metrics) mountMetricsRoutes(app, options.metrics);
  mountCatalogRoutes(app, { endpoints: options.proxy.endpoints, router: options.proxy.router, profiles: options.profiles });
  app.all("/olla/proxy/*", proxyRoutes(options.profiles, options.proxy));
  for (const profile of options.profiles.profiles) {
    for (const prefix of profile.prefixes) app.all(`/olla/${prefix}/*`, typeRoutes(profile, prefix, options.proxy));
  }
  app.notFound((c) =>
    refuse(
      "route_not_found",
      `${c.req.method} ${c.req.path} is not a Tureen route: inference lives under /olla/<type>/ (e.g. /olla/dmr/engines/v1/, ` +
        "/olla/ollama/api/chat) and /olla/proxy/v1/, Anthropic Messages under /olla/anthropic/v1/, health at /internal/health",
    ).toResponse()
  );
  app.onError((error, c) => {
    const record = c.get("record");
    if (record) record.error = error instanceof Error ? error.message : String(error);
    const known = asProxyError(error);
    if (known) {
      if (options.metrics) countRefusal(options.metrics.traffic, known, c.get("refusedBy"));
      // Anthropic clients (Claude Code) read Anthropic's error shape: the routes' own errors and the key, limit and target checks before them.
      if (ANTHROPIC_PATH.test(c.req.path)) return anthropicErrorResponse(known.status, known.message, known.headers);
      return known.toResponse();
    }
    options.logger.error("unhandled error", { request_id: c.get("record")?.id, path: c.req.path, error });
    return refuse("internal_error", "Tureen failed to handle this request; the log has the details").toResponse();
  });
  return app;
}

/** Auth and rate-limit refusals, for /internal/metrics (`tureen_auth_refusals_total`, `tureen_rate_limit_refusals_total`). */
function countRefusal(traffic: TrafficMetrics, error: ProxyError, refusedBy: string | undefined): void {
  if (error.status === 429 && refusedBy) traffic.rateLimited(refusedBy);
  else if (AUTH_REFUSALS.has(error.code)) traffic.authRefused(refusedBy ?? error.code);
}

const ANTHROPIC_PATH = /^\/olla\/(dmr\/)?anthropic(\/|$)/;
const AUTH_REFUSALS = new Set(["invalid_api_key", "model_not_allowed", "internal_forbidden"]);
