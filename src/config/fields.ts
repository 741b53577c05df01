/**
 * @module
 * Reusable zod field types for config values written in human units. Each failure
 * message states what was expected and how to fix it; the loader adds the key path
 * and the current value.
 */
import { z } from "zod";
import { hasCredentials } from "./redact.ts";
import { parseDuration, parseSize } from "./units.ts";
import { parseCidr } from "../limits/cidr.ts";

/** The longest wait a JavaScript timer supports: 2^31-1 ms, about 24.8 days. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/** A Go-style duration ("10s", "1m30s"); the parsed value is milliseconds. */
export function duration(defaultText: string) {
  return z
    .union([z.string(), z.number()])
    .default(defaultText)
    .transform((value, ctx) => {
      // A bare number is seconds, as YAML users write `check_timeout: 5` meaning 5 s.
      const ms = typeof value === "number" ? value * 1000 : parseDuration(value);
      if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
        ctx.issues.push({
          code: "custom",
          input: value,
          message: 'expected a duration such as "500ms", "10s" or "1m30s"',
        });
        return z.NEVER;
      }
      if (ms > MAX_DURATION_MS) {
        ctx.issues.push({ code: "custom", input: value, message: "expected at most 24 days (timers cannot wait longer)" });
        return z.NEVER;
      }
      return ms;
    });
}

/** A byte size ("100MB", "512KiB" or a number of bytes); the parsed value is bytes. */
export function byteSize(defaultText: string) {
  return z
    .union([z.string(), z.number()])
    .default(defaultText)
    .transform((value, ctx) => {
      const bytes = typeof value === "number" ? value : parseSize(value);
      if (bytes === undefined || !Number.isFinite(bytes) || bytes <= 0) {
        ctx.issues.push({
          code: "custom",
          input: value,
          message: 'expected a positive size such as "100MB", "512KiB" or a number of bytes',
        });
        return z.NEVER;
      }
      return bytes;
    });
}

/**
 * An http(s) URL without credentials in it (Olla v0.0.29 rejects user:pass@host too), or a
 * `unix:///path/to.sock` URL with an optional base path after the socket (runtime/unix_url.ts).
 */
export const httpUrl = z.string().transform((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.issues.push({
      code: "custom",
      input: value,
      message: 'expected an absolute URL such as "http://localhost:12434" or "unix:///run/dmr.sock"',
    });
    return z.NEVER;
  }
  if (url.protocol === "unix:") {
    if (url.host || url.search || url.hash || url.pathname.length < 2) {
      ctx.issues.push({
        code: "custom",
        input: value,
        message: 'expected an absolute socket path with three slashes, such as "unix:///run/dmr.sock" or "unix:///var/run/docker.sock/exp/vDD4.40"',
      });
      return z.NEVER;
    }
    return url.href.replace(/\/$/, "");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    ctx.issues.push({ code: "custom", input: value, message: "expected an http://, https:// or unix:// URL" });
    return z.NEVER;
  }
  if (url.username || url.password || hasCredentials(value)) {
    ctx.issues.push({
      code: "custom",
      input: value,
      message: "credentials in the URL are not allowed; use the endpoint's auth or headers instead",
    });
    return z.NEVER;
  }
  return url.href.replace(/\/$/, "");
});

/** A path relative to the endpoint URL ("/engines/v1/models") or an absolute URL. */
export const pathOrUrl = z
  .string()
  .refine((value) => value.startsWith("/") || /^https?:\/\//.test(value), {
    message: 'expected a path starting with "/" or an absolute http(s) URL',
  })
  .refine((value) => !hasCredentials(value), {
    message: "credentials in the URL are not allowed; use the endpoint's auth or headers instead",
  });

/** An IPv4 or IPv6 CIDR such as 10.0.0.0/8 or ::1/128 (a bare address means one host). */
export const cidr = z.string().refine((value) => parseCidr(value) !== null, {
  message: 'expected a CIDR such as "10.0.0.0/8" or "::1/128"',
});
