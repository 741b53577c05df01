/**
 * @module
 * Model lists in the shapes clients expect: OpenAI's `{"object":"list","data":[...]}`,
 * Ollama's `/api/tags` `{"models":[...]}` and LM Studio's `/api/v0/models`. Built from what
 * the endpoints listed; fields a backend did not report are left out or zero, never invented.
 */
import type { ListFormat } from "../profiles/profile.ts";
import { openAiEntry, type Placed } from "./catalog.ts";

export function renderList(format: ListFormat, models: readonly Placed[]): unknown {
  if (format === "ollama") return { models: models.map(ollamaEntry) };
  if (format === "lmstudio") return { object: "list", data: models.map(lmStudioEntry) };
  return { object: "list", data: models.map(openAiEntry) };
}

function ollamaEntry({ model, name }: Placed) {
  return {
    name,
    model: name,
    modified_at: new Date(model.created * 1000).toISOString(),
    size: model.sizeBytes ?? 0,
    digest: model.digest ?? "",
    details: {
      format: "",
      family: model.family ?? "",
      parameter_size: model.parameterSize ?? "",
      quantization_level: model.quantization ?? "",
    },
  };
}

function lmStudioEntry({ endpoint, model, name }: Placed) {
  const loaded = endpoint.isLoaded(model.key);
  return {
    id: name,
    object: "model",
    type: model.kind ?? "llm",
    publisher: name.includes("/") ? name.split("/")[0] : endpoint.profile.type,
    arch: model.family ?? "",
    quantization: model.quantization ?? "",
    state: loaded === false ? "not-loaded" : "loaded",
    ...(model.contextLength ? { max_context_length: model.contextLength } : {}),
  };
}
