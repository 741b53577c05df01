/**
 * @module
 * Inbound API keys on the proxied routes, the model allow-list, and the /internal policy.
 * With no keys configured every check passes and nothing changes.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/context.ts";
import { ProxyError } from "../http/errors.ts";
import { isLoopback } from "../limits/cidr.ts";
import { normaliseModelRef } from "../models/dmr_names.ts";
import type { InboundKey } from "./keys_config.ts";
import { type KeyRing, presentedKey } from "./key_ring.ts";

function unauthorized(missing: boolean): ProxyError {
  return new ProxyError(
    401,
    "invalid_api_key",
    missing
      ? "An API key is required: send Authorization: Bearer <key> or x-api-key: <key>"
      : "The API key is not valid: check it, or ask for a new one",
    { "www-authenticate": "Bearer" },
  );
}

/**
 * Identify the caller by key; the access log gets the key's name, never the key.
 *
 * @throws {ProxyError} 401 when the key is missing or unknown
 */
export async function identify(c: Context<AppEnv>, ring: KeyRing): Promise<InboundKey> {
  const presented = presentedKey(c.req.raw.headers);
  if (!presented) {
    c.set("refusedBy", "missing_key");
    throw unauthorized(true);
  }
  const key = await ring.identify(presented);
  if (!key) {
    c.set("refusedBy", "unknown_key");
    throw unauthorized(false);
  }
  c.set("apiKey", key);
  const record = c.get("record");
  if (record) record.keyName = key.name;
  return key;
}

/** /internal/* per auth.internal; /internal/health (liveness) stays open to every probe. */
export function internalAccess(ring: KeyRing): MiddlewareHandler<AppEnv> {
  return async function internalAccessMiddleware(c, next) {
    const policy = ring.internal;
    if (policy !== "open" && c.req.path !== "/internal/health") {
      if (policy === "keys") {
        if (ring.enabled) await identify(c, ring);
      } else if (!isLoopback(c.env?.remoteAddress ?? "")) {
        throw new ProxyError(
          403,
          "internal_forbidden",
          `${c.req.path} is served to loopback clients only (auth.internal: loopback): ask from the host, or set auth.internal: keys`,
        );
      }
    }
    await next();
  };
}

/** True when the caller's key (if any) may use `model` (any spelling a request could use). */
export function keyAllowsModel(key: InboundKey | undefined, model: string): boolean {
  return !key?.models || key.models.includes(normaliseModelRef(model));
}

/**
 * @throws {ProxyError} 403 when the caller's key does not list the model
 */
export function assertModelAllowed(c: Context<AppEnv>, model: string): void {
  const key = c.get("apiKey");
  if (keyAllowsModel(key, model)) return;
  throw new ProxyError(
    403,
    "model_not_allowed",
    `The API key "${key!.name}" may not use model ${JSON.stringify(model)}: use one of the models it lists, or ask for access`,
  );
}

/** The models in `list` the caller's key may use (all of them without keys or an allow-list). */
export function allowedModels<T>(c: Context<AppEnv>, list: readonly T[], nameOf: (item: T) => string): readonly T[] {
  const key = c.get("apiKey");
  return key?.models ? list.filter((item) => keyAllowsModel(key, nameOf(item))) : list;
}
