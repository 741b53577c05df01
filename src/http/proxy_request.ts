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
import type { Profile, ProxiedPath } from "../profiles/profile.ts";
import { forward, type ForwardOutcome, type ForwardSettings } from "../proxying/forward.ts";
import { rewriteModel } from "../proxying/model_rewrite.ts";
import { nameOn, type Need, type Router, type Scope } from "../routing/route.ts";
import { assertModelAllowed } from "../auth/require_key.ts";
import { readBodyWithin, readModelField } from "./body.ts";
import type { AppEnv } from "./context.ts";
import { refuse } from "./errors.ts";

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
  const raw = c.req.raw;
  const record = c.get("record");
  record.route = options.route.kind;
  const body = await readBodyWithin(raw, options.maxBodySize, undefined, c.get("bodyDeadline"));
  // Let the runtime notice a request it has already given up on (ConnInfo.settle: pipelining on Bun).
  await c.env?.settle?.();
  // Cold loads hold a request silent for minutes; the runtime must not cut it. Only now, with
  // the body read: until here a slow body is bounded by server.read_timeout and the idle timeout.
  c.env?.disableIdleTimeout();
  const requested = readModelField(body);
  assertModelAllowed(c, requested);
  const aliases = options.aliases.get(requested);
  const key = options.profile && !aliases ? options.profile.modelKey(requested) : requested;
  const dmr = options.profile?.type === "docker-model-runner";
  record.model = dmr && !aliases ? displayModelName(key) : requested;
  const mode: DmrMode = options.route.kind === "embeddings" ? "embedding" : "completion";
  const candidates = await options.router.candidates(key, requested, {
    engine: options.route.engine ?? null,
    mode,
    ...options.need,
    ...(aliases ? { aliases } : {}),
  });
  const outcome = await forward(
    {
      requestId: record.id,
      path: options.path,
      search: searchOf(raw.url),
      body,
      // Only the `model` value changes, to the name the chosen endpoint uses; every other byte as sent.
      ...(aliases
        ? {
          bodyFor: (endpoint: Endpoint, bytes: Uint8Array<ArrayBuffer>) =>
            rewriteModel(bytes, nameOn(endpoint, key, aliases)),
        }
        : {}),
      ...(options.pathFor ? { pathFor: options.pathFor } : {}),
      headers: raw.headers,
      clientIp: c.env?.remoteAddress ?? "",
      trustedClient: c.get("client")?.viaTrustedProxy,
      clientSignal: raw.signal,
      model: record.model,
      startedAt: record.startedAt,
      onAttempt: (endpoint) => {
        if (endpoint.profile.type !== "docker-model-runner") return () => {};
        const onEndpoint = endpoint.keyOf(nameOn(endpoint, key, aliases));
        if (!endpoint.dmr.isLoaded(onEndpoint, mode)) {
          options.forwarding.onColdLoad?.(endpoint.name, record.model ?? "", endpoint.dmr.isLoading(onEndpoint, mode));
        }
        return endpoint.dmr.trackRequest(onEndpoint, mode);
      },
    },
    candidates,
    options.forwarding,
  );
  return settle(c, outcome);
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
  return settle(c, outcome);
}

function settle(c: Context<AppEnv>, outcome: ForwardOutcome): Response {
  const record = c.get("record");
  record.endpoint = outcome.endpoint?.name;
  record.attempts = outcome.attempts;
  record.bodyEnd = outcome.done;
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

/** The path as the client sent it, before any URL normalisation could hide `..`. */
export function rawPath(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const query = url.indexOf("?", start);
  return query === -1 ? url.slice(start) : url.slice(start, query);
}

export function searchOf(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? "" : url.slice(query);
}
