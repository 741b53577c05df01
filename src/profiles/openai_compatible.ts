/**
 * @module
 * Any other OpenAI-compatible server (TGI, mlx-lm, llamafile, a cloud API): health is its
 * model list, which must be JSON with a `data` array (a bare 200 proves nothing); there is
 * no loaded state, so listed means available. Only the OpenAI inference paths are forwarded.
 */
import { openAiFamily, readListHealth, RESPONSES } from "./openai_family.ts";

export const OPENAI_COMPATIBLE_PROFILE = openAiFamily({
  type: "openai-compatible",
  label: "OpenAI-compatible",
  prefixes: ["openai", "openai-compatible"],
  configAliases: ["openai"],
  defaultPort: null,
  healthPath: "/v1/models",
  readHealth: readListHealth,
  extraPaths: [RESPONSES],
  nativeApis: { responses: "/v1/responses" },
});
