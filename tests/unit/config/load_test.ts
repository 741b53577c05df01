import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Config, ConfigError, DEFAULT_CONFIG_PATHS, loadConfig, validateConfig } from "../../../src/config/load.ts";

const SHIPPED_CONFIG = readFileSync(join(import.meta.dir, "../../../config.yaml"), "utf8");

interface Fixture {
  files?: Record<string, string>;
  env?: Record<string, string>;
  path?: string;
}

function load({ files = {}, env = {}, path }: Fixture): Config {
  return loadConfig({
    path,
    env: (name) => env[name],
    readTextFile: (file) => (Object.hasOwn(files, file) ? files[file] : undefined),
  });
}

/** Load `config.yaml` holding `yaml`. */
function loadYaml(yaml: string, env: Record<string, string> = {}): Config {
  return load({ files: { "config.yaml": yaml }, env });
}

function loadError(fixture: Fixture): ConfigError {
  try {
    load(fixture);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected loadConfig to throw a ConfigError, but it returned a config");
}

function yamlError(yaml: string, env: Record<string, string> = {}): ConfigError {
  return loadError({ files: { "config.yaml": yaml }, env });
}

const ONE_ENDPOINT = (extra = "") => `endpoints:\n  - url: http://dmr-a:12434\n    name: a\n${extra}`;

describe("loadConfig() file lookup", () => {
  test("loadConfig() loads the shipped config.yaml to one endpoint local-dmr at priority 95, 10s interval, 5s timeout", () => {
    const config = load({ files: { "config.yaml": SHIPPED_CONFIG } });
    expect(config.source).toBe("config.yaml");
    expect(config.endpoints).toHaveLength(1);
    const [endpoint] = config.endpoints;
    expect(endpoint).toMatchObject({
      name: "local-dmr",
      url: "http://localhost:12434",
      type: "docker-model-runner",
      priority: 95,
      modelUrl: "http://localhost:12434/engines/v1/models",
      healthUrl: "http://localhost:12434/engines/v1/models",
      checkIntervalMs: 10_000,
      checkTimeoutMs: 5_000,
      headers: [],
      preservePath: false,
    });
    expect(config.server.port).toBe(40114);
    expect(config.server.host).toBe("localhost");
    expect(config.server.request_limits.max_body_size).toBe(104_857_600);
    expect(config.proxy.load_balancer).toBe("priority");
    expect(config.proxy.response_header_timeout).toBe(600_000);
    expect(config.logging).toEqual({ level: "info", format: "json", output: "stdout" });
    expect(config.warnings).toEqual([]);
  });

  test("loadConfig() with no config file anywhere uses the built-in seed endpoint and defaults", () => {
    const config = load({});
    expect(config.source).toBeNull();
    expect(config.endpoints.map((e) => [e.name, e.url, e.priority, e.checkIntervalMs, e.checkTimeoutMs])).toEqual([
      ["local-dmr", "http://localhost:12434", 95, 10_000, 5_000],
    ]);
    expect(config.server.port).toBe(40114);
    expect(config.server.host).toBe("localhost");
    expect(config.server.request_limits.max_body_size).toBe(100 * 1024 * 1024);
    expect(config.proxy.load_balancer).toBe("priority");
    expect(config.logging.level).toBe("info");
    expect(config.warnings).toEqual([]);
  });

  test("loadConfig() tries Olla's default paths in order and reads the first that exists", () => {
    expect(DEFAULT_CONFIG_PATHS).toEqual(["config/config.local.yaml", "config/config.yaml", "config.yaml", "default.yaml"]);
    const files = {
      "config/config.yaml": "server:\n  port: 2\n",
      "config.yaml": "server:\n  port: 3\n",
      "default.yaml": "server:\n  port: 4\n",
    };
    const config = load({ files });
    expect(config.source).toBe("config/config.yaml");
    expect(config.server.port).toBe(2);
    expect(load({ files: { ...files, "config/config.local.yaml": "server:\n  port: 1\n" } }).server.port).toBe(1);
  });

  test("loadConfig() with a --config path that does not exist throws ConfigError mentioning --config and the path", () => {
    const error = loadError({ path: "/etc/tureen/missing.yaml", files: { "config.yaml": SHIPPED_CONFIG } });
    expect(error.message).toContain("--config");
    expect(error.message).toContain("/etc/tureen/missing.yaml");
    expect(error.problems).toHaveLength(1);
  });

  test("loadConfig() reads the file named by --config", () => {
    const config = load({ path: "custom.yaml", files: { "custom.yaml": "server:\n  port: 5555\n", "config.yaml": SHIPPED_CONFIG } });
    expect(config.source).toBe("custom.yaml");
    expect(config.server.port).toBe(5555);
  });

  test("loadConfig() reads the file named by OLLA_CONFIG_FILE instead of the default paths", () => {
    const config = load({
      env: { OLLA_CONFIG_FILE: "/srv/olla.yaml" },
      files: { "/srv/olla.yaml": "server:\n  port: 6000\n", "config.yaml": SHIPPED_CONFIG },
    });
    expect(config.source).toBe("/srv/olla.yaml");
    expect(config.server.port).toBe(6000);
  });

  test("loadConfig() prefers --config over OLLA_CONFIG_FILE", () => {
    const config = load({
      path: "cli.yaml",
      env: { OLLA_CONFIG_FILE: "env.yaml" },
      files: { "cli.yaml": "server:\n  port: 1111\n", "env.yaml": "server:\n  port: 2222\n" },
    });
    expect(config.source).toBe("cli.yaml");
    expect(config.server.port).toBe(1111);
  });

  test("loadConfig() with OLLA_CONFIG_FILE naming a missing file throws ConfigError naming OLLA_CONFIG_FILE, not the defaults", () => {
    const error = loadError({ env: { OLLA_CONFIG_FILE: "nope.yaml" }, files: { "config.yaml": SHIPPED_CONFIG } });
    expect(error.message).toContain("OLLA_CONFIG_FILE");
    expect(error.message).toContain("nope.yaml");
    expect(error.message).not.toContain("--config");
  });

  test("loadConfig() throws ConfigError for invalid YAML, naming the file", () => {
    const error = yamlError("server:\n  port: [1, 2\n");
    expect(error.message).toContain('"config.yaml"');
    expect(error.message).toContain("not valid YAML");
  });

  test("loadConfig() throws ConfigError when the YAML document is a list, not a mapping", () => {
    expect(yamlError("- a\n- b\n").message).toContain("must hold a YAML mapping");
    expect(yamlError("just a string\n").message).toContain("must hold a YAML mapping");
  });

  test("loadConfig() treats an empty file as all defaults with no endpoints, and warns about it", () => {
    const config = loadYaml("");
    expect(config.endpoints).toEqual([]);
    expect(config.server.port).toBe(40114);
    expect(config.warnings.join("\n")).toContain("no endpoint is configured");
  });

  test("loadConfig() returns a deeply frozen config", () => {
    const config = load({ files: { "config.yaml": SHIPPED_CONFIG } });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.server)).toBe(true);
    expect(Object.isFrozen(config.server.request_limits)).toBe(true);
    expect(Object.isFrozen(config.endpoints)).toBe(true);
    expect(Object.isFrozen(config.endpoints[0])).toBe(true);
    expect(Object.isFrozen(config.endpoints[0]!.headers)).toBe(true);
    expect(Object.isFrozen(config.warnings)).toBe(true);
    expect(() => {
      (config.server as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(config.server.port).toBe(40114);
  });
});

describe("loadConfig() validation messages", () => {
  test("loadConfig() rejects an unknown key, naming its path and suggesting the close spelling", () => {
    const error = yamlError("server:\n  prot: 8080\n");
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain("server.prot");
    expect(error.problems[0]).toContain("unknown key");
    expect(error.problems[0]).toContain('did you mean "port"?');
  });

  test("loadConfig() suggests a top-level key for a misspelt top-level key", () => {
    const error = yamlError("endpoint: []\n");
    expect(error.problems[0]).toStartWith("endpoint: unknown key");
    expect(error.problems[0]).toContain('did you mean "endpoints"?');
  });

  test("loadConfig() suggests an endpoint key for a misspelt key inside discovery.static.endpoints[1]", () => {
    const error = yamlError(
      "discovery:\n  static:\n    endpoints:\n      - url: http://a:1\n        name: a\n      - url: http://b:1\n        name: b\n        prority: 3\n",
    );
    expect(error.problems).toEqual([expect.stringContaining("discovery.static.endpoints[1].prority")]);
    expect(error.problems[0]).toContain('did you mean "priority"?');
  });

  test("loadConfig() lists the known keys when an unknown key is nothing like any of them", () => {
    const error = yamlError("logging:\n  zzzzzzzzzzzz: 1\n");
    expect(error.problems[0]).toContain("logging.zzzzzzzzzzzz");
    expect(error.problems[0]).not.toContain("did you mean");
    expect(error.problems[0]).toContain("known keys here: level, format, output");
  });

  test("loadConfig() rejects server.port 99999, naming the key path and current value", () => {
    const error = yamlError("server:\n  port: 99999\n");
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toStartWith("server.port");
    expect(error.problems[0]).toContain("current value is 99999");
  });

  test('loadConfig() rejects proxy.load_balancer "fastest", naming the path, value and the allowed values', () => {
    const error = yamlError("proxy:\n  load_balancer: fastest\n");
    expect(error.problems[0]).toStartWith("proxy.load_balancer");
    expect(error.problems[0]).toContain('current value is "fastest"');
    expect(error.problems[0]).toContain('"priority", "round-robin", "least-connections"');
  });

  test('loadConfig() rejects a duration "soon", naming the path and value', () => {
    const error = yamlError("proxy:\n  response_header_timeout: soon\n");
    expect(error.problems[0]).toStartWith("proxy.response_header_timeout");
    expect(error.problems[0]).toContain('current value is "soon"');
    expect(error.problems[0]).toContain("duration");
  });

  test('loadConfig() rejects endpoint url "localhost:12434" (no scheme), naming endpoints[0].url and the value', () => {
    const error = yamlError('endpoints:\n  - url: "localhost:12434"\n    name: a\n');
    expect(error.problems[0]).toStartWith("endpoints[0].url");
    expect(error.problems[0]).toContain('current value is "localhost:12434"');
    expect(error.problems[0]).toContain("http");
  });

  test("loadConfig() rejects an endpoint url with user:pass@ credentials, naming the path but masking them", () => {
    const error = yamlError("endpoints:\n  - url: http://user:pass@dmr:12434\n    name: a\n");
    expect(error.problems[0]).toStartWith("endpoints[0].url");
    expect(error.problems[0]).toContain("credentials");
    expect(error.problems[0]).toContain("auth");
    expect(error.problems[0]).toContain('current value is "http://***@dmr:12434"');
    expect(error.message).not.toContain("pass");
  });

  test("loadConfig() rejects credentials in model_url and health_check_url too, never echoing them", () => {
    for (const key of ["model_url", "health_check_url"]) {
      const error = yamlError(`endpoints:\n  - url: http://dmr:12434\n    name: a\n    ${key}: http://bob:hunter2@dmr:12434/v1/models\n`);
      expect(error.problems[0]).toStartWith(`endpoints[0].${key}`);
      expect(error.problems[0]).toContain("credentials");
      expect(error.message).not.toContain("hunter2");
    }
  });

  test("loadConfig() never prints a mistyped secret under auth or headers", () => {
    const token = yamlError("endpoints:\n  - url: http://dmr:12434\n    name: a\n    auth:\n      type: bearer\n      token: 987654321\n");
    expect(token.problems[0]).toStartWith("endpoints[0].auth.token");
    expect(token.message).not.toContain("987654321");
    expect(token.problems[0]).toContain("a number (not shown)");
    const header = yamlError("endpoints:\n  - url: http://dmr:12434\n    name: a\n    headers:\n      X-Key: 123456789\n");
    expect(header.message).not.toContain("123456789");
  });

  test("loadConfig() rejects a non-URL endpoint url and an ftp url", () => {
    expect(yamlError("endpoints:\n  - url: not a url\n    name: a\n").problems[0]).toContain("absolute URL");
    expect(yamlError("endpoints:\n  - url: ftp://dmr\n    name: a\n").problems[0]).toContain("http://, https:// or unix://");
  });

  test("loadConfig() reports a missing endpoint name as a required key", () => {
    const error = yamlError("endpoints:\n  - url: http://dmr:12434\n");
    expect(error.problems[0]).toStartWith("endpoints[0].name");
    expect(error.problems[0]).toContain("required key is missing");
  });

  test("loadConfig() lists every problem in one error, not only the first", () => {
    const error = yamlError("server:\n  port: 99999\nproxy:\n  load_balancer: fastest\n");
    expect(error.problems).toHaveLength(2);
    expect(error.message).toContain("server.port");
    expect(error.message).toContain("proxy.load_balancer");
  });

  test("loadConfig() rejects a zero or negative max_body_size", () => {
    expect(yamlError("server:\n  request_limits:\n    max_body_size: 0\n").problems[0]).toStartWith(
      "server.request_limits.max_body_size",
    );
    expect(yamlError("server:\n  request_limits:\n    max_body_size: lots\n").problems[0]).toContain('current value is "lots"');
  });
});

describe("loadConfig() values", () => {
  test('loadConfig() reads max_body_size "100MB" as 104857600 bytes and "512KiB" as 524288', () => {
    expect(loadYaml("server:\n  request_limits:\n    max_body_size: 100MB\n").server.request_limits.max_body_size).toBe(104_857_600);
    expect(loadYaml("server:\n  request_limits:\n    max_body_size: 512KiB\n").server.request_limits.max_body_size).toBe(524_288);
    expect(loadYaml("server:\n  request_limits:\n    max_body_size: 2048\n").server.request_limits.max_body_size).toBe(2048);
  });

  test("loadConfig() reads a bare-number duration as seconds and a string duration as Go-style", () => {
    const config = loadYaml(ONE_ENDPOINT("    check_interval: 1m\n    check_timeout: 30\n"));
    expect(config.endpoints[0]!.checkIntervalMs).toBe(60_000);
    expect(config.endpoints[0]!.checkTimeoutMs).toBe(30_000);
  });

  test("loadConfig() gives an endpoint the documented defaults: DMR type, priority 100, 5s interval, 2s timeout, /engines/v1/models", () => {
    const [endpoint] = loadYaml(ONE_ENDPOINT()).endpoints;
    expect(endpoint).toMatchObject({
      name: "a",
      url: "http://dmr-a:12434",
      type: "docker-model-runner",
      priority: 100,
      modelUrl: "http://dmr-a:12434/engines/v1/models",
      healthUrl: "http://dmr-a:12434/engines/v1/models",
      checkIntervalMs: 5_000,
      checkTimeoutMs: 2_000,
      headers: [],
      preservePath: false,
    });
  });

  test("loadConfig() joins relative probe paths onto the endpoint URL's base path and keeps absolute ones", () => {
    const config = loadYaml(
      "endpoints:\n  - url: http://dmr:12434/base/\n    name: a\n    model_url: /m\n    health_check_url: http://health:9/ok\n",
    );
    expect(config.endpoints[0]!.url).toBe("http://dmr:12434/base");
    expect(config.endpoints[0]!.modelUrl).toBe("http://dmr:12434/base/m");
    expect(config.endpoints[0]!.healthUrl).toBe("http://health:9/ok");
  });

  test("loadConfig() accepts unix:// endpoint URLs with and without a base path, probes joined after it", () => {
    const config = loadYaml(
      "endpoints:\n  - url: unix:///run/dmr.sock\n    name: a\n  - url: unix:///var/run/docker.sock/exp/vDD4.40/\n    name: b\n",
    );
    expect(config.endpoints.map((e) => e.url)).toEqual(["unix:///run/dmr.sock", "unix:///var/run/docker.sock/exp/vDD4.40"]);
    expect(config.endpoints[1]!.modelUrl).toBe("unix:///var/run/docker.sock/exp/vDD4.40/engines/v1/models");
  });

  test("loadConfig() rejects a unix URL with a host or without a socket path, showing the three-slash form", () => {
    for (const url of ["unix://run/dmr.sock", "unix:///", "unix:"]) {
      const error = yamlError(`endpoints:\n  - url: "${url}"\n    name: a\n`);
      expect(error.problems[0]).toStartWith("endpoints[0].url");
      expect(error.problems.join("\n")).toContain("unix:///run/dmr.sock");
    }
  });

  test("loadConfig() merges discovery.static.endpoints and top-level endpoints, static ones first", () => {
    const config = loadYaml(
      "discovery:\n  static:\n    endpoints:\n      - url: http://s:1\n        name: static-one\n" +
        "endpoints:\n  - url: http://t:1\n    name: top-one\n  - url: http://t:2\n    name: top-two\n",
    );
    expect(config.endpoints.map((e) => e.name)).toEqual(["static-one", "top-one", "top-two"]);
    expect("endpoints" in config.discovery.static).toBe(true);
  });

  test("loadConfig() rejects two endpoints with the same name, across both lists, naming both paths", () => {
    const error = yamlError(
      "discovery:\n  static:\n    endpoints:\n      - url: http://s:1\n        name: dup\n" +
        "endpoints:\n  - url: http://t:1\n    name: dup\n",
    );
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain("endpoints[0].name");
    expect(error.problems[0]).toContain('"dup"');
    expect(error.problems[0]).toContain("discovery.static.endpoints[0]");
  });

  test("loadConfig() rejects duplicate names within top-level endpoints", () => {
    const error = yamlError("endpoints:\n  - url: http://a:1\n    name: x\n  - url: http://b:1\n    name: x\n");
    expect(error.problems).toEqual([expect.stringMatching(/^endpoints\[1\]\.name: "x" is already used by endpoints\[0\]/)]);
  });

  test("loadConfig() rejects check_timeout longer than check_interval, naming the path and both values", () => {
    const error = yamlError(ONE_ENDPOINT("    check_interval: 5s\n    check_timeout: 10s\n"));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toStartWith("endpoints[0].check_timeout");
    expect(error.problems[0]).toContain("10000ms > 5000ms");
  });

  test("loadConfig() accepts check_timeout equal to check_interval", () => {
    const [endpoint] = loadYaml(ONE_ENDPOINT("    check_interval: 3s\n    check_timeout: 3s\n")).endpoints;
    expect([endpoint!.checkIntervalMs, endpoint!.checkTimeoutMs]).toEqual([3_000, 3_000]);
  });

  test("loadConfig() serves every Olla type, resolving aliases, with each type's own probe paths", () => {
    const config = loadYaml(
      "endpoints:\n  - url: http://o:11434\n    name: my-ollama\n    type: ollama\n  - url: http://d:12434\n    name: d\n    type: dmr\n" +
        "  - url: http://l:1234\n    name: l\n    type: lmstudio\n  - url: http://v:8000\n    name: v\n    type: vllm\n" +
        "  - url: http://x:4000\n    name: x\n    type: litellm\n",
    );
    expect(config.endpoints.map((e) => [e.name, e.type, e.healthUrl, e.modelUrl])).toEqual([
      ["my-ollama", "ollama", "http://o:11434/", "http://o:11434/api/tags"],
      ["d", "docker-model-runner", "http://d:12434/engines/v1/models", "http://d:12434/engines/v1/models"],
      ["l", "lm-studio", "http://l:1234/v1/models", "http://l:1234/api/v0/models"],
      ["v", "vllm", "http://v:8000/health", "http://v:8000/v1/models"],
      ["x", "litellm", "http://x:4000/health/liveliness", "http://x:4000/v1/models"],
    ]);
    expect(config.warnings).toEqual([]);
  });

  test("loadConfig() skips type auto with a warning that says to set the type", () => {
    const config = loadYaml(ONE_ENDPOINT("    type: auto\n"));
    expect(config.endpoints).toEqual([]);
    expect(config.warnings[0]).toContain('type "auto"');
    expect(config.warnings[0]).toContain("set its type");
  });

  test("loadConfig() rejects an endpoint type Olla does not know, naming the types it does", () => {
    const problem = yamlError(ONE_ENDPOINT("    type: tgi\n")).problems[0]!;
    expect(problem).toStartWith("endpoints[0].type");
    expect(problem).toContain('"tgi"');
    expect(problem).toContain("openai-compatible");
  });

  test("loadConfig() accepts Olla-only blocks (translators.anthropic.inspector) with a warning; server.rate_limits is enforced, so none", () => {
    const config = loadYaml(
      `${ONE_ENDPOINT()}translators:
  anthropic:
    enabled: true
    inspector: { enabled: false }
server:
  rate_limits:
    burst_size: 50
`,
    );
    expect(config.endpoints).toHaveLength(1);
    expect(config.warnings).toEqual(["translators.anthropic.inspector: accepted for Olla compatibility but not used by Tureen yet"]);
    expect(config.server.rate_limits.burst_size).toBe(50);
    expect(config.server.rate_limits.per_ip_requests_per_minute).toBe(0);
  });

  test("loadConfig() reads Olla's translators.anthropic block, defaults as in Olla, and its OLLA_* variables", () => {
    expect(loadYaml(ONE_ENDPOINT()).translators.anthropic).toEqual({ enabled: true, passthrough_enabled: true, max_message_size: 10 * 1024 * 1024 });
    const config = loadConfig({
      env: (name) => ({ OLLA_TRANSLATORS_ANTHROPIC_PASSTHROUGH_ENABLED: "false", OLLA_TRANSLATORS_ANTHROPIC_MAX_MESSAGE_SIZE: "1MB" })[name],
      readTextFile: (path) => (path === "config.yaml" ? ONE_ENDPOINT() : undefined),
    });
    expect(config.translators.anthropic).toMatchObject({ passthrough_enabled: false, max_message_size: 1024 * 1024 });
    expect(yamlError(`${ONE_ENDPOINT()}translators:\n  anthropic:\n    passthru: true\n`).problems[0]).toStartWith("translators.anthropic");
  });

  test("loadConfig() validates server.cors and refuses credentials with any origin", () => {
    const config = loadYaml(`${ONE_ENDPOINT()}server:\n  cors:\n    enabled: true\n`);
    expect(config.server.cors).toMatchObject({ enabled: true, allowed_origins: ["*"], max_age: 300 });
    const error = yamlError(`${ONE_ENDPOINT()}server:\n  cors:\n    enabled: true\n    allow_credentials: true\n`);
    expect(error.message).toContain("allow_credentials cannot be combined with allowed_origins");
  });
});

describe("loadConfig() endpoint headers and auth", () => {
  test("loadConfig() passes static headers through in order", () => {
    const [endpoint] = loadYaml(ONE_ENDPOINT("    headers:\n      X-One: '1'\n      X-Two: two\n")).endpoints;
    expect(endpoint!.headers).toEqual([["X-One", "1"], ["X-Two", "two"]]);
  });

  test("loadConfig() interpolates ${VAR} in header values from the environment", () => {
    const [endpoint] = loadYaml(ONE_ENDPOINT('    headers:\n      X-Token: "pre-${MY_TOKEN}-post"\n'), {
      MY_TOKEN: "s3cret",
    }).endpoints;
    expect(endpoint!.headers).toEqual([["X-Token", "pre-s3cret-post"]]);
  });

  test("loadConfig() rejects a header that references an unset ${VAR}, naming the header path and the variable", () => {
    const error = yamlError(ONE_ENDPOINT('    headers:\n      X-Token: "${MISSING_TOKEN}"\n'));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain("endpoints[0].headers.X-Token");
    expect(error.problems[0]).toContain("MISSING_TOKEN");
  });

  test("loadConfig() leaves text that only looks like interpolation ($VAR without braces) alone", () => {
    const [endpoint] = loadYaml(ONE_ENDPOINT('    headers:\n      X-Raw: "$HOME and ${"\n')).endpoints;
    expect(endpoint!.headers).toEqual([["X-Raw", "$HOME and ${"]]);
  });

  test("loadConfig() rejects a header name that is not a valid HTTP token", () => {
    const error = yamlError(ONE_ENDPOINT('    headers:\n      "Bad Header": x\n'));
    expect(error.problems[0]).toContain('"Bad Header" is not a valid header name');
  });

  test("loadConfig() turns bearer auth into an Authorization: Bearer header, interpolating ${VAR}", () => {
    const [endpoint] = loadYaml(ONE_ENDPOINT('    auth:\n      type: bearer\n      token: "${TOK}"\n'), { TOK: "abc" }).endpoints;
    expect(endpoint!.headers).toEqual([["Authorization", "Bearer abc"]]);
  });

  test("loadConfig() turns api_key auth into X-Api-Key by default, or the configured header", () => {
    const [byDefault] = loadYaml(ONE_ENDPOINT("    auth:\n      type: api_key\n      key: k1\n")).endpoints;
    expect(byDefault!.headers).toEqual([["X-Api-Key", "k1"]]);
    const [custom] = loadYaml(ONE_ENDPOINT("    auth:\n      type: api_key\n      key: k2\n      header: X-Key\n")).endpoints;
    expect(custom!.headers).toEqual([["X-Key", "k2"]]);
  });

  test("loadConfig() turns basic auth into Authorization: Basic base64(user:password)", () => {
    const [endpoint] = loadYaml(ONE_ENDPOINT("    auth:\n      type: basic\n      username: alice\n      password: wonder\n"))
      .endpoints;
    expect(endpoint!.headers).toEqual([["Authorization", `Basic ${btoa("alice:wonder")}`]]);
    expect(endpoint!.headers[0]![1]).toBe("Basic YWxpY2U6d29uZGVy");
  });

  test("loadConfig() reads token_file through readTextFile and trims it", () => {
    const config = load({
      files: {
        "config.yaml": ONE_ENDPOINT("    auth:\n      type: bearer\n      token_file: /run/secrets/tok\n"),
        "/run/secrets/tok": "from-file\n",
      },
    });
    expect(config.endpoints[0]!.headers).toEqual([["Authorization", "Bearer from-file"]]);
  });

  test("loadConfig() rejects auth with a missing token_file, both token and token_file, or no token", () => {
    expect(yamlError(ONE_ENDPOINT("    auth:\n      type: bearer\n      token_file: /nope\n")).problems[0]).toContain(
      'endpoints[0].auth.token_file: "/nope" does not exist',
    );
    expect(
      yamlError(ONE_ENDPOINT("    auth:\n      type: bearer\n      token: t\n      token_file: /nope\n")).problems[0],
    ).toContain("both token and token_file are set");
    expect(yamlError(ONE_ENDPOINT("    auth:\n      type: bearer\n")).problems[0]).toContain("needs token or token_file");
  });

  test("loadConfig() adds endpoint headers before the auth header", () => {
    const [endpoint] = loadYaml(ONE_ENDPOINT("    headers:\n      X-A: a\n    auth:\n      type: bearer\n      token: t\n")).endpoints;
    expect(endpoint!.headers).toEqual([["X-A", "a"], ["Authorization", "Bearer t"]]);
  });
});

describe("loadConfig() OLLA_* environment overrides", () => {
  const FILE = "server:\n  host: filehost\n  port: 1234\nlogging:\n  level: info\n  format: json\n";

  test("loadConfig() lets OLLA_SERVER_PORT, OLLA_SERVER_HOST, OLLA_LOGGING_LEVEL and OLLA_LOGGING_FORMAT override the file", () => {
    const config = loadYaml(FILE, {
      OLLA_SERVER_PORT: "8080",
      OLLA_SERVER_HOST: "0.0.0.0",
      OLLA_LOGGING_LEVEL: "debug",
      OLLA_LOGGING_FORMAT: "text",
    });
    expect(config.server.port).toBe(8080);
    expect(config.server.host).toBe("0.0.0.0");
    expect(config.logging.level).toBe("debug");
    expect(config.logging.format).toBe("text");
  });

  test("loadConfig() keeps file values when the OLLA_* variables are unset or empty", () => {
    const config = loadYaml(FILE, { OLLA_SERVER_PORT: "" });
    expect(config.server.port).toBe(1234);
    expect(config.server.host).toBe("filehost");
  });

  test("loadConfig() applies OLLA_* overrides to the built-in defaults too", () => {
    const config = load({ env: { OLLA_SERVER_PORT: "9999", OLLA_SERVER_MAX_BODY_SIZE: "1MB", OLLA_SERVER_REQUEST_LOGGING: "false" } });
    expect(config.source).toBeNull();
    expect(config.server.port).toBe(9999);
    expect(config.server.request_limits.max_body_size).toBe(1_048_576);
    expect(config.server.request_logging).toBe(false);
    expect(config.endpoints.map((e) => e.name)).toEqual(["local-dmr"]);
  });

  test("loadConfig() names the variable when OLLA_SERVER_PORT is not a number", () => {
    const error = yamlError(FILE, { OLLA_SERVER_PORT: "eighty" });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain("server.port (from OLLA_SERVER_PORT)");
    expect(error.problems[0]).toContain('current value is "eighty"');
  });

  test("loadConfig() names the variable when OLLA_SERVER_PORT is out of range", () => {
    const error = yamlError(FILE, { OLLA_SERVER_PORT: "70000" });
    expect(error.problems[0]).toContain("OLLA_SERVER_PORT");
    expect(error.problems[0]).toContain("70000");
  });

  test("loadConfig() names the variable when OLLA_LOGGING_LEVEL or OLLA_LOGGING_FORMAT is not allowed", () => {
    const level = yamlError(FILE, { OLLA_LOGGING_LEVEL: "verbose" });
    expect(level.problems[0]).toContain("logging.level (from OLLA_LOGGING_LEVEL)");
    expect(level.problems[0]).toContain('"verbose"');
    const format = yamlError(FILE, { OLLA_LOGGING_FORMAT: "xml" });
    expect(format.problems[0]).toContain("logging.format (from OLLA_LOGGING_FORMAT)");
  });

  test("loadConfig() does not blame a variable for a bad value that came from the file", () => {
    const error = yamlError("server:\n  port: 99999\n");
    expect(error.problems[0]).not.toContain("from OLLA_");
  });
});

describe("validateConfig()", () => {
  test("validateConfig() validates an already-parsed document, labelled with its source", () => {
    const config = validateConfig(
      { endpoints: [{ url: "http://x:1", name: "x" }] },
      { source: "reload.yaml", env: () => undefined, readTextFile: () => undefined },
    );
    expect(config.source).toBe("reload.yaml");
    expect(config.endpoints.map((e) => e.name)).toEqual(["x"]);
    expect(() =>
      validateConfig({ server: { port: -1 } }, { source: "reload.yaml", env: () => undefined, readTextFile: () => undefined })
    ).toThrow(/Cannot load config "reload.yaml":[\s\S]*server\.port/);
  });
});

describe("loadConfig() outbound header safety", () => {
  test("loadConfig() encodes basic auth as UTF-8 base64, so non-Latin-1 passwords work", () => {
    const config = loadYaml(ONE_ENDPOINT("    auth: { type: basic, username: u, password: 密码 }\n"));
    const auth = config.endpoints[0]!.headers.find(([name]) => name === "Authorization")![1];
    expect(auth).toBe(`Basic ${Buffer.from("u:密码", "utf8").toString("base64")}`);
  });

  test("loadConfig() refuses a header value with a line break, from the file or from a variable", () => {
    const fromFile = yamlError(ONE_ENDPOINT('    headers: { X-A: "a\\r\\nX-Injected: 1" }\n'));
    expect(fromFile.message).toContain("endpoints[0]: the value for header X-A contains a line break");
    const fromEnv = yamlError(ONE_ENDPOINT('    auth: { type: bearer, token: "${T}" }\n'), { T: "tok\nen" });
    expect(fromEnv.message).toContain("header Authorization contains a line break");
  });
});

describe("loadConfig() Olla keys that are not enforced", () => {
  test("loadConfig() names every Olla key it accepts but does not enforce, in one warning", () => {
    const config = loadYaml(
      `${ONE_ENDPOINT()}server:\n  read_timeout: 30s\nproxy:\n  connection_timeout: 5s\n  response_timeout: 15m\n  engine: olla\n`,
    );
    expect(config.warnings).toContain(
      "accepted for Olla compatibility but not enforced by Tureen: proxy.engine, proxy.connection_timeout, proxy.response_timeout",
    );
  });

  test("loadConfig() gives no such warning for a config that does not set them", () => {
    const config = loadYaml(ONE_ENDPOINT());
    expect(config.warnings.some((w) => w.includes("not enforced"))).toBe(false);
  });
});
