/**
 * @module
 * Turn a YAML file plus OLLA_* variables into one validated, frozen {@link Config}:
 * parse (shape), derive (URLs, headers, auth), validate (cross-field rules).
 */
import { parse as parseYaml } from "yaml";
import { profileFromYaml } from "../profiles/from_yaml.ts";
import type { Profile } from "../profiles/profile.ts";
import { BUILT_IN_PROFILES, BUILT_IN_REGISTRY, ProfileRegistry } from "../profiles/registry.ts";
import { applyEnvOverrides } from "./env.ts";
import { type EndpointConfigInput, configSchema, type RawConfig } from "./schema.ts";
import { describeIssue } from "./issues.ts";
import { type InboundAuth, resolveInboundAuth } from "../auth/keys_config.ts";

/** One backend, resolved: absolute probe URLs, final outbound headers. */
export interface EndpointConfig {
  readonly name: string;
  readonly url: string;
  /** Olla type name, resolved from aliases (see profiles/registry.ts). */
  readonly type: string;
  readonly priority: number;
  readonly modelUrl: string;
  readonly healthUrl: string;
  readonly checkIntervalMs: number;
  readonly checkTimeoutMs: number;
  /** Static headers plus auth, sent on every request to this endpoint. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly preservePath: boolean;
  /** Requests allowed at once; more wait in the queue. null means no cap. */
  readonly maxConcurrentRequests: number | null;
  /** Serves Anthropic Messages natively; false means /olla/anthropic/ translates for it. */
  readonly anthropicSupport: boolean;
}

export type Config = Readonly<Omit<RawConfig, "endpoints" | "auth">> & {
  readonly endpoints: readonly EndpointConfig[];
  /** Inbound API keys and the /internal policy, resolved (src/auth/keys_config.ts). */
  readonly auth: InboundAuth;
  /** The file read, or null for built-in defaults. */
  readonly source: string | null;
  /** Things that did not stop start-up but deserve a log line. */
  readonly warnings: readonly string[];
  /** Profiles read from `profiles/*.yaml` beside the config file, over the built-in ones. */
  readonly profiles: readonly Profile[];
};

/** Everything the loader needs from the outside world, so tests need no files or env. */
export interface LoadOptions {
  /** `--config` from the command line. */
  readonly path?: string;
  readonly env: (name: string) => string | undefined;
  /** Returns the file's text, or undefined when it does not exist. */
  readonly readTextFile: (path: string) => string | undefined;
  /** File names in a directory, or undefined when it does not exist (profile files). */
  readonly listDir?: (path: string) => string[] | undefined;
}

/** Thrown when the config cannot be used; the message lists every problem. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(readonly source: string, readonly problems: readonly string[]) {
    super(`Cannot load config ${source}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** Olla's lookup order when neither --config nor OLLA_CONFIG_FILE names a file. */
export const DEFAULT_CONFIG_PATHS = ["config/config.local.yaml", "config/config.yaml", "config.yaml", "default.yaml"];

/** The seed example: one DMR on localhost, used when no config file exists. */
export const SEED_ENDPOINT = {
  url: "http://localhost:12434",
  name: "local-dmr",
  type: "docker-model-runner",
  priority: 95,
  model_url: "/engines/v1/models",
  health_check_url: "/engines/v1/models",
  check_interval: "10s",
  check_timeout: "5s",
} as const;

/**
 * Find, read, override and validate the config.
 *
 * @throws {ConfigError} naming each bad key path, its value and the fix
 */
export function loadConfig(options: LoadOptions): Config {
  const explicit = options.path ?? options.env("OLLA_CONFIG_FILE");
  let source: string | null = null;
  let text: string | undefined;
  if (explicit) {
    const origin = options.path ? "--config" : "OLLA_CONFIG_FILE";
    text = readOrExplain(explicit, origin, options.readTextFile);
    if (text === undefined) {
      throw new ConfigError(`"${explicit}"`, [`${origin} names a file that does not exist: check the path`]);
    }
    source = explicit;
  } else {
    for (const candidate of DEFAULT_CONFIG_PATHS) {
      text = readOrExplain(candidate, "the default lookup", options.readTextFile);
      if (text !== undefined) {
        source = candidate;
        break;
      }
    }
  }
  const label = source ? `"${source}"` : "(built-in defaults)";
  const raw = source ? parseFile(text ?? "", label) : { endpoints: [SEED_ENDPOINT] };
  const profiles = loadProfiles(source, options);
  return validateConfig(raw, { source, env: options.env, readTextFile: options.readTextFile, profiles });
}

/** Olla's layout: `profiles/*.yaml` in the config file's folder (`config/profiles/` with no config file). */
export function profilesDir(source: string | null): string {
  if (!source) return "config/profiles";
  const slash = Math.max(source.lastIndexOf("/"), source.lastIndexOf("\\"));
  return slash === -1 ? "profiles" : `${source.slice(0, slash)}/profiles`;
}

