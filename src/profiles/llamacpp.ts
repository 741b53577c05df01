/**
 * @module
 * llama.cpp's `llama-server` (port 8080). While the model loads every route, `/health`
 * included, answers 503 `{"error":{"code":503,"message":"Loading model",...}}`; ready is
 * 200 `{"status":"ok"}`. Single-model mode lists one model (`meta.n_ctx_train` is its
 * context); router mode lists many with `status.value` (loaded, loading, unloaded).
 * Slots, LoRA adapters, `/props` writes, tools and router model management never reach it.
 */
import { COUNT_TOKENS, MESSAGES, openAiFamily, path, readStatusOk, RERANK, RESPONSES } from "./openai_family.ts";

export const LLAMACPP_PROFILE = openAiFamily({
  type: "llamacpp",
  label: "llama.cpp server",
  prefixes: ["llamacpp"],
  configAliases: ["llama-cpp", "llama_cpp", "llama.cpp"],
  defaultPort: 8080,
  healthPath: "/health",
  readHealth: readStatusOk,
  extraPaths: [
    RESPONSES,
    MESSAGES,
    COUNT_TOKENS,
    RERANK,
    path("/completion", "native"),
    path("/embedding", "embeddings"),
    path("/infill", "native"),
  ],
  management: [
    "/slots",
    "/props",
    "/lora-adapters",
    "/tools",
    "/cors-proxy",
    "/metrics",
    "/models/load",
    "/models/unload",
  ],
  nativeApis: {
    anthropicMessages: "/v1/messages",
    anthropicCountTokens: "/v1/messages/count_tokens",
    responses: "/v1/responses",
    rerank: "/v1/rerank",
  },
});
