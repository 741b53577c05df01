/**
 * @module
 * Olla's server.rate_limits, enforced at admission (a stream in flight is never cut): a
 * global and a per-client bucket on proxied routes, a per-key bucket on top, one bucket for
 * /internal/health. Over a limit is a 429 JSON with Retry-After and the X-RateLimit-* headers
 * Olla sends; an admitted request carries the headers of its tightest bucket. Each limit is
 * off until its per-minute value is set. `configure` swaps the settings on reload.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Clock } from "../clock.ts";
import type { Config } from "../config/load.ts";
import type { AppEnv } from "../http/context.ts";
import { ProxyError } from "../http/errors.ts";
import { ClientAddresses } from "./client_address.ts";
import { TokenBuckets, type Verdict } from "./token_bucket.ts";

type Settings = Config["server"]["rate_limits"];

export class RateLimiter {
  #settings!: Settings;
  #buckets!: TokenBuckets;
  #addresses!: ClientAddresses;

  constructor(settings: Settings, private readonly clock: Clock) {
    this.configure(settings);
  }

  /** Put new settings in force; counters start afresh. */
  configure(settings: Settings): void {
    this.#settings = settings;
    this.#buckets = new TokenBuckets(settings.cleanup_interval);
    this.#addresses = new ClientAddresses({
      trustProxyHeaders: settings.trust_proxy_headers,
      trustedProxyCidrs: settings.trusted_proxy_cidrs,
    });
  }

  /**
   * Whether proxied requests need `admitClient()` at all: a limit is set, or forwarded client
   * addresses are believed (which the upstream headers depend on). Per-key limits need keys.
   */
  get engaged(): boolean {
    const s = this.#settings;
    return s.global_requests_per_minute > 0 || s.per_ip_requests_per_minute > 0 || s.trust_proxy_headers;
  }

  /**
   * Proxied routes: resolve the client, then take from the global and per-client buckets.
   *
   * @returns the admitting verdicts, for {@link advertise}
   * @throws {ProxyError} 429 when a bucket is empty
   */
  admitClient(c: Context<AppEnv>): Verdict[] {
    const client = this.#addresses.resolve(c.env?.remoteAddress ?? "", c.req.raw.headers);
    c.set("client", client);
    const { global_requests_per_minute: global, per_ip_requests_per_minute: perIp } = this.#settings;
    const verdicts: Verdict[] = [];
    if (global > 0) verdicts.push(this.#take(c, "global", global, "all clients together"));
    if (perIp > 0) verdicts.push(this.#take(c, `ip:${client.ip}`, perIp, `client ${client.ip}`));
    return verdicts;
  }

  /**
   * After the key is known: take from its own requests_per_minute bucket.
   *
   * @throws {ProxyError} 429 when the bucket is empty
   */
  admitKey(c: Context<AppEnv>): Verdict | null {
    const key = c.get("apiKey");
    return key?.requestsPerMinute ? this.#take(c, `key:${key.name}`, key.requestsPerMinute, `key "${key.name}"`) : null;
  }

  /** /internal/health: one bucket for everyone (health_requests_per_minute). */
  health(): MiddlewareHandler<AppEnv> {
    return async (c, next) => {
      const limit = this.#settings.health_requests_per_minute;
      const verdicts = limit > 0 ? [this.#take(c, "health", limit, "health checks")] : [];
      await next();
      advertise(c, verdicts);
    };
  }

  #take(c: Context<AppEnv>, id: string, perMinute: number, who: string): Verdict {
    const verdict = this.#buckets.take(id, perMinute, Math.min(this.#settings.burst_size, Math.max(perMinute, 1)), this.clock.now());
    if (verdict.allowed) return verdict;
    const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
    // For /internal/metrics: which limit refused it (global, ip, key, health).
    c.set("refusedBy", id.split(":")[0]!);
    throw new ProxyError(
      429,
      "rate_limit_exceeded",
      `Rate limit of ${perMinute} requests per minute reached for ${who}: retry in ${seconds}s`,
      { "retry-after": String(seconds), ...headersOf(verdict) },
    );
  }
}

function headersOf(verdict: Verdict): Record<string, string> {
  return {
    "x-ratelimit-limit": String(verdict.limit),
    "x-ratelimit-remaining": String(verdict.remaining),
    "x-ratelimit-reset": String(Math.ceil(verdict.resetAt / 1000)),
  };
}

/** The tightest admitted bucket's headers on the answer (unless a tighter one already set them). */
export function advertise(c: Context<AppEnv>, verdicts: readonly Verdict[]): void {
  if (verdicts.length === 0) return;
  const tightest = tightestOf(verdicts);
  const already = c.res.headers.get("x-ratelimit-remaining");
  if (already !== null && Number(already) <= tightest.remaining) return;
  for (const [name, value] of Object.entries(headersOf(tightest))) c.res.headers.set(name, value);
}

/** A refusal after some buckets admitted the request carries the tightest one's headers, as an answer would. */
export function advertiseOn(error: unknown, verdicts: readonly Verdict[]): unknown {
  if (!(error instanceof ProxyError) || verdicts.length === 0) return error;
  const tightest = tightestOf(verdicts);
  const already = error.headers["x-ratelimit-remaining"];
  if (already !== undefined && Number(already) <= tightest.remaining) return error;
  return new ProxyError(error.status, error.code, error.message, { ...error.headers, ...headersOf(tightest) });
}

function tightestOf(verdicts: readonly Verdict[]): Verdict {
  return verdicts.reduce((a, b) => (b.remaining < a.remaining ? b : a));
}