function loadProfiles(source: string | null, options: LoadOptions): Profile[] {
  const dir = profilesDir(source);
  const names = options.listDir?.(dir)?.filter((name) => /\.ya?ml$/.test(name)).sort() ?? [];
  const profiles: Profile[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const path = `${dir}/${name}`;
    try {
      const doc = parseYaml(options.readTextFile(path) ?? "");
      const builtIn = BUILT_IN_PROFILES.find((p) => p.type === (doc as { name?: unknown })?.name);
      profiles.push(profileFromYaml(doc, builtIn));
    } catch (error) {
      problems.push(`profile ${path}: ${(error as Error).message.split("\n")[0]}: fix the file or remove it`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`"${dir}"`, problems);
  return profiles;
}

/** A path that exists but cannot be read (a directory, no permission) is a config error, not a crash. */
function readOrExplain(path: string, origin: string, read: LoadOptions["readTextFile"]): string | undefined {
  try {
    return read(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason = code === "EISDIR" || /is a directory/i.test(String(error))
      ? "is a directory, not a file: name the YAML file inside it"
      : `cannot be read (${code ?? (error as Error).message}): check its permissions`;
    throw new ConfigError(`"${path}"`, [`${origin} names a path that ${reason}`]);
  }
}

function parseFile(text: string, label: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new ConfigError(label, [`the file is not valid YAML: ${(error as Error).message.split("\n")[0]}`]);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new ConfigError(label, ["the file must hold a YAML mapping (keys such as server:, proxy:, endpoints:)"]);
  }
  return doc as Record<string, unknown>;
}

/**
 * Validate an already-parsed document (used by the loader and by hot reload).
 *
 * @throws {ConfigError}
 */
export function validateConfig(
  raw: Record<string, unknown>,
  options: {
    source: string | null;
    env: LoadOptions["env"];
    readTextFile: LoadOptions["readTextFile"];
    /** Profiles from files, over the built-in ones. */
    profiles?: readonly Profile[];
  },
): Config {
  const fileProfiles = options.profiles ?? [];
  const registry = fileProfiles.length > 0 ? new ProfileRegistry([...BUILT_IN_PROFILES, ...fileProfiles]) : BUILT_IN_REGISTRY;
  const label = options.source ? `"${options.source}"` : "(built-in defaults)";
  const envSources = applyEnvOverrides(raw, options.env);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(label, result.error.issues.map((issue) => describeIssue(issue, raw, envSources)));
  }
  const problems: string[] = [];
  const warnings: string[] = [];
  const parsed = result.data;
  const all = [
    ...parsed.discovery.static.endpoints.map((e, i) => [`discovery.static.endpoints[${i}]`, e] as const),
    ...parsed.endpoints.map((e, i) => [`endpoints[${i}]`, e] as const),
  ];
  const endpoints: EndpointConfig[] = [];
  const seen = new Map<string, string>();
  for (const [path, input] of all) {
    const earlier = seen.get(input.name);
    if (earlier) {
      problems.push(`${path}.name: "${input.name}" is already used by ${earlier}: give each endpoint a unique name`);
      continue;
    }
    seen.set(input.name, path);
    if (input.check_timeout > input.check_interval) {
      problems.push(
        `${path}.check_timeout: longer than check_interval (${input.check_timeout}ms > ${input.check_interval}ms): ` +
          "make the timeout shorter than the interval",
      );
    }
    const profile = registry.forName(input.type);
    if (input.type === "auto") {
      warnings.push(
        `${path}: endpoint "${input.name}" has type "auto", which Tureen does not detect; it is skipped: set its type (one of ${
          registry.profiles.map((p) => p.type).join(", ")
        })`,
      );
      continue;
    }
    if (!profile) {
      problems.push(
        `${path}.type: "${input.type}" is not a backend type Tureen knows: use one of ${
          registry.profiles.map((p) => p.type).join(", ")
        } (or add a profile file)`,
      );
      continue;
    }
    const headers = resolveHeaders(path, input, options, problems);
    endpoints.push({
      name: input.name,
      url: input.url,
      type: profile.type,
      priority: input.priority,
      modelUrl: resolveUrl(input.url, input.model_url ?? profile.modelsPath),
      healthUrl: resolveUrl(input.url, input.health_check_url ?? profile.healthPath),
      checkIntervalMs: Math.max(input.check_interval, 100),
      checkTimeoutMs: Math.max(input.check_timeout, 50),
      headers,
      preservePath: input.preserve_path,
      maxConcurrentRequests: input.max_concurrent_requests ?? null,
      anthropicSupport: input.anthropic_support ?? profile.nativeApis.anthropicMessages !== undefined,
    });
  }
  const auth = resolveInboundAuth(parsed.auth, options, problems, warnings);
  if (problems.length > 0) throw new ConfigError(label, problems);
  if (endpoints.length === 0) {
    warnings.push("no endpoint is configured: every inference request will get 503");
  }
  for (const key of ["model_registry", "engineering", "dashboard"] as const) {
    if (parsed[key] !== undefined) warnings.push(`${key}: accepted for Olla compatibility but not used by Tureen yet`);
  }
  if (parsed.translators.anthropic.inspector !== undefined) {
    warnings.push("translators.anthropic.inspector: accepted for Olla compatibility but not used by Tureen yet");
  }
  const inert = NOT_ENFORCED.filter((path) => isSet(raw, path));
  if (inert.length > 0) {
    // Olla parses some of these and never applies them (its response_timeout); say so instead.
    warnings.push(`accepted for Olla compatibility but not enforced by Tureen: ${inert.join(", ")}`);
  }
  const { endpoints: _shorthand, ...rest } = parsed;
  return deepFreeze({ ...rest, endpoints, auth, source: options.source, warnings, profiles: fileProfiles });
}

/** Olla keys that validate but change nothing here; naming them at start beats a silent no-op. */
export const NOT_ENFORCED = [
  "server.read_header_timeout",
  "server.write_timeout",
  "server.request_limits.max_header_size",
  "proxy.engine",
  "proxy.profile",
  "proxy.connection_timeout",
  "proxy.connection_keep_alive",
  "proxy.response_timeout",
  "proxy.stream_buffer_size",
  "proxy.tls_handshake_timeout",
  "proxy.profile_filter",
  "proxy.sticky_sessions",
  "proxy.max_retries",
  "proxy.retry_backoff",
  "discovery.refresh_interval",
  "discovery.model_discovery.concurrent_workers",
  "discovery.model_discovery.retry_attempts",
  "discovery.model_discovery.retry_backoff",
] as const;

function isSet(raw: Record<string, unknown>, path: string): boolean {
  let node: unknown = raw;
  for (const key of path.split(".")) {
    if (typeof node !== "object" || node === null) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return node !== undefined;
}

/** Olla joins relative probe paths to the endpoint URL, keeping its base path. */
function resolveUrl(base: string, pathOrUrl: string): string {
  if (/^https?:\/\//.test(pathOrUrl)) return pathOrUrl;
  return base.replace(/\/+$/, "") + pathOrUrl;
}

const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function resolveHeaders(
  path: string,
  input: EndpointConfigInput,
  options: { env: LoadOptions["env"]; readTextFile: LoadOptions["readTextFile"] },
  problems: string[],
): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  const interpolate = (key: string, value: string): string =>
    value.replace(ENV_REFERENCE, (_, name: string) => {
      const found = options.env(name);
      if (found === undefined) {
        problems.push(`${path}.${key}: \${${name}} is not set in the environment: export ${name} or remove it`);
        return "";
      }
      return found;
    });
  for (const [name, value] of Object.entries(input.headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      problems.push(`${path}.headers: "${name}" is not a valid header name: use letters, digits and dashes`);
      continue;
    }
    headers.push([name, interpolate(`headers.${name}`, value)]);
  }
  const auth = input.auth;
  if (!auth) return rejectLineBreaks(path, headers, problems);
  const secret = (field: "token" | "key" | "username" | "password"): string => {
    const inline = auth[field];
    const file = auth[`${field}_file`];
    if (inline !== undefined && file !== undefined) {
      problems.push(`${path}.auth: both ${field} and ${field}_file are set: keep one`);
      return "";
    }
    if (file !== undefined) {
      const text = options.readTextFile(file);
      if (text === undefined) problems.push(`${path}.auth.${field}_file: "${file}" does not exist: check the path`);
      return (text ?? "").trim();
    }
    if (inline === undefined) {
      problems.push(`${path}.auth: type ${auth.type} needs ${field} or ${field}_file`);
      return "";
    }
    return interpolate(`auth.${field}`, inline);
  };
  if (auth.type === "bearer") headers.push(["Authorization", `Bearer ${secret("token")}`]);
  else if (auth.type === "api_key") headers.push([auth.header, secret("key")]);
  else headers.push(["Authorization", `Basic ${base64Utf8(`${secret("username")}:${secret("password")}`)}`]);
  return rejectLineBreaks(path, headers, problems);
}

/** A header value with CR, LF or NUL would fail on every request; fail at start instead. */
function rejectLineBreaks(path: string, headers: Array<[string, string]>, problems: string[]): Array<[string, string]> {
  for (const [name, value] of headers) {
    if (/[\r\n\0]/.test(value)) {
      problems.push(`${path}: the value for header ${name} contains a line break or NUL: remove it (check the file or the variable)`);
    }
  }
  return headers;
}

/** RFC 7617 says user-pass is UTF-8 before base64; btoa alone takes Latin-1 only. */
function base64Utf8(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

