/**
 * @module
 * `--print-config`: the effective config (file, OLLA_* overrides and defaults) as Olla-layout
 * YAML that loads back to the same config. Durations are written in Go units, sizes in
 * bytes; every endpoint header value (auth included, which is resolved into headers) is "***".
 */
import { stringify } from "yaml";
import type { Config, EndpointConfig } from "../config/load.ts";
import { MASK, redactUrl } from "../config/redact.ts";
import { formatDuration } from "../config/units.ts";

export { MASK };

/** Key paths whose parsed value is milliseconds. */
export const DURATION_PATHS: readonly string[] = [
  "server.idle_timeout",
  "server.shutdown_timeout",
  "server.read_timeout",
  "server.read_header_timeout",
  "server.write_timeout",
  "server.rate_limits.cleanup_interval",
  "proxy.connection_timeout",
  "proxy.response_header_timeout",
  "proxy.read_timeout",
  "proxy.response_timeout",
  "proxy.circuit_breaker.cooldown",
  "proxy.circuit_breaker.max_cooldown",
  "proxy.queue.timeout",
  "proxy.connection_keep_alive",
  "proxy.tls_handshake_timeout",
  "discovery.refresh_interval",
  "discovery.model_discovery.interval",
  "discovery.model_discovery.timeout",
  "discovery.model_discovery.retry_backoff",
  "anthropic.ping_interval",
  "responses.affinity_ttl",
];

export interface RenderOptions {
  /** Replace header values with "***" (default true; tests turn it off to check the round trip). */
  readonly mask?: boolean;
}

/** The effective config as YAML, with a comment naming its source and any warnings. */
export function renderConfig(config: Config, options: RenderOptions = {}): string {
  const mask = options.mask ?? true;
  const { endpoints, source, warnings, discovery, auth, profiles, ...rest } = config;
  const doc: Record<string, unknown> = structuredClone({
    ...rest,
    // Every endpoint, from either list, is printed once under the top-level shorthand;
    // discovery.static.endpoints holds the unresolved inputs (auth in clear), so it is left out.
    discovery: { ...discovery, static: { endpoints: [] } },
  }) as Record<string, unknown>;
  for (const path of DURATION_PATHS) {
    const keys = path.split(".");
    let target = doc as Record<string, unknown> | undefined;
    for (const key of keys.slice(0, -1)) target = target?.[key] as Record<string, unknown> | undefined;
    const last = keys.at(-1)!;
    if (target && typeof target[last] === "number") target[last] = formatDuration(target[last] as number);
  }
  doc.endpoints = endpoints.map((e) => renderEndpoint(e, mask));
  doc.auth = {
    keys: auth.keys.map((k) => ({
      name: k.name,
      key: mask ? MASK : k.key,
      ...(k.models ? { models: [...k.models] } : {}),
      ...(k.requestsPerMinute !== null ? { requests_per_minute: k.requestsPerMinute } : {}),
    })),
    internal: auth.internal,
  };
  const header = [
    `# Effective config from ${source ?? "(built-in defaults)"}, after OLLA_* overrides and defaults.`,
    ...(mask ? [`# Header and auth values are shown as "${MASK}".`] : []),
    ...warnings.map((w) => `# warning: ${w}`),
    ...profiles.map((p) => `# profile from file: ${p.type} (prefixes ${p.prefixes.join(", ") || "none"})`),
  ];
  return `${header.join("\n")}\n${stringify(doc, { lineWidth: 0 })}`;
}

function renderEndpoint(endpoint: EndpointConfig, mask: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    // Query values may be API keys (?api_key=...): masked like header values.
    url: mask ? redactUrl(endpoint.url) : endpoint.url,
    name: endpoint.name,
    type: endpoint.type,
    priority: endpoint.priority,
    model_url: mask ? redactUrl(endpoint.modelUrl) : endpoint.modelUrl,
    health_check_url: mask ? redactUrl(endpoint.healthUrl) : endpoint.healthUrl,
    check_interval: formatDuration(endpoint.checkIntervalMs),
    check_timeout: formatDuration(endpoint.checkTimeoutMs),
    // Auth is resolved into headers (Authorization or the api_key header), so it shows here.
    headers: Object.fromEntries(endpoint.headers.map(([name, value]) => [name, mask ? MASK : value])),
    preserve_path: endpoint.preservePath,
    anthropic_support: endpoint.anthropicSupport,
  };
  if (endpoint.maxConcurrentRequests !== null) out.max_concurrent_requests = endpoint.maxConcurrentRequests;
  return out;
}
