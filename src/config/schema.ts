/**
 * @module
 * The config schema: Olla's `config.yaml` layout, validated strictly. Every field says
 * what it does and its default; unknown keys are errors (Olla ignores them silently, its #204).
 */
import { z } from "zod";
import { byteSize, cidr, duration, httpUrl, pathOrUrl } from "./fields.ts";

const authSchema = z.strictObject({
  /** bearer sends `Authorization: Bearer <token>`; api_key sends `<header>: <key>`; basic sends user and password. */
  type: z.enum(["bearer", "api_key", "basic"]),
  token: z.string().optional(),
  token_file: z.string().optional(),
  key: z.string().optional(),
  key_file: z.string().optional(),
  /** Header for api_key (default X-Api-Key). */
  header: z.string().default("X-Api-Key"),
  username: z.string().optional(),
  username_file: z.string().optional(),
  password: z.string().optional(),
  password_file: z.string().optional(),
});

export const endpointSchema = z.strictObject({
  /** Base URL of the backend, e.g. http://localhost:12434. */
  url: httpUrl,
  /** Unique name, shown in X-Olla-Endpoint, logs and the status API. */
  name: z.string().trim().min(1, "expected a non-empty name"),
  /** Backend type, Olla's names (default docker-model-runner); checked against the profiles in force. */
  type: z.string().trim().min(1, "expected a backend type such as ollama").default("docker-model-runner"),
  /** Higher is preferred (default 100). */
  priority: z.number().int().min(0).max(1_000_000).default(100),
  /** Where the model list is read (default from the backend type, e.g. /engines/v1/models for DMR, /api/tags for Ollama). */
  model_url: pathOrUrl.optional(),
  /** Where health is probed (default from the backend type, e.g. /engines/v1/models for DMR, /health for vLLM). */
  health_check_url: pathOrUrl.optional(),
  /** How often health is probed (default 5s). */
  check_interval: duration("5s"),
  /** How long one probe may take (default 2s). */
  check_timeout: duration("2s"),
  /** Static headers sent with every request to this endpoint; `${VAR}` reads the environment. */
  headers: z.record(z.string(), z.string()).default({}),
  /** Outbound credentials for this endpoint. */
  auth: authSchema.optional(),
  /** Keep the URL's base path when proxying (default false). */
  preserve_path: z.boolean().default(false),
  /** Requests sent here at once; more wait in the queue (default: no cap). */
  max_concurrent_requests: z.number().int().positive().optional(),
  /** Olla's glob filter on discovered model names (include/exclude). */
  model_filter: z
    .strictObject({ include: z.array(z.string()).default([]), exclude: z.array(z.string()).default([]) })
    .optional(),
  /**
   * Whether the backend serves Anthropic Messages itself (DMR: /anthropic/v1/messages); when
   * false, /olla/anthropic/ translates to chat completions for it (default: true for DMR).
   */
  anthropic_support: z.boolean().optional(),
});

/** A block Olla has that Tureen accepts but does not act on yet; it is logged at start. */
const acceptedOllaBlock = z.looseObject({}).optional();

/** Olla's default trusted proxies: loopback and the private ranges. */
export const DEFAULT_TRUSTED_PROXY_CIDRS = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

const rateLimitsSchema = z
  .strictObject({
    /** Requests per minute for every proxied route together (default 0: off). */
    global_requests_per_minute: z.number().int().min(0).default(0),
    /** Requests per minute from one client address on proxied routes (default 0: off). */
    per_ip_requests_per_minute: z.number().int().min(0).default(0),
    /** Requests per minute to /internal/health, all clients together (default 0: off). */
    health_requests_per_minute: z.number().int().min(0).default(0),
    /** Requests a client may send at once before the per-minute rate applies (default 50, as Olla). */
    burst_size: z.number().int().min(1).default(50),
    /** How often idle per-client counters are dropped (default 5m). */
    cleanup_interval: duration("5m"),
    /** Believe X-Forwarded-For / X-Real-IP, but only from a peer inside trusted_proxy_cidrs (default false). */
    trust_proxy_headers: z.boolean().default(false),
    trusted_proxy_cidrs: z.array(cidr).default(DEFAULT_TRUSTED_PROXY_CIDRS),
  })
  .prefault({});

const inboundKeySchema = z.strictObject({
  /** Shown in the access log instead of the key. */
  name: z.string().trim().min(1, "expected a non-empty name"),
  /** The key itself; `${VAR}` reads the environment. */
  key: z.string().optional(),
  /** A file holding the key (e.g. /run/secrets/alice). */
  key_file: z.string().optional(),
  /** Models this key may use (default: all); written like request models. */
  models: z.array(z.string().trim().min(1)).optional(),
  /** This key's own limit, on top of server.rate_limits. */
  requests_per_minute: z.number().int().positive().optional(),
});

