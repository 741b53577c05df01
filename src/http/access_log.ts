/**
 * @module
 * One access line per request: id, method, path, model, endpoint, status, duration, time
 * to first byte and first token, and the tokens the backend reported. For a relayed stream
 * the line is written when the stream ends, and inference requests are counted in the
 * stats and metrics at the same moment.
 */
import type { MiddlewareHandler } from "hono";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import { ModelLabels } from "../metrics/model_labels.ts";
import type { Stats } from "../metrics/stats.ts";
import { routeOfPath, type TrafficMetrics } from "../metrics/traffic.ts";
import { requestIdFor } from "../proxying/upstream_request.ts";
import type { AppEnv, BodyEnd, RequestRecord } from "./context.ts";

export interface AccessLogOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly stats: Stats;
  /** `/internal/metrics` traffic families: every request a proxy route took is counted here when it ends. */
  readonly traffic?: TrafficMetrics;
  /** server.request_logging */
  readonly enabled: boolean;
  /** Told when each request starts and when it has finished (a relayed body: when it ends). */
  readonly inFlight?: { begin(): () => void };
}

export function accessLog(options: AccessLogOptions): MiddlewareHandler<AppEnv> {
  const { logger, clock, stats } = options;
  const modelLabels = new ModelLabels();
  return async function accessLogMiddleware(c, next) {
    const record: RequestRecord = { id: requestIdFor(c.req.raw.headers), startedAt: clock.now() };
    c.set("record", record);
    const done = options.inFlight?.begin();
    try {
      await next();
    } catch (error) {
      done?.();
      throw error;
    }
    c.res.headers.set("x-olla-request-id", record.id);
    const status = c.res.status;
    const finish = (end: BodyEnd | null) => {
      done?.();
      const endedAt = clock.now();
      const durationMs = endedAt - record.startedAt;
      const closed = status === 499 || end?.end === "client_closed";
      const brokenOff = end !== null && end.end !== "complete" && end.end !== "no_body";
      const outcome = closed ? "client_closed" : status >= 500 || brokenOff ? "failure" : "success";
      const model = modelLabels.of(record.model, record.modelKey, record.endpoint);
      if (model) stats.record({ model, endpoint: record.endpoint, status, durationMs, outcome, at: endedAt });
      const usage = end?.usage?.read() ?? null;
      const firstTokenAt = end?.usage?.firstTokenAt ?? null;
      // A proxy route sets `route` up front; one that only named a model or an endpoint is counted by its path.
      const route = record.route ?? (record.model || record.endpoint ? routeOfPath(c.req.path) : undefined);
      if (route && options.traffic) {
        options.traffic.finished({
          id: record.id,
          route,
          model,
          endpoint: record.endpoint,
          status,
          outcome,
          startedAt: record.startedAt,
          endedAt,
          firstByteAt: end === null ? endedAt : end.firstByteAt,
          firstTokenAt,
          bytes: end?.bytes ?? 0,
          usage,
          path: c.req.path,
          error: record.error ?? (brokenOff ? `stream ended: ${end!.end.replace("_", " ")}` : undefined),
        });
      }
      if (!options.enabled) return;
      const fields = {
        request_id: record.id,
        method: c.req.method,
        path: c.req.path,
        model: record.model,
        endpoint: record.endpoint,
        key: record.keyName,
        status,
        duration_ms: durationMs,
        ttfb_ms: end === null ? durationMs : end.firstByteAt === null ? null : end.firstByteAt - record.startedAt,
        bytes: end?.bytes,
        outcome: end?.end,
        tokens_in: usage?.input ?? undefined,
        tokens_out: usage?.output ?? undefined,
        ttft_ms: firstTokenAt === null ? undefined : firstTokenAt - record.startedAt,
        attempts: record.attempts && record.attempts.length > 1 ? record.attempts : undefined,
        client_ip: c.env?.remoteAddress,
        error: end?.error,
      };
      if (end !== null && end.end !== "complete" && end.end !== "no_body") logger.warn("request ended early", fields);
      // Liveness probes (container HEALTHCHECK, load balancers) would drown the log at info.
      else if (c.req.path === "/internal/health") logger.debug("request", fields);
      else logger.info("request", fields);
    };
    if (record.bodyEnd) void record.bodyEnd.then(finish);
    else finish(null);
  };
}
