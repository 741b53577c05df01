/**
 * @module
 * The translation leg of `/olla/anthropic/v1/messages`: Anthropic request → chat completions
 * on the chosen endpoint → Anthropic answer. A streamed answer starts at once (`message_start`
 * and `ping`, then a `ping` every `anthropic.ping_interval` of silence) so a cold load does
 * not trip the client's idle timeout; errors after that point are `error` events.
 */
import type { Context } from "hono";
import type { Endpoint } from "../endpoints/endpoint.ts";
import { DMR_PROFILE } from "../profiles/dmr.ts";
import { describeBackendError, errorTypeFor, anthropicErrorResponse } from "../translate/anthropic/errors.ts";
import { InvalidRequest, toChatRequest } from "../translate/anthropic/request.ts";
import { messageId, toAnthropicMessage } from "../translate/anthropic/response.ts";
import { MessageStreamWriter } from "../translate/anthropic/stream.ts";
import { anthropicEventStream, type Upstream } from "../translate/anthropic/stream_pipe.ts";
import type { AnthropicRoutesOptions } from "./anthropic_routes.ts";
import type { AppEnv, BodyEnd } from "./context.ts";
import { ProxyError } from "./errors.ts";
import { forwardFor } from "./model_proxy.ts";

export interface TranslatedRequest {
  readonly request: Record<string, unknown>;
  /** The model name the client sent, echoed in the answer. */
  readonly requested: string;
  /** The local model it maps to. */
  readonly model: string;
  readonly key: string;
}

const CHAT_PATH = "/engines/v1/chat/completions";

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
  const call = forwardFor(c, options.forwarding, { path: CHAT_PATH, body, key: translated.key, mode: "completion" }, candidates);
  const record = c.get("record");
  const headers = new Headers({
    "x-olla-mode": "translation",
    "x-olla-model": record.model ?? translated.model,
    "x-olla-backend-type": DMR_PROFILE.type,
  });
  if (chat.body.stream !== true) {
    const { response } = await call;
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
  const upstream: Promise<Upstream> = call.then(async ({ response }) => {
    const type = response.headers.get("content-type") ?? "";
    if (response.ok && type.startsWith("text/event-stream") && response.body) return { kind: "stream", body: response.body };
    const text = await response.text().catch(() => "");
    const { status, message } = response.ok
      ? { status: 502, message: `the backend answered a streaming request with ${type || "no content type"}` }
      : describeBackendError(response.status, text);
    return { kind: "error", type: errorTypeFor(status), message };
  }, (error) => ({
    kind: "error",
    type: error instanceof ProxyError ? errorTypeFor(error.status) : "api_error",
    message: (error as Error).message,
  }));
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
    onEnd: (end) =>
      settle({ end: end === "error" ? "upstream_error" : end, bytes: 0, firstByteAt: startedAt }),
  });
  headers.set("content-type", "text/event-stream; charset=utf-8");
  headers.set("cache-control", "no-cache");
  headers.set("x-accel-buffering", "no");
  return new Response(stream, { status: 200, headers });
}
