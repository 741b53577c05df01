/**
 * @module
 * The request side shared by every proxying route: read the body and its `model`, ask the
 * router for candidates, forward, and fill in the access record. Also the read-only GET
 * pass-through and the helpers routes use to judge a path.
 */
import type { Context } from "hono";
import type { Endpoint } from "../endpoints/endpoint.ts";
import { displayModelName } from "../models/dmr_names.ts";
import type { DmrMode } from "../models/dmr_state.ts";
import type { PathKind, Profile, ProxiedPath } from "../profiles/profile.ts";
import { forward, type ForwardSettings } from "../proxying/forward.ts";
import type { Need, Router, Scope } from "../routing/route.ts";
import { assertModelAllowed } from "../auth/require_key.ts";
import { readModelField } from "./body.ts";
import type { AppEnv } from "./context.ts";
import { refuse } from "./errors.ts";
import { forwardFor, readProxiedBody, recordOutcome, searchOf } from "./model_proxy.ts";

export interface ByModel {
  /** Path sent to the backend (after the proxy's prefix). */
  readonly path: string;
  readonly route: ProxiedPath;
  /** The type whose names apply; null when routing across types (`/olla/proxy`). */
  readonly profile: Profile | null;
  readonly router: Router;
  readonly need: Pick<Need, "pool" | "scope">;
  readonly forwarding: ForwardSettings;
  readonly maxBodySize: number;
  /** `model_aliases`: one name a client uses → the names backends use. */
  readonly aliases: ReadonlyMap<string, readonly string[]>;
  /** The backend path per endpoint when it differs by type (`/olla/proxy`). */
  readonly pathFor?: (endpoint: Endpoint) => string;
}

/** Forward a POST to an endpoint that serves the body's `model`. */
export async function forwardByModel(c: Context<AppEnv>, options: ByModel): Promise<Response> {
  const record = c.get("record");
  record.route = options.route.kind;
  const body = await readProxiedBody(c, options.maxBodySize);
  const { requested, key, aliases } = routedModel(c, body, options.profile, options.aliases);
  const mode = modeOf(options.route.kind);
  const candidates = await options.router.candidates(key, requested, {
    engine: options.route.engine ?? null,
    mode,
    ...options.need,
    ...(aliases ? { aliases } : {}),
  });
  const request = {
    path: options.path,
    search: searchOf(c.req.raw.url),
    body,
    key,
    mode,
    ...(aliases ? { aliases } : {}),
    ...(options.pathFor ? { pathFor: options.pathFor } : {}),
  };
  return (await forwardFor(c, options.forwarding, request, candidates)).response;
}

/** The model a body names, as routed: the type's key on a type's route, the client's name across types (each endpoint normalises it its own way). */
export interface RoutedModel {
  readonly requested: string;
  readonly key: string;
  /** `model_aliases` backend names when the client used an alias. */
  readonly aliases?: readonly string[];
}

/**
 * Read the body's `model` and note it for the access log.
 *
 * @throws {ProxyError} 400 without a JSON object naming a model
 */
export function routedModel(
  c: Context<AppEnv>,
  body: Uint8Array,
  profile: Profile | null,
  aliasMap: ReadonlyMap<string, readonly string[]>,
): RoutedModel {
  return routedName(c, readModelField(body), profile, aliasMap);
}

/** {@link routedModel} for a name already read. */
export function routedName(
  c: Context<AppEnv>,
  requested: string,
  profile: Profile | null,
  aliasMap: ReadonlyMap<string, readonly string[]>,
): RoutedModel {
  const aliases = aliasMap.get(requested);
  const key = profile && !aliases ? profile.modelKey(requested) : requested;
  const dmr = profile?.type === "docker-model-runner";
  const record = c.get("record");
  record.model = dmr && !aliases ? displayModelName(key) : requested;
  record.modelKey = key;
  assertModelAllowed(c, requested);
  return { requested, key, ...(aliases ? { aliases } : {}) };
}

/** The DMR runner mode a kind of path needs. */
export function modeOf(kind: PathKind): DmrMode {
  return kind === "embeddings" ? "embedding" : kind === "rerank" ? "reranking" : "completion";
}

/** Forward a read-only GET to the first available endpoint of a type (e.g. Ollama's `/api/version`). */
export async function forwardFirst(
  c: Context<AppEnv>,
  path: string,
  endpoints: readonly Endpoint[],
  forwarding: ForwardSettings,
): Promise<Response> {
  const raw = c.req.raw;
  const record = c.get("record");
  const candidates = endpoints.filter((e) => e.isRoutable()).sort((a, b) => b.config.priority - a.config.priority);
  if (candidates.length === 0) {
    const label = endpoints[0]?.profile.label ?? "matching";
    throw refuse("no_endpoint_of_type", `No healthy ${label} endpoint can answer ${c.req.method} ${c.req.path} now; retry shortly`, 1);
  }
  const outcome = await forward(
    {
      requestId: record.id,
      path,
      search: searchOf(raw.url),
      method: "GET",
      body: null,
      headers: raw.headers,
      clientIp: c.env?.remoteAddress ?? "",
      trustedClient: c.get("client")?.viaTrustedProxy,
      clientSignal: raw.signal,
      model: "",
      startedAt: record.startedAt,
    },
    candidates,
    forwarding,
  );
  recordOutcome(c, outcome);
  return outcome.response;
}

/** Whether `path` is one of the type's management routes, or below one. */
export function isManagement(profile: Profile, path: string): boolean {
  return profile.management.some((m) => path === m || path.startsWith(`${m}/`));
}

/** Words for routing errors on a type's own routes. */
export function scopeFor(profile: Profile): Scope {
  const prefix = profile.prefixes[0];
  const listing = [...profile.listings.keys()][0];
  const hint: Record<string, (shown: string) => string> = {
    "docker-model-runner": (shown) => `pull it with "docker model pull ${shown}"`,
    ollama: (shown) => `pull it with "ollama pull ${shown}"`,
    "lm-studio": (shown) => `download it with "lms get ${shown}"`,
  };
  return {
    label: profile.label,
    listPath: prefix && listing ? `/olla/${prefix}${listing}` : "/olla/models",
    show: profile.type === "docker-model-runner" ? displayModelName : (key) => key,
    fetchHint: hint[profile.type] ?? null,
  };
}

/** Any type: the catalogue is the place to look. */
export const FLEET_SCOPE: Scope = {
  label: "backend",
  listPath: "/olla/proxy/v1/models",
  show: (key) => key,
  fetchHint: null,
};
