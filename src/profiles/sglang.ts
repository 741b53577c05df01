/**
 * @module
 * SGLang (`python -m sglang.launch_server`, port 30000). The port is closed while loading;
 * then `/health` answers 503 until the warm-up request completes, and 200 with an empty body
 * after a real one-token generation, so a health check costs GPU work: poll gently. One
 * model, always loaded. Weight updates, cache flushes, profiling and `/get_server_info`
 * (it leaks every server argument) never reach it.
 */
import { openAiFamily, parseOpenAiModelList, path, RERANK, RESPONSES } from "./openai_family.ts";

export const SGLANG_PROFILE = openAiFamily({
  type: "sglang",
  label: "SGLang",
  prefixes: ["sglang"],
  defaultPort: 30000,
  healthPath: "/health",
  parseModels: (body) => parseOpenAiModelList(body, { allLoaded: true }),
  extraPaths: [RESPONSES, RERANK, path("/v1/score", "rerank"), path("/generate", "native")],
  management: [
    "/flush_cache",
    "/update_weights_from_disk",
    "/update_weights_from_tensor",
    "/update_weights_from_distributed",
    "/init_weights_update_group",
    "/set_internal_state",
    "/abort_request",
    "/pause_generation",
    "/continue_generation",
    "/start_profile",
    "/stop_profile",
    "/get_server_info",
  ],
  nativeApis: { responses: "/v1/responses", rerank: "/v1/rerank" },
});
