/**
 * @module
 * One access line per request: id, method, path, model, endpoint, status, duration and
 * time to first byte. For a relayed stream the line is written when the stream ends.
 */
import type { MiddlewareHandler } from "hono";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import { requestIdFor } from "../proxying/upstream_request.ts";
import type { AppEnv, RequestRecord } from "./context.ts";

export function accessLog(options: { logger: Logger; clock: Clock; enabled: boolean }): MiddlewareHandler<AppEnv> {
  const { logger, clock } = options;
  return async function accessLogMiddleware(c, next) {
    const record: RequestRecord = { id: requestIdFor(c.req.raw.headers), startedAt: clock.now() };
    c.set("record", record);
    await next();
    c.res.headers.set("x-olla-request-id", record.id);
    if (!options.enabled) return;
    const status = c.res.status;
    const base = {
      request_id: record.id,
      method: c.req.method,
      path: c.req.path,
      model: record.model,
      endpoint: record.endpoint,
      status,
      client_ip: c.env?.remoteAddress,
    };
    if (!record.bodyEnd) {
      const duration = clock.now() - record.startedAt;
      logger.info("request", { ...base, duration_ms: duration, ttfb_ms: duration });
      return;
    }
    void record.bodyEnd.then((end) => {
      const fields = {
        ...base,
        duration_ms: clock.now() - record.startedAt,
        ttfb_ms: end.firstByteAt === null ? null : end.firstByteAt - record.startedAt,
        bytes: end.bytes,
        outcome: end.end,
        attempts: record.attempts && record.attempts.length > 1 ? record.attempts : undefined,
        error: end.error,
      };
      if (end.end === "complete" || end.end === "no_body") logger.info("request", fields);
      else logger.warn("request ended early", fields);
    });
  };
}
