/**
 * @module
 * Browser access from `server.cors` (Olla's block, off by default). Preflights are
 * answered here and never reach a backend; the backend never sees the browser's Origin.
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { Config } from "../config/load.ts";
import type { AppEnv } from "./context.ts";

const OLLA_HEADERS = ["X-Olla-Endpoint", "X-Olla-Model", "X-Olla-Backend-Type", "X-Olla-Response-Time", "X-Olla-Request-ID"];

/** The CORS middleware for the config, or null when browser access is off. */
export function corsFor(settings: Config["server"]["cors"]): MiddlewareHandler<AppEnv> | null {
  if (!settings.enabled) return null;
  const anyOrigin = settings.allowed_origins.includes("*");
  return cors({
    origin: anyOrigin ? "*" : [...settings.allowed_origins],
    allowMethods: [...settings.allowed_methods],
    // An empty list makes Hono echo Access-Control-Request-Headers, which is what "*" means here.
    allowHeaders: settings.allowed_headers.includes("*") ? [] : [...settings.allowed_headers],
    exposeHeaders: settings.exposed_headers.length > 0 ? [...settings.exposed_headers] : OLLA_HEADERS,
    credentials: settings.allow_credentials,
    maxAge: settings.max_age,
  });
}
