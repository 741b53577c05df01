/**
 * One parametrised emulator for the OpenAI-compatible types, each with its own wire facts
 * (docs/PROFILES.md): health route and body, model-list shape, not-ready behaviour, answer
 * to unknown paths, error envelope, and where inference lives.
 *
 * - vllm / vllm-mlx / lmdeploy: `/health` 200 empty; one model, `max_model_len`; unknown 404 `{"detail":"Not Found"}`.
 * - sglang: `/health` 503 while starting, then 200 empty; `/generate` SSE.
 * - llamacpp: every route 503 `Loading model` while loading; `/health` `{"status":"ok"}`; one model with `meta`.
 * - lm-studio: no health route, unknown paths 200 `{"error":"Unexpected endpoint or method. (GET /x)"}`;
 *   `/api/v0/models` with `state`.
 * - litellm: `/health/liveliness` "I'm alive!"; `/health` needs auth.
 * - lemonade: everything under `/api/v1/`; `/api/v1/health` names loaded models.
 * - omlx: `/v1/models/status` names loaded models.
 * - openai-compatible: `/v1/models` only.
 *
 * Beyond chat (_openai_apis.ts): `/v1/messages` on the types that speak Anthropic natively
 * (`count_tokens` where they have it; others answer their not-found), a stateful
 * `/v1/responses` per instance, and `/v1/rerank`.
 */
import { anthropicMessage, COUNTS_TOKENS, rerankAnswer, ResponsesStore, SPEAKS_ANTHROPIC } from "./_openai_apis.ts";
import { paced, type Seen, serveRecorded } from "./_recorder.ts";

export type OpenAiType =
  | "vllm"
  | "vllm-mlx"
  | "sglang"
  | "llamacpp"
  | "lmdeploy"
  | "litellm"
  | "lemonade"
  | "omlx"
  | "lm-studio"
  | "openai-compatible";

export interface OpenAiServerOptions {
  type: OpenAiType;
  models?: string[];
  /** Models reported loaded where the type can say (LM Studio state, Lemonade, oMLX); default the first. */
  loaded?: string[];
  port?: number;
  /** Delay between SSE events. */
  chunkDelayMs?: number;
  /** A name in answers, to tell backends apart. */
  name?: string;
}

export interface OpenAiServer {
  url: string;
  port: number;
  type: OpenAiType;
  requests: Seen[];
  /** sglang starting, llama-server loading: not ready while true. */
  loading: boolean;
  /** Answer inference with this status and the type's error body instead (e.g. 503). */
  failWith: number | null;
  models: string[];
  /** Responses this instance holds, by id. */
  responses: Map<string, Record<string, unknown>>;
  stop(): Promise<void>;
}

const OWNER: Record<OpenAiType, string> = {
  vllm: "vllm",
  "vllm-mlx": "vllm-mlx",
  sglang: "sglang",
  llamacpp: "llamacpp",
  lmdeploy: "lmdeploy",
  litellm: "openai",
  lemonade: "lemonade",
  omlx: "omlx",
  "lm-studio": "organization_owner",
  "openai-compatible": "system",
};

/** Where the type serves OpenAI inference: Lemonade under `/api/v1`, everyone else under `/v1`. */
const API_BASE = (type: OpenAiType) => (type === "lemonade" ? "/api/v1" : "/v1");

