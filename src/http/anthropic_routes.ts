/**
 * @module
 * Anthropic Messages: `/olla/anthropic/v1/{messages,messages/count_tokens,models}` (Olla's
 * routes, across every backend type; Claude Code's `?beta=true` is ignored by matching on the
 * path) and DMR's own `/olla/dmr/anthropic/v1/messages[/count_tokens]` (DMR endpoints only).
 *
 * Candidates are the endpoints of any type serving the model, found by the client's name as
 * sent (each endpoint normalises it its own way; `model_aliases` apply). An endpoint that
 * speaks Anthropic (`anthropic_support`, by default where its type has a native Messages
 * path) gets the client's body and headers untouched at its own path and its answer is
 * relayed byte for byte (X-Olla-Mode: passthrough, anthropic_passthrough.ts); only a
 * `claude-*` name mapped by `anthropic.model_map` (or an alias) is rewritten. When no
 * candidate speaks it, the request is translated to chat completions at each endpoint's own
 * chat path and back (X-Olla-Mode: translation, anthropic_translation.ts). Every error is in
 * Anthropic's shape; a backend error already in that shape passes through untouched.
 */
import type { Handler } from "hono";
import type { Clock } from "../clock.ts";
import type { Endpoint } from "../endpoints/endpoint.ts";
import { exactAliases, mapModel } from "../models/model_map.ts";
import { asPlaced, unifiedModels } from "../models/unified.ts";
import { DMR_PROFILE } from "../profiles/dmr.ts";
import type { Profile } from "../profiles/profile.ts";
import type { Need } from "../routing/route.ts";
import { estimateInputTokens } from "../translate/anthropic/count_tokens.ts";
import { anthropicErrorResponse } from "../translate/anthropic/errors.ts";
import { relayPassthrough } from "./anthropic_passthrough.ts";
import { anthropicCapable, ANTHROPIC_SCOPE, chatPathOf, countTokensPathOf, messagesPathOf } from "./anthropic_targets.ts";
import { relayTranslation } from "./anthropic_translation.ts";
import type { App, AppEnv } from "./context.ts";
import { ProxyError } from "./errors.ts";
import { DMR_ONLY, readProxiedBody, searchOf } from "./model_proxy.ts";
import { routedName } from "./proxy_request.ts";
import type { TypeRoutesOptions } from "./type_routes.ts";

export interface AnthropicRoutesOptions extends TypeRoutesOptions {
  readonly clock: Clock;
  /** `anthropic.model_map` as currently configured (a reload can change it). */
  readonly modelMap: () => Readonly<Record<string, string>>;
  readonly pingIntervalMs: number;
  /** Olla's `translators.anthropic`: serve /olla/anthropic/, pass through where possible, body limit there. */
  readonly translator: { readonly enabled: boolean; readonly passthrough: boolean; readonly maxMessageSize: number };
}

/** Which endpoints are considered and get the request as it is, and the body limit. */
type Route = {
  /** All: DMR's own route, every candidate speaks it; capable: those that say so (`anthropic_support`). */
  readonly native: "all" | "capable" | "none";
  readonly need: Pick<Need, "pool" | "scope">;
  /** The type whose model names apply (DMR's route); null across types. */
  readonly profile: Profile | null;
  readonly countTokens: boolean;
  readonly maxBodySize: number;
  readonly limitSetting: string;
};

