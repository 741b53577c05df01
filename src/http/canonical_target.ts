/**
 * @module
 * Refuse any request target that is not already in canonical form, before routing, on every
 * route: dot segments (`.`, `..`, `%2e` spellings), backslashes (also as `%5c`) and doubled
 * slashes never name a Tureen route. An encoded slash `%2f` is allowed: no URL parser decodes
 * it, and SDKs send model ids that way (`/v1/models/ai%2Fsmollm2`); routes match exact paths,
 * so it can never stand for a separator. Runtimes disagree about normalising targets (Bun resolves
 * them before the app sees the URL, Deno does not); answering 404 to all of them makes both
 * behave the same and keeps a guard keyed on one spelling from being bypassed by another.
 */
import type { MiddlewareHandler } from "hono";
import { rawPathOf } from "../runtime/target.ts";
import type { AppEnv } from "./context.ts";
import { ProxyError } from "./errors.ts";

/** What stays visible in request.url even after a runtime normalised it. */
const SUSPICIOUS_PATH = /\.\.|%2e|%5c|\\|\/\/|\/\.(\/|$)/i;

/** True when the target's path, as the runtime reports it, needs no normalisation. */
export function isCanonicalPath(rawPath: string): boolean {
  return !SUSPICIOUS_PATH.test(rawPath);
}

export function canonicalTarget(): MiddlewareHandler<AppEnv> {
  return function canonicalTargetMiddleware(c, next) {
    const url = c.req.raw.url;
    // A fragment never belongs in a request target (RFC 9112 §3.2); Deno keeps it in the url.
    if (c.env?.canonicalTarget === false || !isCanonicalPath(rawPathOf(url)) || url.includes("#")) {
      throw new ProxyError(
        404,
        "route_not_found",
        "The request target is not in canonical form (dot segments, backslashes or doubled slashes): " +
          "send the path as it is meant, e.g. /olla/dmr/engines/v1/chat/completions",
      );
    }
    return next();
  };
}