export async function startOpenAiServer(options: OpenAiServerOptions): Promise<OpenAiServer> {
  const { type } = options;
  const base = API_BASE(type);
  const name = options.name ?? type;
  const store = new ResponsesStore(name);
  const state: OpenAiServer = {
    url: "",
    port: 0,
    type,
    requests: [],
    loading: false,
    failWith: null,
    models: options.models ?? ["org/model-a"],
    responses: store.held,
    stop: async () => {},
  };
  const loaded = () => options.loaded ?? state.models.slice(0, 1);

  const notFound = (method: string, path: string): Response => {
    if (type === "lm-studio") return Response.json({ error: `Unexpected endpoint or method. (${method} ${path})` });
    if (type === "llamacpp") {
      return Response.json({ error: { message: "File Not Found", type: "not_found_error", code: 404 } }, {
        status: 404,
      });
    }
    return Response.json({ detail: "Not Found" }, { status: 404 });
  };

  const modelList = () => {
    const data = state.models.map((id) => ({
      id,
      object: "model",
      created: 1_700_000_000,
      owned_by: OWNER[type],
      ...(type === "vllm" || type === "sglang" || type === "vllm-mlx" ? { root: id, max_model_len: 32768 } : {}),
      ...(type === "llamacpp" ? { meta: { n_ctx_train: 8192, n_params: 1_000_000, size: 123_456 } } : {}),
      ...(type === "lemonade"
        ? { checkpoint: `${id}-GGUF`, recipe: "llamacpp", downloaded: true, labels: ["chat"] }
        : {}),
    }));
    return Response.json({ object: "list", data });
  };

  const health = (path: string): Response | null => {
    if (type === "llamacpp" && path === "/health") return Response.json({ status: "ok" });
    if (
      (type === "vllm" || type === "vllm-mlx" || type === "lmdeploy" || type === "omlx" || type === "sglang") &&
      path === "/health"
    ) {
      if (type === "sglang" && state.loading) return new Response(null, { status: 503 });
      return new Response(null, { status: 200 });
    }
    if (type === "litellm" && (path === "/health/liveliness" || path === "/health/liveness")) {
      return Response.json("I'm alive!");
    }
    if (type === "litellm" && path === "/health") {
      return Response.json({
        error: { message: "Authentication Error", type: "auth_error", param: "None", code: "401" },
      }, {
        status: 401,
      });
    }
    if (type === "lemonade" && path === "/api/v1/health") {
      return Response.json({
        status: "ok",
        version: "9.0.0",
        model_loaded: loaded()[0] ?? null,
        all_models_loaded: loaded().map((m) => ({ model_name: m, type: "llm" })),
      });
    }
    return null;
  };

  const inference = async (path: string, seen: Seen): Promise<Response> => {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(seen.body);
    } catch {
      return Response.json({ error: { message: "invalid JSON", type: "BadRequestError", code: 400 } }, { status: 400 });
    }
    const model = String(body.model ?? "");
    if (!state.models.includes(model)) {
      return Response.json({
        error: { message: `The model \`${model}\` does not exist.`, type: "NotFoundError", param: null, code: 404 },
      }, {
        status: 404,
      });
    }
    if (state.failWith) {
      return Response.json({ error: { message: "overloaded", type: "InternalServerError", code: state.failWith } }, {
        status: state.failWith,
      });
    }
    if (path.endsWith("/messages") || path.endsWith("/messages/count_tokens")) {
      return anthropicMessage(body, `Hello from ${name}`, path.endsWith("/count_tokens"), options.chunkDelayMs ?? 0);
    }
    if (path.endsWith("/responses")) return store.create(body);
    if (path.endsWith("/rerank")) return rerankAnswer(body, model);
    if (path.endsWith("/embeddings")) {
      return Response.json({ object: "list", data: [{ object: "embedding", index: 0, embedding: [0.1, 0.2] }], model });
    }
    const text = `Hello from ${name}`;
    if (body.stream === true) {
      const chunk = (delta: Record<string, unknown>, finish: string | null) =>
        `data: ${
          JSON.stringify({
            id: "c1",
            object: "chat.completion.chunk",
            model,
            choices: [{ index: 0, delta, finish_reason: finish }],
          })
        }\n\n`;
      const events = [
        chunk({ role: "assistant", content: "Hello" }, null),
        chunk({ content: ` from ${name}` }, null),
        chunk({}, "stop"),
        "data: [DONE]\n\n",
      ];
      if (type === "llamacpp") events.splice(1, 0, ": ping\n\n");
      return paced(events, options.chunkDelayMs ?? 0, "text/event-stream");
    }
    return Response.json({
      id: "c1",
      object: "chat.completion",
      created: 1_700_000_000,
      model,
      choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
      usage: { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 },
    });
  };

  const server = serveRecorded(options.port, state.requests, (seen) => {
    const { method, path } = seen;
    if (type === "llamacpp" && state.loading) {
      return Response.json({ error: { code: 503, message: "Loading model", type: "unavailable_error" } }, {
        status: 503,
      });
    }
    if (method === "GET") {
      const answer = health(path);
      if (answer) return answer;
      if (path === `${base}/models` || (type === "lm-studio" && path === "/v1/models")) return modelList();
      if (type === "lm-studio" && path === "/api/v0/models") {
        return Response.json({
          object: "list",
          data: state.models.map((id) => ({
            id,
            object: "model",
            type: id.includes("embed") ? "embeddings" : "llm",
            publisher: id.split("/")[0],
            arch: "qwen2",
            compatibility_type: "gguf",
            quantization: "Q4_K_M",
            state: loaded().includes(id) ? "loaded" : "not-loaded",
            max_context_length: 32768,
          })),
        });
      }
      const stored = /\/responses\/([^/]+)(\/input_items)?$/.exec(path);
      if (stored && path.startsWith(`${base}/responses/`)) return store.read(method, stored[1]!, !!stored[2]);
      if (type === "omlx" && path === "/v1/models/status") {
        return Response.json({ models: state.models.map((id) => ({ id, loaded: loaded().includes(id) })) });
      }
    }
    if (method === "DELETE") {
      const stored = /\/responses\/([^/]+)$/.exec(path);
      if (stored && path.startsWith(`${base}/responses/`)) return store.read(method, stored[1]!, false);
    }
    if (method === "POST") {
      const inferencePaths = ["/chat/completions", "/completions", "/embeddings", "/responses", "/rerank"]
        .map((p) => base + p);
      if (SPEAKS_ANTHROPIC.has(type)) inferencePaths.push("/v1/messages");
      if (COUNTS_TOKENS.has(type)) inferencePaths.push("/v1/messages/count_tokens");
      if (type === "lm-studio") {
        inferencePaths.push("/api/v0/chat/completions", "/api/v0/completions", "/api/v0/embeddings");
      }
      if (type === "sglang" || type === "lmdeploy") inferencePaths.push("/generate");
      if (type === "llamacpp") inferencePaths.push("/completion");
      if (inferencePaths.includes(path)) return inference(path, seen);
      // Management routes answer as the real server would; Tureen must never send them here.
      if (/sleep|wake_up|load|unload|download|pull|flush_cache|slots|key\/|model\/new/.test(path)) {
        return Response.json({ ok: true, note: "management route reached the backend" });
      }
    }
    return notFound(method, path);
  });
  Object.assign(state, server);
  return state;
}
