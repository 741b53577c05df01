/**
 * @module
 * OLLA_* environment overrides, applied to the raw YAML before validation so that a bad
 * value is reported with the variable it came from.
 */

/** Variable name → key path in the config file. */
export const ENV_OVERRIDES: ReadonlyArray<readonly [string, readonly string[], "string" | "number" | "boolean"]> = [
  ["OLLA_SERVER_HOST", ["server", "host"], "string"],
  ["OLLA_SERVER_PORT", ["server", "port"], "number"],
  ["OLLA_SERVER_MAX_BODY_SIZE", ["server", "request_limits", "max_body_size"], "string"],
  ["OLLA_SERVER_SHUTDOWN_TIMEOUT", ["server", "shutdown_timeout"], "string"],
  ["OLLA_SERVER_IDLE_TIMEOUT", ["server", "idle_timeout"], "string"],
  ["OLLA_SERVER_REQUEST_LOGGING", ["server", "request_logging"], "boolean"],
  ["OLLA_SERVER_GLOBAL_RATE_LIMIT", ["server", "rate_limits", "global_requests_per_minute"], "number"],
  ["OLLA_SERVER_PER_IP_RATE_LIMIT", ["server", "rate_limits", "per_ip_requests_per_minute"], "number"],
  ["OLLA_SERVER_HEALTH_RATE_LIMIT", ["server", "rate_limits", "health_requests_per_minute"], "number"],
  ["OLLA_SERVER_RATE_BURST_SIZE", ["server", "rate_limits", "burst_size"], "number"],
  ["OLLA_SERVER_RATE_CLEANUP_INTERVAL", ["server", "rate_limits", "cleanup_interval"], "string"],
  ["OLLA_SERVER_TRUST_PROXY_HEADERS", ["server", "rate_limits", "trust_proxy_headers"], "boolean"],
  ["OLLA_PROXY_LOAD_BALANCER", ["proxy", "load_balancer"], "string"],
  ["OLLA_PROXY_RESPONSE_HEADER_TIMEOUT", ["proxy", "response_header_timeout"], "string"],
  ["OLLA_PROXY_READ_TIMEOUT", ["proxy", "read_timeout"], "string"],
  ["OLLA_LOGGING_LEVEL", ["logging", "level"], "string"],
  ["OLLA_LOGGING_FORMAT", ["logging", "format"], "string"],
  ["OLLA_TRANSLATORS_ANTHROPIC_ENABLED", ["translators", "anthropic", "enabled"], "boolean"],
  ["OLLA_TRANSLATORS_ANTHROPIC_PASSTHROUGH_ENABLED", ["translators", "anthropic", "passthrough_enabled"], "boolean"],
  ["OLLA_TRANSLATORS_ANTHROPIC_MAX_MESSAGE_SIZE", ["translators", "anthropic", "max_message_size"], "string"],
];

/**
 * Write each set OLLA_* variable into the raw config object.
 *
 * @returns a map from dotted key path to the variable that set it
 */
export function applyEnvOverrides(
  raw: Record<string, unknown>,
  env: (name: string) => string | undefined,
): Map<string, string> {
  const sources = new Map<string, string>();
  for (const [name, path, kind] of ENV_OVERRIDES) {
    const text = env(name);
    if (text === undefined || text === "") continue;
    let target = raw;
    for (const key of path.slice(0, -1)) {
      const next = target[key];
      if (typeof next !== "object" || next === null || Array.isArray(next)) target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
    target[path.at(-1)!] = coerce(text, kind);
    sources.set(path.join("."), name);
  }
  return sources;
}

function coerce(text: string, kind: "string" | "number" | "boolean"): unknown {
  if (kind === "number" && /^\s*-?\d+\s*$/.test(text)) return Number(text);
  if (kind === "boolean" && /^(true|false)$/i.test(text.trim())) return text.trim().toLowerCase() === "true";
  return text;
}