/** Inbound API keys (Tureen's own block; Olla has no inbound auth). */
const inboundAuthSchema = z.strictObject({
  /** With keys, every proxied route needs `Authorization: Bearer <key>` or `x-api-key: <key>`. */
  keys: z.array(inboundKeySchema).default([]),
  /** Who may read /internal/* other than /internal/health (default: loopback with keys, open without). */
  internal: z.enum(["loopback", "keys", "open"]).optional(),
});

const serverSchema = z.strictObject({
  /** Listen address (default localhost; use 0.0.0.0 in containers). */
  host: z.string().min(1).default("localhost"),
  /** Listen port (default 40114). */
  port: z.number().int().min(0).max(65535).default(40114),
  /** Close keep-alive connections idle this long (default 2m; proxied requests are never cut by it). */
  idle_timeout: duration("2m"),
  /** How long in-flight requests may run after SIGTERM before exit (default 10s). */
  shutdown_timeout: duration("10s"),
  /** Write one access line per request (default true). */
  request_logging: z.boolean().default(true),
  request_limits: z
    .strictObject({
      /** Largest request body accepted (default 100MB); larger gets 413. */
      max_body_size: byteSize("100MB"),
      /** Olla's header limit; accepted, not enforced (the runtime's own limit answers 431). */
      max_header_size: byteSize("1MB"),
    })
    .prefault({}),
  /** Longest a request body may take to arrive; past it 408 and the connection closes (default 30s; 0 disables). */
  read_timeout: duration("30s"),
  /** Olla server timeouts; accepted, not enforced: Tureen never cuts a streaming request on them. */
  read_header_timeout: duration("10s"),
  write_timeout: duration("0s"),
  /** Olla's request rate limits; each is off until its per-minute value is set (unlike Olla's 100/min per IP default). */
  rate_limits: rateLimitsSchema,
  /** Browser access (Olla's block): off by default, as in Olla. */
  cors: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Origins allowed to call the API from a browser; "*" for any (default ["*"]). */
      allowed_origins: z.array(z.string().min(1)).default(["*"]),
      allowed_methods: z.array(z.string().min(1)).default(["GET", "POST", "OPTIONS"]),
      /** Request headers a browser may send; "*" echoes what it asks for (default ["*"]). */
      allowed_headers: z.array(z.string().min(1)).default(["*"]),
      /** Response headers scripts may read; empty exposes every X-Olla-* header (default []). */
      exposed_headers: z.array(z.string().min(1)).default([]),
      allow_credentials: z.boolean().default(false),
      /** Seconds a browser may cache a preflight answer (default 300). */
      max_age: z.number().int().min(0).default(300),
    })
    .prefault({})
    .refine((cors) => !(cors.allow_credentials && cors.allowed_origins.includes("*")), {
      message: 'allow_credentials cannot be combined with allowed_origins "*": list the origins instead',
    }),
});

const proxySchema = z.strictObject({
  /** Olla engine name; Tureen has one engine (accepted: olla, sherpa). */
  engine: z.enum(["olla", "sherpa"]).default("olla"),
  /** Olla streaming profile; Tureen always streams event streams unbuffered. */
  profile: z.enum(["auto", "streaming", "standard"]).default("auto"),
  /** How an endpoint is chosen among those serving the model (default priority). */
  load_balancer: z.enum(["priority", "round-robin", "least-connections"]).default("priority"),
  /** Olla's dial timeout; accepted, not enforced (fetch has no separate connect timeout). */
  connection_timeout: duration("30s"),
  /** Time allowed for a backend's response headers; covers cold model loads (default 10m, DMR's own load cap is 5m). */
  response_header_timeout: duration("10m"),
  /** Longest silence allowed between chunks of a response body; 0 disables (default 0). */
  read_timeout: duration("0s"),
  /** Olla's total request time; accepted, not enforced (Olla does not enforce it either). */
  response_timeout: duration("0s"),
  /** Endpoints tried for one request before giving up (default 3). */
  max_attempts: z.number().int().min(1).max(20).default(3),
  /** Backend statuses that send a request to the next endpoint when one is left (default 502, 503, 504). */
  retry_on_status: z.array(z.number().int().min(500).max(599)).default([502, 503, 504]),
  circuit_breaker: z
    .strictObject({
      /** Consecutive live failures that take an endpoint out of rotation (default 3). */
      failure_threshold: z.number().int().min(1).default(3),
      /** First pause before one live request probes it again (default 5s); doubles on each repeated trip. */
      cooldown: duration("5s"),
      /** Longest pause (default 1m). */
      max_cooldown: duration("1m"),
    })
    .prefault({}),
  queue: z
    .strictObject({
      /** Requests that may wait for a free slot when every endpoint is at max_concurrent_requests (default 100). */
      max_size: z.number().int().min(0).default(100),
      /** Longest wait for a slot before 503 (default 30s). */
      timeout: duration("30s"),
    })
    .prefault({}),
  connection_keep_alive: duration("30s"),
  stream_buffer_size: z.union([z.string(), z.number()]).optional(),
  tls_handshake_timeout: duration("10s"),
  profile_filter: acceptedOllaBlock,
  sticky_sessions: acceptedOllaBlock,
  max_retries: z.number().optional(),
  retry_backoff: z.union([z.string(), z.number()]).optional(),
});

