import type { Config } from "../../src/config/load.ts";

/** server.rate_limits as the schema fills it in: every limit off unless `overrides` sets it. */
export function rateLimits(overrides: Partial<Config["server"]["rate_limits"]> = {}): Config["server"]["rate_limits"] {
  return {
    global_requests_per_minute: 0,
    per_ip_requests_per_minute: 0,
    health_requests_per_minute: 0,
    burst_size: 50,
    cleanup_interval: 300_000,
    trust_proxy_headers: false,
    trusted_proxy_cidrs: [],
    ...overrides,
  };
}
