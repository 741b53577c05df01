/**
 * @module
 * Anthropic Messages: `/olla/anthropic/v1/{messages,messages/count_tokens,models}` (Olla's
 * routes; Claude Code's `?beta=true` is ignored by matching on the path) and DMR's own
 * `/olla/dmr/anthropic/v1/messages[/count_tokens]`.
 *
 * An endpoint that speaks Anthropic (`anthropic_support`, true for DMR) gets the client's
 * body and headers untouched and its answer is relayed byte for byte (X-Olla-Mode:
 * passthrough, anthropic_passthrough.ts); only a `claude-*` name mapped by
 * `anthropic.model_map` is rewritten. When no candidate speaks it, the request is translated
 * to chat completions and back (X-Olla-Mode: translation, anthropic_translation.ts). Every
 * error is in Anthropic's shape; a backend error already in that shape passes through untouched.
 */
import type { Handler } from "hono";
import type { Clock } from "../clock.ts";
import type { Endpoint } from "../endpoints/endpoint.ts";
import { listModels } from "../models/catalog.ts";
import { displayModelName, normaliseModelRef } from "../models/dmr_names.ts";
import { exactAliases, mapModel } from "../models/model_map.ts";
import type { ForwardSettings } from "../proxying/forward.ts";
import type { Router } from "../routing/route.ts";
import { estimateInputTokens } from "../translate/anthropic/count_tokens.ts";
import { anthropicErrorResponse } from "../translate/anthropic/errors.ts";
import { relayPassthrough } from "./anthropic_passthrough.ts";
import { relayTranslation } from "./anthropic_translation.ts";
import { assertModelAllowed } from "../auth/require_key.ts";
import type { App, AppEnv } from "./context.ts";
import { ProxyError } from "./errors.ts";
import { DMR_ONLY, readProxiedBody, searchOf } from "./model_proxy.ts";

export interface AnthropicRoutesOptions {
  readonly endpoints: readonly Endpoint[];
  readonly router: Router;
  readonly forwarding: ForwardSettings;
  readonly maxBodySize: number;
  readonly clock: Clock;
  /** `anthropic.model_map` as currently configured (a reload can change it). */
  readonly modelMap: () => Readonly<Record<string, string>>;
  readonly pingIntervalMs: number;
  /** Olla's `translators.anthropic`: serve /olla/anthropic/, pass through where possible, body limit there. */
  readonly translator: { readonly enabled: boolean; readonly passthrough: boolean; readonly maxMessageSize: number };
}

/** Which endpoints get the request as it is, and the body limit. */
type Route = {
  readonly native: "all" | "capable" | "none";
  readonly countTokens: boolean;
  readonly maxBodySize: number;
  readonly limitSetting: string;
};

export function mountAnthropicRoutes(app: App, options: AnthropicRoutesOptions): void {
  const messages = (route: Route) => anthropicErrors(messagesHandler(options, route));
  const dmr = { native: "all", maxBodySize: options.maxBodySize, limitSetting: "server.request_limits.max_body_size" } as const;
  app.post("/olla/dmr/anthropic/v1/messages", messages({ ...dmr, countTokens: false }));
  app.post("/olla/dmr/anthropic/v1/messages/count_tokens", messages({ ...dmr, countTokens: true }));
  const { translator } = options;
  if (!translator.enabled) return;
  const olla = {
    native: translator.passthrough ? "capable" : "none",
    maxBodySize: translator.maxMessageSize,
    limitSetting: "translators.anthropic.max_message_size",
  } as const;
  // Claude Code probes its base URL at start-up.
  // (Hono answers HEAD with the GET route.)
  app.get("/olla/anthropic", (c) => c.body(null, 200));
  app.post("/olla/anthropic/v1/messages", messages({ ...olla, countTokens: false }));
  app.post("/olla/anthropic/v1/messages/count_tokens", messages({ ...olla, countTokens: true }));
  app.get("/olla/anthropic/v1/models", anthropicErrors(modelsHandler(options)));
  app.get("/olla/anthropic/v1/models/:id{.+}", anthropicErrors(modelHandler(options)));
  app.all("/olla/anthropic/*", (c) =>
    anthropicErrorResponse(
      404,
      `${c.req.method} ${c.req.path} is not an Anthropic route: Tureen serves POST /olla/anthropic/v1/messages, ` +
        "POST /olla/anthropic/v1/messages/count_tokens and GET /olla/anthropic/v1/models[/{id}]",
    ));
}

/** The proxy's own errors, in Anthropic's shape. */
function anthropicErrors(handler: Handler<AppEnv>): Handler<AppEnv> {
  return async function anthropicRoute(c, next) {
    try {
      return await handler(c, next);
    } catch (error) {
      if (error instanceof ProxyError) return anthropicErrorResponse(error.status, error.message, error.headers);
      throw error;
    }
  };
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
    const key = normaliseModelRef(mapping.model);
    c.get("record").model = displayModelName(key);
    assertModelAllowed(c, mapping.model);
    const candidates = await options.router.candidates(key, mapping.model, { engine: null, mode: "completion", ...DMR_ONLY });
    const native = route.native === "all"
      ? candidates
      : route.native === "capable"
      ? candidates.filter((e) => e.config.anthropicSupport)
      : [];
    if (native.length > 0) {
      const sent = mapping.mapped ? encoder.encode(JSON.stringify({ ...request, model: mapping.model })) : body;
      const path = `/anthropic/v1/messages${route.countTokens ? "/count_tokens" : ""}`;
      const forwarded = { path, search: searchOf(raw.url), body: sent, key, mode: "completion" } as const;
      return relayPassthrough(c, options, forwarded, native, request.stream === true && !route.countTokens);
    }
    if (route.countTokens) {
      // No candidate can count: an estimate that errs high (see translate/anthropic/count_tokens.ts).
      return c.json({ input_tokens: estimateInputTokens(request) }, 200, { "x-olla-token-count": "estimate" });
    }
    return relayTranslation(c, options, { request, requested, model: mapping.model, key }, candidates);
  };
}

/** Exact model-map aliases whose model is available, then the local models, in Anthropic's shape. */
async function modelEntries(options: AnthropicRoutesOptions): Promise<Array<Record<string, string>>> {
  await options.router.ready();
  const listed = listModels(DMR_ONLY.pool!(options.endpoints));
  const createdAt = (seconds: number) => new Date(seconds * 1000).toISOString();
  const byName = new Map(listed.map((m) => [m.id, m]));
  const aliases = exactAliases(options.modelMap()).flatMap(([alias, target]) => {
    const model = byName.get(displayModelName(normaliseModelRef(target)));
    return model ? [{ type: "model", id: alias, display_name: `${alias} (${model.id})`, created_at: createdAt(model.created) }] : [];
  });
  return [...aliases, ...listed.map((m) => ({ type: "model", id: m.id, display_name: m.id, created_at: createdAt(m.created) }))];
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
