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
import type { Need, Router, Scope } from "../routing/route.ts";
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
  /** Rewrites the body for the endpoint chosen (model aliases); absent: sent as received. */
  readonly bodyFor?: (endpoint: Endpoint, body: Uint8Array<ArrayBuffer>) => Uint8Array<ArrayBuffer>;
  /** Names to look up instead of the one requested (model aliases). */
  readonly lookup?: (requested: string) => string;
}

/** Forward a POST to an endpoint that serves the body's `model`. */
export async function forwardByModel(c: Context<AppEnv>, options: ByModel): Promise<Response> {
  const raw = c.req.raw;
  // Cold loads hold a request silent for minutes; the runtime must not cut it.
  c.env?.disableIdleTimeout();
  const record = c.get("record");
  const body = await readBodyWithin(raw, options.maxBodySize);
  const requested = readModelField(body);
  const lookup = options.lookup ? options.lookup(requested) : requested;
  const key = options.profile ? options.profile.modelKey(lookup) : lookup;
  const dmr = options.profile?.type === "docker-model-runner";
  record.model = dmr ? displayModelName(key) : requested;
  const mode: DmrMode = options.route.kind === "embeddings" ? "embedding" : "completion";
  const candidates = await options.router.candidates(key, requested, {
    engine: options.route.engine ?? null,
    mode,
    ...options.need,
  });
  const outcome = await forward({
    requestId: record.id,
    path: options.path,
    search: searchOf(raw.url),
    body,
    bodyFor: options.bodyFor,
    headers: raw.headers,
    clientIp: c.env?.remoteAddress ?? "",
    clientSignal: raw.signal,
    model: record.model,
    startedAt: record.startedAt,
    onAttempt: (endpoint) =>
      endpoint.profile.type === "docker-model-runner" ? endpoint.dmr.trackRequest(endpoint.keyOf(key), mode) : () => {},
  }, candidates, options.forwarding);
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
  const outcome = await forward({
    requestId: record.id,
    path,
    search: searchOf(raw.url),
    method: "GET",
    body: null,
    headers: raw.headers,
    clientIp: c.env?.remoteAddress ?? "",
    clientSignal: raw.signal,
    model: "",
    startedAt: record.startedAt,
  }, candidates, forwarding);
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

/** A 404 for a path that is not one of the allowed ones. */
export function notAllowed(method: string, path: string, allowed: string) {
  return refuse("route_not_found", `${method} ${path} is not a route Tureen forwards: ${allowed}`);
}
