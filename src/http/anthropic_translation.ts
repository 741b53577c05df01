/**
 * @module
 * The translation leg of `/olla/anthropic/v1/messages`: Anthropic request → chat completions
 * on the chosen endpoint → Anthropic answer. A streamed answer whose backend is silent for a
 * ping interval (a cold load) starts without it (`message_start` and `ping`, then a `ping`
 * every `anthropic.ping_interval` of silence) so the client's idle timeout is not tripped;
 * errors after that point are `error` events.
 */
import type { Context } from "hono";
import type { Endpoint } from "../endpoints/endpoint.ts";
import { DMR_PROFILE } from "../profiles/dmr.ts";
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
  // A backend that answers within one ping interval gets its real status on an error;
  // past that (a cold load), the stream starts and pings until the backend answers.
  const outcome = await outcomeWithin(call, options.pingIntervalMs, options.clock);
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
  const streamHeaders = earlyStreamHeaders("translation", headers.get("x-olla-model")!, DMR_PROFILE.type);
  if (record.endpoint) streamHeaders.set("x-olla-endpoint", record.endpoint);
  return new Response(stream, { status: 200, headers: streamHeaders });
}
