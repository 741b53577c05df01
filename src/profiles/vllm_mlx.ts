/**
 * @module
 * vLLM on Apple Silicon via MLX (`vllm-mlx`, port 8000): one model per instance, loaded at
 * start. Health is `/health` only (Olla's profile: do not fall back to `/v1/models`).
 */
import { COUNT_TOKENS, MESSAGES, openAiFamily, parseOpenAiModelList } from "./openai_family.ts";

export const VLLM_MLX_PROFILE = openAiFamily({
  type: "vllm-mlx",
  label: "vLLM-MLX",
  prefixes: ["vllm-mlx"],
  defaultPort: 8000,
  healthPath: "/health",
  parseModels: (body) => parseOpenAiModelList(body, { allLoaded: true }),
  extraPaths: [MESSAGES, COUNT_TOKENS],
  nativeApis: { anthropicMessages: "/v1/messages", anthropicCountTokens: "/v1/messages/count_tokens" },
});
