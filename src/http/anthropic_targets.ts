/**
 * @module
 * Where an Anthropic request can go, per endpoint: the path of its native Messages API (and
 * of its token count, where it has one) for passthrough, and its chat-completions path for
 * translation. Each type's paths come from its profile (`nativeApis`, `fleetPath`), so a
 * fleet of mixed types is served at each endpoint's own paths.
 */
import type { Endpoint } from "../endpoints/endpoint.ts";
import type { Scope } from "../routing/route.ts";
import { fleetPath } from "./proxy_routes.ts";

/**
 * The endpoint's Anthropic Messages path, or null when it does not speak Anthropic
 * (`anthropic_support`, by default whether its type has a native path). An endpoint
 * declared to speak it on a type that names no path gets the common `/v1/messages`. With
 * `always`, the setting is not asked (DMR's own route: DMR always serves its path).
 */
export function messagesPathOf(endpoint: Endpoint, always = false): string | null {
  if (!always && !endpoint.config.anthropicSupport) return null;
  return endpoint.profile.nativeApis.anthropicMessages ?? "/v1/messages";
}

/** The endpoint's native token-count path, or null when it has none (the count is then estimated). */
export function countTokensPathOf(endpoint: Endpoint, always = false): string | null {
  if (!always && !endpoint.config.anthropicSupport) return null;
  return endpoint.profile.nativeApis.anthropicCountTokens ?? null;
}

/** The endpoint's chat-completions path, or null when its type takes none (translation needs it). */
export function chatPathOf(endpoint: Endpoint): string | null {
  return fleetPath(endpoint.profile, "/v1/chat/completions")?.path ?? null;
}

/** Endpoints that can answer Anthropic Messages one way or the other. */
export function anthropicCapable(endpoints: readonly Endpoint[]): readonly Endpoint[] {
  return endpoints.filter((e) => messagesPathOf(e) !== null || chatPathOf(e) !== null);
}

/** Words for routing errors on /olla/anthropic: any type, Anthropic's own model list. */
export const ANTHROPIC_SCOPE: Scope = {
  label: "backend",
  listPath: "/olla/anthropic/v1/models",
  show: (key) => key,
  fetchHint: null,
};
