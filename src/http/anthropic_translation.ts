/**
 * @module
 * The translation leg of `/olla/anthropic/v1/messages`: Anthropic request → chat completions
 * at the chosen endpoint's own chat path → Anthropic answer. A streamed answer whose backend is silent for a
 * ping interval (a cold load) starts without it (`message_start` and `ping`, then a `ping`
 * every `anthropic.ping_interval` of silence) so the client's idle timeout is not tripped;
 * errors after that point are `error` events.
 */
import type { Context } from "hono";
import type { Endpoint } from "../endpoints/endpoint.ts";
import { anthropicErrorResponse, describeBackendError } from "../translate/anthropic/errors.ts";
import { InvalidRequest, toChatRequest } from "../translate/anthropic/request.ts";
import { messageId, toAnthropicMessage } from "../translate/anthropic/response.ts";
import type { UsageReader } from "../metrics/usage.ts";
import { MessageStreamWriter } from "../translate/anthropic/stream.ts";
import { anthropicEventStream } from "../translate/anthropic/stream_pipe.ts";
import type { AnthropicRoutesOptions } from "./anthropic_routes.ts";
import type { AppEnv, BodyEnd } from "./context.ts";
import { ProxyError } from "./errors.ts";
import { earlyStreamHeaders, outcomeWithin, upstreamOf } from "./anthropic_upstream.ts";
import { forwardFor } from "./model_proxy.ts";
import type { RoutedModel } from "./proxy_request.ts";
import { chatPathOf } from "./anthropic_targets.ts";

export interface TranslatedRequest {
  readonly request: Record<string, unknown>;
  /** The model name the client sent, echoed in the answer. */
  readonly requested: string;
  /** The local model it maps to. */
  readonly model: string;
  /** How that model is routed (its key, and `model_aliases` names). */
  readonly routed: RoutedModel;
}

export async function relayTranslation(
  c: Context<AppEnv>,
  options: AnthropicRoutesOptions,
  translated: TranslatedRequest,
  candidates: readonly Endpoint[],
): Promise<Response> {
  let chat: ReturnType<typeof toChatRequest>;
  try {
    chat = toChatRequest(translated.request, translated.model);
  } catch (error) {
    if (error instanceof InvalidRequest) throw new ProxyError(400, "invalid_request", error.message);
    throw error;
  }
  const body = new TextEncoder().encode(JSON.stringify(chat.body));
  const { key, aliases } = translated.routed;
  const request = {
    // Each endpoint's own chat path: DMR's /engines/v1/..., Lemonade's /api/v1/..., others' /v1/...
    path: chatPathOf(candidates[0]!)!,
    pathFor: (e: Endpoint) => chatPathOf(e)!,
    body,
    key,
    ...(aliases ? { aliases } : {}),
    mode: "completion",
  } as const;
  const call = forwardFor(c, options.forwarding, request, candidates);
  const record = c.get("record");
  const headers = new Headers({
    "x-olla-mode": "translation",
    "x-olla-model": record.model ?? translated.model,
    // Until the backend answers, the first candidate is the best guess of the type.
    "x-olla-backend-type": candidates[0]!.profile.type,
  });
  if (chat.body.stream !== true) {
    const { response, endpoint } = await call;
    headers.set("x-olla-backend-type", endpoint.profile.type);
    const text = await response.text();
    if (!response.ok) {
      const { status, message } = describeBackendError(response.status, text);
      return anthropicErrorResponse(status, message, headers);
    }
    let completion: Record<string, unknown>;
    try {
      completion = JSON.parse(text);
    } catch {
      throw new ProxyError(502, "upstream_invalid_json", `${record.endpoint} answered the chat completion with something other than JSON`);
    }
    headers.set("x-olla-endpoint", record.endpoint ?? "");
    return c.json(toAnthropicMessage(completion, translated.requested, chat.toolNames), 200, Object.fromEntries(headers));
  }
  // A backend that answers within one ping interval gets its real status on an error;
  // past that (a cold load), the stream starts and pings until the backend answers.
  const outcome = await outcomeWithin(call, options.pingIntervalMs, options.clock);
  if (outcome) headers.set("x-olla-backend-type", outcome.endpoint.profile.type);
  const upstream = upstreamOf(outcome ? Promise.resolve(outcome) : call);
  const early = outcome ? await upstream : null;
  if (early?.kind === "error") return anthropicErrorResponse(early.status, early.message, headers);
  let settle!: (end: BodyEnd) => void;
  // The access line waits for the translated stream, not the backend's.
  record.bodyEnd = new Promise((resolve) => (settle = resolve));
  const startedAt = options.clock.now();
  const stream = anthropicEventStream({
    writer: new MessageStreamWriter(translated.requested, chat.toolNames),
    messageId: messageId(null),
    upstream,
    clock: options.clock,
    pingIntervalMs: options.pingIntervalMs,
    onEnd: (end) => {
      const finish = (usage?: UsageReader) =>
        settle({ end: end === "error" ? "upstream_error" : end, bytes: 0, firstByteAt: startedAt, usage });
      // Tokens come from the backend's relayed stream, which has ended by now or ends at once; never wait long for it.
      const timer = options.clock.setTimeout(() => finish(), 1000);
      void call.then((o) => o.done).then((backend) => finish(backend.usage), () => finish())
        .finally(() => options.clock.clearTimeout(timer));
    },
  });
  const streamHeaders = earlyStreamHeaders("translation", headers.get("x-olla-model")!, headers.get("x-olla-backend-type")!);
  if (record.endpoint) streamHeaders.set("x-olla-endpoint", record.endpoint);
  return new Response(stream, { status: 200, headers: streamHeaders });
}
