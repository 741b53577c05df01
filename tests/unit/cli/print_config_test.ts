import { describe, expect, test } from "bun:test";
import { parse } from "yaml";
import { type Config, loadConfig } from "../../../src/config/load.ts";
import { DURATION_PATHS, renderConfig } from "../../../src/cli/print_config.ts";

function load(yaml: string | null, env: Record<string, string> = {}, files: Record<string, string> = {}): Config {
  const all: Record<string, string> = { ...files, ...(yaml === null ? {} : { "config.yaml": yaml }) };
  return loadConfig({ env: (name) => env[name], readTextFile: (path) => all[path] });
}

/** Everything but where it came from. */
const comparable = ({ source: _s, warnings: _w, discovery, ...rest }: Config) => ({
  ...rest,
  discovery: { ...discovery, static: { endpoints: [] } },
});

const FULL = `
server:
  host: 0.0.0.0
  port: 41000
  idle_timeout: 1m30s
  shutdown_timeout: 2500ms
  request_limits: { max_body_size: 10MB }
proxy:
  load_balancer: least-connections
  response_header_timeout: 0s
  read_timeout: 45s
  circuit_breaker: { cooldown: 1500ms, max_cooldown: 2h }
  queue: { max_size: 7, timeout: 3s }
discovery:
  model_discovery: { interval: 90s }
  static:
    endpoints:
      - { url: "http://static:12434", name: static, check_interval: 2s, check_timeout: 1s }
logging: { level: debug, format: text }
endpoints:
  - url: "http://a:12434/base"
    name: a
    priority: 7
    model_url: /engines/v1/models
    health_check_url: "http://a:12434/healthz"
    check_interval: 750ms
    check_timeout: 250ms
    preserve_path: true
    max_concurrent_requests: 4
`;

describe("renderConfig", () => {
  test("the printed YAML loads back to the same config (durations in Go units, sizes in bytes)", () => {
    const config = load(FULL);
    const printed = renderConfig(config, { mask: false });
    const again = load(printed);
    expect(comparable(again)).toEqual(comparable(config));
    const doc = parse(printed);
    expect(doc.server.idle_timeout).toBe("1m30s");
    expect(doc.server.shutdown_timeout).toBe("2s500ms");
    expect(doc.server.request_limits.max_body_size).toBe(10 * 1024 * 1024);
    expect(doc.proxy.circuit_breaker.max_cooldown).toBe("2h");
    expect(doc.endpoints.map((e: { name: string }) => e.name)).toEqual(["static", "a"]);
  });

  test("the built-in defaults round-trip too", () => {
    const config = load(null);
    expect(config.source).toBeNull();
    const printed = renderConfig(config);
    expect(printed).toStartWith("# Effective config from (built-in defaults)");
    expect(comparable(load(printed))).toEqual(comparable(config));
  });

  test("every duration path is a number in the parsed config", () => {
    const config = load(FULL) as unknown as Record<string, Record<string, unknown>>;
    for (const path of DURATION_PATHS) {
      let value: unknown = config;
      for (const key of path.split(".")) value = (value as Record<string, unknown>)[key];
      expect({ path, type: typeof value }).toEqual({ path, type: "number" });
    }
  });

  test("header values and credentials are masked; the unresolved inputs are left out", () => {
    const config = load(
      `
discovery:
  static:
    endpoints:
      - url: "http://s:12434"
        name: s
        auth: { type: bearer, token: "inline-static-token" }
endpoints:
  - url: "http://a:12434"
    name: a
    headers: { X-Team: "\${TEAM}" }
    auth: { type: api_key, key_file: /run/secrets/key, header: X-Key }
  - url: "http://b:12434"
    name: b
    auth: { type: basic, username: bob, password: hunter2 }
`,
      { TEAM: "team-secret" },
      { "/run/secrets/key": "key-from-file\n" },
    );
    const printed = renderConfig(config);
    for (const secret of ["inline-static-token", "team-secret", "key-from-file", "hunter2", btoa("bob:hunter2")]) {
      expect(printed).not.toContain(secret);
    }
    const doc = parse(printed);
    expect(doc.discovery.static.endpoints).toEqual([]);
    expect(doc.endpoints.map((e: { headers: unknown }) => e.headers)).toEqual([
      { Authorization: "***" },
      { "X-Team": "***", "X-Key": "***" },
      { Authorization: "***" },
    ]);
    expect(printed).toContain('# Header and auth values are shown as "***".');
  });

  test("OLLA_* overrides show in the output, warnings as comments", () => {
    const config = load("endpoints: []\n", { OLLA_SERVER_PORT: "45000", OLLA_LOGGING_LEVEL: "warn" });
    const printed = renderConfig(config);
    const doc = parse(printed);
    expect(doc.server.port).toBe(45000);
    expect(doc.logging.level).toBe("warn");
    expect(printed).toContain("# warning: no endpoint is configured");
  });
});