export function mountAnthropicRoutes(app: App, options: AnthropicRoutesOptions): void {
  // Errors thrown here reach app.onError, which answers /olla/*anthropic/ paths in Anthropic's shape.
  const messages = (route: Route) => messagesHandler(options, route);
  const dmr = { native: "all", need: DMR_ONLY, profile: DMR_PROFILE, maxBodySize: options.maxBodySize, limitSetting: "server.request_limits.max_body_size" } as const;
  app.post("/olla/dmr/anthropic/v1/messages", messages({ ...dmr, countTokens: false }));
  app.post("/olla/dmr/anthropic/v1/messages/count_tokens", messages({ ...dmr, countTokens: true }));
  const { translator } = options;
  if (!translator.enabled) return;
  const olla = {
    native: translator.passthrough ? "capable" : "none",
    need: { pool: anthropicCapable, scope: ANTHROPIC_SCOPE },
    profile: null,
    maxBodySize: translator.maxMessageSize,
    limitSetting: "translators.anthropic.max_message_size",
  } as const;
  // Claude Code probes its base URL at start-up.
  // (Hono answers HEAD with the GET route.)
  app.get("/olla/anthropic", (c) => c.body(null, 200));
  app.post("/olla/anthropic/v1/messages", messages({ ...olla, countTokens: false }));
  app.post("/olla/anthropic/v1/messages/count_tokens", messages({ ...olla, countTokens: true }));
  app.get("/olla/anthropic/v1/models", modelsHandler(options));
  app.get("/olla/anthropic/v1/models/:id{.+}", modelHandler(options));
  app.all("/olla/anthropic/*", (c) =>
    anthropicErrorResponse(
      404,
      `${c.req.method} ${c.req.path} is not an Anthropic route: Tureen serves POST /olla/anthropic/v1/messages, ` +
        "POST /olla/anthropic/v1/messages/count_tokens and GET /olla/anthropic/v1/models[/{id}]",
    ));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function messagesHandler(options: AnthropicRoutesOptions, route: Route): Handler<AppEnv> {
  return async function messages(c) {
    const raw = c.req.raw;
    const body = await readProxiedBody(c, route.maxBodySize, route.limitSetting);
    const request = parseObject(body);
    const requested = request.model;
    if (typeof requested !== "string" || requested.trim() === "") {
      throw new ProxyError(400, "model_required", 'model: required, e.g. "ai/smollm2" or a claude-* name mapped in anthropic.model_map');
    }
    const mapping = mapModel(options.modelMap(), requested);
    if ("unmapped" in mapping) throw notMapped(requested);
    const routed = routedName(c, mapping.model, route.profile, route.profile ? NO_ALIASES : options.aliases);
    const { key, aliases } = routed;
    const candidates = await options.router.candidates(key, mapping.model, {
      engine: null,
      mode: "completion",
      ...route.need,
      ...(aliases ? { aliases } : {}),
    });
    const always = route.native === "all";
    const pathOf = (e: Endpoint) => route.countTokens ? countTokensPathOf(e, always) : messagesPathOf(e, always);
    const speaks = route.native === "none" ? [] : candidates.filter((e) => messagesPathOf(e, always) !== null);
    const native = speaks.filter((e) => pathOf(e) !== null);
    if (native.length > 0) {
      const sent = mapping.mapped ? encoder.encode(JSON.stringify({ ...request, model: mapping.model })) : body;
      const forwarded = {
        path: pathOf(native[0]!)!,
        pathFor: (e: Endpoint) => pathOf(e)!,
        search: searchOf(raw.url),
        body: sent,
        key,
        ...(aliases ? { aliases } : {}),
        mode: "completion",
      } as const;
      return relayPassthrough(c, options, forwarded, native, request.stream === true && !route.countTokens);
    }
    if (route.countTokens) {
      // No candidate can count: an estimate that errs high (see translate/anthropic/count_tokens.ts).
      return c.json({ input_tokens: estimateInputTokens(request) }, 200, { "x-olla-token-count": "estimate" });
    }
    const chat = candidates.filter((e) => chatPathOf(e) !== null);
    if (chat.length === 0) {
      throw new ProxyError(
        502,
        "translation_unavailable",
        `Model "${mapping.model}" is served only by ${candidates.map((e) => e.name).join(", ")}, which speak Anthropic ` +
          "but take no chat completions, and translators.anthropic.passthrough_enabled is false: enable passthrough",
      );
    }
    return relayTranslation(c, options, { request, requested, model: mapping.model, routed }, chat);
  };
}

const NO_ALIASES: ReadonlyMap<string, readonly string[]> = new Map();

/** Exact model-map aliases whose model is available, then the local models of every type, in Anthropic's shape. */
async function modelEntries(options: AnthropicRoutesOptions): Promise<Array<Record<string, string>>> {
  await options.router.ready();
  const models = unifiedModels(anthropicCapable(options.endpoints));
  const createdAt = (seconds: number) => new Date(seconds * 1000).toISOString();
  const aliases = exactAliases(options.modelMap()).flatMap(([alias, target]) => {
    const model = models.find((m) => m.placements.some((p) => p.endpoint.serves(target)));
    if (!model) return [];
    return [{ type: "model", id: alias, display_name: `${alias} (${model.id})`, created_at: createdAt(model.placements[0]!.model.created) }];
  });
  const local = models.map(asPlaced).map((m) => ({ type: "model", id: m.name, display_name: m.name, created_at: createdAt(m.model.created) }));
  return [...aliases, ...local];
}

function modelsHandler(options: AnthropicRoutesOptions): Handler<AppEnv> {
  return async function models(c) {
    const data = await modelEntries(options);
    return c.json({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
  };
}

function modelHandler(options: AnthropicRoutesOptions): Handler<AppEnv> {
  return async function model(c) {
    const id = c.req.param("id")!;
    const found = (await modelEntries(options)).find((m) => m.id === id);
    if (!found) throw new ProxyError(404, "model_not_found", `Model "${id}" is not available: see GET /olla/anthropic/v1/models`);
    return c.json(found);
  };
}

/** @throws {ProxyError} 400 when the body is not a JSON object */
function parseObject(body: Uint8Array): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(body));
  } catch (error) {
    throw new ProxyError(400, "invalid_json", `Request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ProxyError(400, "invalid_request", "Request body must be a JSON object with model, max_tokens and messages");
  }
  return parsed as Record<string, unknown>;
}

function notMapped(name: string): ProxyError {
  return new ProxyError(
    404,
    "model_not_mapped",
    `Model "${name}" is a Claude model name that no local model answers to: map it in config.yaml under ` +
      `anthropic.model_map, e.g. "claude-*": ai/smollm2 (Claude Code also sends a Haiku-class name for ` +
      `background work; "claude-*haiku*": <a small model> maps it), or pick a local model with ANTHROPIC_MODEL`,
  );
}
