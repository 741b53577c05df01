/**
 * @module
 * What config values may be shown (status API, --print-config, logs, config errors) and how:
 * URL query values and credentials are masked, and values under auth, headers or a key field
 * are never printed at all.
 */

/** Shown instead of a secret. */
export const MASK = "***";

/**
 * A URL with every query value and any `user:password@` replaced by "***". Not a URL (or a
 * bare path without a query) comes back unchanged.
 */
export function redactUrl(url: string): string {
  const userinfo = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i;
  let out = url.replace(userinfo, `$1${MASK}@`);
  const query = out.indexOf("?");
  if (query === -1) return out;
  const hash = out.indexOf("#", query);
  const end = hash === -1 ? out.length : hash;
  const masked = out
    .slice(query + 1, end)
    .split("&")
    .map((pair) => (pair.includes("=") ? `${pair.slice(0, pair.indexOf("="))}=${MASK}` : pair))
    .join("&");
  out = `${out.slice(0, query + 1)}${masked}${out.slice(end)}`;
  return out;
}

/** Field names whose values are credentials wherever they appear. */
const SECRET_KEYS = new Set(["key", "keys", "token", "password", "username", "secret", "api_key"]);

/** True when a value at this config key path must never be printed (auth.*, headers.*, key fields). */
export function isSecretPath(path: ReadonlyArray<PropertyKey>): boolean {
  return path.some((key) => key === "auth" || key === "headers" || SECRET_KEYS.has(String(key)));
}

/** True when the URL carries `user:password@`. */
export function hasCredentials(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url);
}
