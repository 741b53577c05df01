/**
 * @module
 * `/olla/<prefix>/*` for every backend type: served only by endpoints of that type (fail
 * closed). Listing routes are answered from the catalogue in the type's own shape;
 * allow-listed inference paths are forwarded byte for byte to the same path minus the
 * prefix; known management paths get 501; every other path, method or traversal attempt is
 * a JSON 404 that never reaches a backend.
 */
import type { Context, Handler } from "hono";
import type { Endpoint } from "../endpoints/endpoint.ts";
import { placedModels } from "../models/catalog.ts";
import { readMerged } from "../models/merged_read.ts";
import { renderList } from "../models/list_formats.ts";
import { allowedModels } from "../auth/require_key.ts";
import type { Profile } from "../profiles/profile.ts";
import { type ForwardSettings } from "../proxying/forward.ts";
import type { Router } from "../routing/route.ts";
import type { AppEnv } from "./context.ts";
import { refuse } from "./errors.ts";
import { rawPathOf } from "../runtime/target.ts";
import { forwardByModel, forwardFirst, isManagement, scopeFor } from "./proxy_request.ts";

export interface TypeRoutesOptions {
  readonly endpoints: readonly Endpoint[];
  readonly router: Router;
  readonly forwarding: ForwardSettings;
  readonly maxBodySize: number;
  /** `model_aliases` from config. */
  readonly aliases: ReadonlyMap<string, readonly string[]>;
}

/**
 * An encoded slash never names a proxied path. Dot segments, backslashes and doubled slashes are
 * refused for every route before routing (canonical_target.ts), which lets `%2f` through for the
 * catalogue's model ids.
 */
export const ENCODED_SLASH = /%2f/i;

/** The handler for `/olla/<prefix>/*`, one of the type's prefixes. */
export function typeRoutes(profile: Profile, routePrefix: string, options: TypeRoutesOptions): Handler<AppEnv> {
  const prefix = `/olla/${routePrefix}`;
  const ofType = (endpoints: readonly Endpoint[]) => endpoints.filter((e) => e.profile.type === profile.type);
  const scope = scopeFor(profile);
  return async function typeRoute(c: Context<AppEnv>) {
    const path = c.req.path;
    const sub = path.slice(prefix.length);
    if (ENCODED_SLASH.test(rawPathOf(c.req.raw.url))) throw notProxied(profile, c.req.method, path, prefix);
    const method = c.req.method;
    const listing = method === "GET" ? profile.listings.get(sub) : undefined;
    if (listing) {
      await options.router.ready();
      const placed = allowedModels(c, placedModels(ofType(options.endpoints), listing.engine ?? null), (p) => p.name);
      return c.json(renderList(listing.format, [...placed]));
    }
    if (isManagement(profile, sub)) {
      throw refuse(
        "management_not_supported",
        `${method} ${path} is a model management route: Tureen never forwards it to the ${profile.label} backends; ` +
          "manage models on the backend itself",
      );
    }
    const merged = method === "GET" ? profile.mergedGets.get(sub) : undefined;
    if (merged) return c.json(await readMerged(options.forwarding.fetch, ofType(options.endpoints), sub, merged));
    if (method === "GET" && profile.passthroughGets.has(sub)) {
      return forwardFirst(c, sub, ofType(options.endpoints), options.forwarding);
    }
    const route = method === "POST" ? profile.proxied.get(sub) : undefined;
    if (!route) throw notProxied(profile, method, path, prefix);
    return forwardByModel(c, {
      path: sub,
      route,
      profile,
      router: options.router,
      need: { pool: ofType, scope },
      forwarding: options.forwarding,
      maxBodySize: options.maxBodySize,
      aliases: options.aliases,
    });
  };
}

function notProxied(profile: Profile, method: string, path: string, prefix: string) {
  if (profile.type === "docker-model-runner") {
    return refuse(
      "route_not_found",
      `${method} ${path} is not a Docker Model Runner inference route: Tureen forwards only ` +
        "POST /olla/dmr/engines[/llama.cpp|/vllm]/v1/{chat/completions,completions,embeddings,responses}, " +
        "/olla/dmr/{rerank,score}, /olla/dmr/anthropic/v1/messages " +
        "and answers GET /olla/dmr/engines[/llama.cpp|/vllm]/v1/models",
    );
  }
  const posts = [...profile.proxied.keys()].map((p) => prefix + p).join(", ");
  const gets = [...profile.listings.keys(), ...profile.passthroughGets, ...profile.mergedGets.keys()].map((p) => prefix + p).join(", ");
  return refuse(
    "route_not_found",
    `${method} ${path} is not a ${profile.label} route Tureen forwards: POST ${posts}; GET ${gets}`,
  );
}