const discoverySchema = z.strictObject({
  /** Only static discovery exists (as in Olla). */
  type: z.literal("static").default("static"),
  refresh_interval: duration("30s"),
  static: z.strictObject({ endpoints: z.array(endpointSchema).default([]) }).prefault({}),
  model_discovery: z
    .strictObject({
      /** Read each endpoint's model list (default true). */
      enabled: z.boolean().default(true),
      /** How often model lists are re-read (default 5m). */
      interval: duration("5m"),
      /** How long one model-list read may take (default 30s). */
      timeout: duration("30s"),
      concurrent_workers: z.number().int().positive().default(5),
      retry_attempts: z.number().int().min(0).default(3),
      retry_backoff: duration("1s"),
    })
    .prefault({}),
});

const loggingSchema = z.strictObject({
  /** debug, info, warn or error (default info). */
  level: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /** json lines or readable text (default json; text when stdout is a terminal and format is not set). */
  format: z.enum(["json", "text"]).optional(),
  /** Only stdout is supported. */
  output: z.enum(["stdout"]).default("stdout"),
});

const preloadEntry = z.union([
  z.string().trim().min(1),
  z.strictObject({
    /** Model to load, e.g. ai/smollm2. */
    name: z.string().trim().min(1),
    /** Runner to warm: completion (chat and completions) or embedding (default completion). */
    mode: z.enum(["completion", "embedding"]).default("completion"),
  }),
]);

const modelsSchema = z.strictObject({
  /** Models DMR is asked to load at start and whenever an endpoint that has them recovers. */
  preload: z.array(preloadEntry).default([]),
});

const anthropicSchema = z.strictObject({
  /**
   * Client model names → local models, for clients with fixed names (Claude Code's main and
   * background models). Keys are exact names or globs with `*`; exact names win, then the
   * first glob that matches, in file order. Unmapped `claude-*` names get a 404.
   */
  model_map: z.record(z.string().trim().min(1), z.string().trim().min(1)).default({}),
  /** Silence after which a translated stream sends a `ping` event (default 15s). */
  ping_interval: duration("15s"),
});

const translatorsSchema = z.strictObject({
  /** Olla's Anthropic translator block, for the /olla/anthropic/ routes. */
  anthropic: z
    .strictObject({
      /** Serve /olla/anthropic/ (default true, as in Olla). */
      enabled: z.boolean().default(true),
      /** Pass requests to endpoints that speak Anthropic (default true); false translates every request. */
      passthrough_enabled: z.boolean().default(true),
      /** Largest Anthropic request body (default 10MiB, as in Olla; over it is a 413). */
      max_message_size: byteSize("10MiB"),
      /** Olla's debug inspector; accepted, not used. */
      inspector: acceptedOllaBlock,
    })
    .prefault({}),
});

const responsesSchema = z.strictObject({
  /** Responses API ids whose endpoint is remembered, at most (default 10000; least recently used go first). */
  affinity_max_entries: z.number().int().min(1).default(10_000),
  /** How long an unused response id is remembered (default 24h). */
  affinity_ttl: duration("24h"),
});

export const configSchema = z.strictObject({
  server: serverSchema.prefault({}),
  proxy: proxySchema.prefault({}),
  discovery: discoverySchema.prefault({}),
  /** Shorthand from the Olla DMR docs: a top-level endpoint list, merged with discovery.static.endpoints. */
  endpoints: z.array(endpointSchema).default([]),
  logging: loggingSchema.prefault({}),
  models: modelsSchema.prefault({}),
  auth: inboundAuthSchema.prefault({}),
  /** Anthropic Messages routes (/olla/anthropic/). */
  anthropic: anthropicSchema.prefault({}),
  /** OpenAI Responses API routes. */
  responses: responsesSchema.prefault({}),
  model_registry: acceptedOllaBlock,
  /** One model name clients use → the names backends know it by; only the body's `model` is rewritten. */
  model_aliases: z.record(z.string().trim().min(1), z.array(z.string().trim().min(1)).min(1, "list at least one backend model name")).default({}),
  translators: translatorsSchema.prefault({}),
  engineering: acceptedOllaBlock,
  dashboard: acceptedOllaBlock,
});

export type RawConfig = z.output<typeof configSchema>;
export type EndpointConfigInput = z.output<typeof endpointSchema>;
