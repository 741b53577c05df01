/**
 * @module
 * Profiles from files in Olla's profile YAML layout (`profiles/*.yaml` beside the config
 * file): a file whose `name` is a built-in type overrides the fields it sets; any other name
 * adds an OpenAI-compatible type. Read: `name`, `display_name`, `routing.prefixes`,
 * `api.{openai_compatible, paths, model_discovery_path, health_check_path, anthropic_support}`,
 * `detection.default_ports`, `request.response_format`. Olla's other keys are accepted and
 * ignored, as Olla itself ignores most of them at runtime.
 */
import { z } from "zod";
import { parseDmrModelList } from "./dmr.ts";
import { parseLmStudioModels } from "./lm_studio.ts";
import { parseOllamaTags } from "./ollama.ts";
import { OPENAI_COMPATIBLE_PROFILE } from "./openai_compatible.ts";
import { parseOpenAiModelList } from "./openai_family.ts";
import { byPath, type PathKind, type Profile, type ProxiedPath } from "./profile.ts";

const apiPath = z.string().regex(/^\/[A-Za-z0-9._~\/-]*$/, "expected a path such as /v1/chat/completions");

const profileFileSchema = z.looseObject({
  name: z.string().trim().regex(/^[a-z0-9][a-z0-9._-]*$/, "expected a lower-case type name such as my-server"),
  display_name: z.string().optional(),
  routing: z.looseObject({
    prefixes: z.array(z.string().regex(/^[A-Za-z0-9._-]+$/, "expected a prefix such as myserver")).optional(),
  }).optional(),
  api: z.looseObject({
    openai_compatible: z.boolean().optional(),
    paths: z.array(apiPath).optional(),
    model_discovery_path: apiPath.optional(),
    health_check_path: apiPath.optional(),
    anthropic_support: z.looseObject({ enabled: z.boolean().optional(), messages_path: apiPath.optional() }).optional(),
  }).optional(),
  detection: z.looseObject({ default_ports: z.array(z.number().int().min(1).max(65535)).optional() }).optional(),
  request: z.looseObject({ response_format: z.string().optional() }).optional(),
});

const PARSERS: Record<string, Profile["parseModels"]> = {
  ollama: parseOllamaTags,
  lmstudio: parseLmStudioModels,
  "docker-model-runner": parseDmrModelList,
};

/** Paths in `api.paths` that are health or listing routes, not inference. */
const NOT_INFERENCE = /(\/models|\/health|\/version|\/tags|\/ps)$/;

function kindOf(path: string): PathKind {
  if (path.endsWith("/chat/completions") || path.endsWith("/chat")) return "chat";
  if (path.endsWith("/completions") || path.endsWith("/generate")) return "completions";
  if (path.endsWith("/embeddings") || path.endsWith("/embed")) return "embeddings";
  if (path.endsWith("/responses")) return "responses";
  if (path.endsWith("/messages")) return "messages";
  if (path.includes("rerank")) return "rerank";
  return "native";
}

/**
 * A profile from one parsed YAML document.
 *
 * @param builtIn the built-in profile of the same name, if any, which the file overrides
 * @throws {Error} listing each problem with its key path
 */
export function profileFromYaml(doc: unknown, builtIn: Profile | undefined): Profile {
  const result = profileFileSchema.safeParse(doc);
  if (!result.success) {
    throw new Error(result.error.issues.map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`).join("; "));
  }
  const file = result.data;
  const base = builtIn ?? OPENAI_COMPATIBLE_PROFILE;
  const api = file.api ?? {};
  const healthPath = api.health_check_path ?? base.healthPath;
  const modelsPath = api.model_discovery_path ?? base.modelsPath;
  const proxied: ProxiedPath[] | undefined = api.paths
    ?.filter((path) => path !== healthPath && path !== modelsPath && !NOT_INFERENCE.test(path))
    .map((path) => base.proxied.get(path) ?? { path, kind: kindOf(path) });
  const format = file.request?.response_format;
  const messagesPath = api.anthropic_support?.enabled === false ? undefined : api.anthropic_support?.messages_path;
  return {
    ...base,
    type: file.name,
    configAliases: builtIn ? base.configAliases : [],
    label: file.display_name ?? (builtIn ? base.label : file.name),
    prefixes: file.routing?.prefixes ?? (builtIn ? base.prefixes : [file.name]),
    defaultPort: file.detection?.default_ports?.[0] ?? base.defaultPort,
    openaiCompatible: api.openai_compatible ?? base.openaiCompatible,
    healthPath,
    // A file that moves the health check to another path cannot know what the built-in's body check expects.
    ...(api.health_check_path && api.health_check_path !== base.healthPath ? { readHealth: undefined } : {}),
    modelsPath,
    parseModels: format && PARSERS[format]
      ? PARSERS[format]
      : builtIn && !format
      ? base.parseModels
      : (body) => parseOpenAiModelList(body),
    proxied: proxied ? byPath(proxied) : base.proxied,
    nativeApis: messagesPath ? { ...base.nativeApis, anthropicMessages: messagesPath } : base.nativeApis,
  };
}
