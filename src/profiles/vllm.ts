/**
 * @module
 * vLLM (`vllm serve`, port 8000). The port stays closed while weights load, so "not ready"
 * is a refused connection; `/health` answers 200 with an empty body once serving, 503 when
 * the engine died. One model (plus LoRA adapters) per process, fixed at start: listed means
 * loaded. `/sleep`, `/wake_up`, LoRA loading and the other admin routes never reach it.
 */
import { MESSAGES, openAiFamily, parseOpenAiModelList, path, RERANK, RESPONSES } from "./openai_family.ts";

export const VLLM_PROFILE = openAiFamily({
  type: "vllm",
  label: "vLLM",
  prefixes: ["vllm"],
  defaultPort: 8000,
  healthPath: "/health",
  parseModels: (body) => parseOpenAiModelList(body, { allLoaded: true }),
  extraPaths: [
    RESPONSES,
    MESSAGES,
    RERANK,
    path("/v1/score", "rerank"),
    path("/pooling", "embeddings"),
    path("/classify", "native"),
  ],
  management: [
    "/sleep",
    "/wake_up",
    "/pause",
    "/resume",
    "/reset_prefix_cache",
    "/collective_rpc",
    "/start_profile",
    "/stop_profile",
    "/scale_elastic_ep",
    "/v1/load_lora_adapter",
    "/v1/unload_lora_adapter",
  ],
  nativeApis: { anthropicMessages: "/v1/messages", responses: "/v1/responses", rerank: "/v1/rerank" },
});
