/**
 * @module
 * The request target as the client sent it, read from request.url without a URL parser
 * (a parser would resolve the very dot segments and backslashes we look for).
 */

/** The path part of `url`: absolute (`http://host/path?q`) or, for HTTP/1.0 without Host on Bun, `/path?q`. */
export function rawPathOf(url: string): string {
  const start = url.startsWith("/") ? 0 : url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "/";
  let end = url.length;
  for (let i = start; i < url.length; i++) {
    const char = url.charCodeAt(i);
    if (char === 63 /* ? */ || char === 35 /* # */) {
      end = i;
      break;
    }
  }
  return url.slice(start, end);
}

/** True when parsing the URL would not change its path: no dot segments, no backslashes. */
export function isParsedPathUnchanged(url: string): boolean {
  const raw = rawPathOf(url);
  if (!/[.\\%]/.test(raw)) return true;
  try {
    return new URL(url.startsWith("/") ? `http://localhost${url}` : url).pathname === raw;
  } catch {
    return false;
  }
}
