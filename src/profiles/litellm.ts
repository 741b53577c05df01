/**
 * @module
 * LiteLLM proxy (port 4000). It runs no model itself, so it is probed at
 * `/health/liveliness` ("I'm alive!"): its `/health` needs auth and makes a real call to
 * every deployment, so it is never polled. Its admin plane (keys, users, teams, spend,
 * config, model management) shares the port and never reaches it through Tureen.
 */
import { MESSAGES, openAiFamily, RERANK, RESPONSES } from "./openai_family.ts";

export const LITELLM_PROFILE = openAiFamily({
  type: "litellm",
  label: "LiteLLM",
  prefixes: ["litellm"],
  defaultPort: 4000,
  healthPath: "/health/liveliness",
  extraPaths: [RESPONSES, MESSAGES, RERANK],
  management: [
    "/key",
    "/user",
    "/team",
    "/organization",
    "/customer",
    "/budget",
    "/spend",
    "/global",
    "/model/new",
    "/model/update",
    "/model/delete",
    "/config",
    "/cache",
    "/sso",
    "/ui",
    "/health",
  ],
  nativeApis: { anthropicMessages: "/v1/messages", responses: "/v1/responses", rerank: "/v1/rerank" },
});
