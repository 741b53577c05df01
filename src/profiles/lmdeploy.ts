/**
 * @module
 * LMDeploy's `api_server` (InternLM, port 23333; 8000 is its separate proxy server).
 * `/health` answers 200 with an empty body; one model per server, loaded at start.
 */
import { openAiFamily, parseOpenAiModelList, path } from "./openai_family.ts";

export const LMDEPLOY_PROFILE = openAiFamily({
  type: "lmdeploy",
  label: "LMDeploy",
  prefixes: ["lmdeploy"],
  defaultPort: 23333,
  healthPath: "/health",
  parseModels: (body) => parseOpenAiModelList(body, { allLoaded: true }),
  extraPaths: [path("/generate", "native"), path("/pooling", "embeddings"), path("/v1/encode", "native")],
});
