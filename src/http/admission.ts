/**
 * @module
 * What every proxied request passes before its route: the per-client rate limits, the inbound
 * key, the key's own limit, and the body deadline. One middleware rather than four: with no
 * keys and no limits configured (the usual case) it costs one check per request, and since the
 * check reads the settings in force, a reload (SIGHUP) that turns keys or limits on takes
 * effect with the next request.
 */
import type { Context, MiddlewareHandler, Next } from "hono";
import type { KeyRing } from "../auth/key_ring.ts";
import { identify } from "../auth/require_key.ts";
import { advertise, advertiseOn, type RateLimiter } from "../limits/rate_limit.ts";
import type { Verdict } from "../limits/token_bucket.ts";
import type { BodyDeadline } from "./body.ts";
import type { AppEnv } from "./context.ts";

export function admission(keyRing: KeyRing, rateLimiter: RateLimiter, bodyDeadline: BodyDeadline): MiddlewareHandler<AppEnv> {
  async function guarded(c: Context<AppEnv>, next: Next): Promise<void> {
    const verdicts: Verdict[] = [];
    try {
      // Per-client limits first (they also slow down key guessing), then the key, then its own limit.
      verdicts.push(...rateLimiter.admitClient(c));
      if (keyRing.enabled) await identify(c, keyRing);
      const own = rateLimiter.admitKey(c);
      if (own) verdicts.push(own);
    } catch (error) {
      throw advertiseOn(error, verdicts);
    }
    await next();
    advertise(c, verdicts);
  }
  return function admissionMiddleware(c, next) {
    c.set("bodyDeadline", bodyDeadline);
    return keyRing.enabled || rateLimiter.engaged ? guarded(c, next) : next();
  };
}
