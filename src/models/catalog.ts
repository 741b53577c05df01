/**
 * @module
 * The model catalogue, derived on demand from what each endpoint last listed: nothing is
 * cached here, so it can never disagree with the endpoints.
 */
import type { Endpoint, EndpointModel } from "../endpoints/endpoint.ts";
import { displayModelName, modelOwner } from "./dmr_names.ts";

/** One entry of the seed's OpenAI-style list. */
export interface ListedModel {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
}

/** A model one endpoint lists, with that endpoint. */
export interface Placed {
  readonly endpoint: Endpoint;
  readonly model: EndpointModel;
  /** The name clients use: DMR's short form, otherwise the id as the backend listed it. */
  readonly name: string;
}

/**
 * The models of the available endpoints, de-duplicated by canonical name, in priority
 * order. With an engine, only models that engine runs: GGUF on llama.cpp, safetensors on
 * vLLM, on endpoints where it is running; where a DMR does not report formats or engines,
 * all its models are listed.
 */
export function placedModels(endpoints: readonly Endpoint[], engine: string | null = null): Placed[] {
  const seen = new Map<string, Placed>();
  const ordered = endpoints.filter((e) => e.isRoutable()).sort((a, b) => b.config.priority - a.config.priority);
  for (const endpoint of ordered) {
    const dmr = endpoint.profile.type === "docker-model-runner";
    for (const model of endpoint.models.values()) {
      if (seen.has(model.key)) continue;
      if (engine !== null && dmr && !servesOn(endpoint, model.key, engine)) continue;
      seen.set(model.key, { endpoint, model, name: dmr ? displayModelName(model.key) : model.id });
    }
  }
  return [...seen.values()];
}

/** The seed's OpenAI-style list of {@link placedModels}. */
export function listModels(endpoints: readonly Endpoint[], engine: string | null = null): ListedModel[] {
  return placedModels(endpoints, engine).map(openAiEntry);
}

/** One OpenAI list entry: DMR's namespace as `owned_by`, otherwise the backend type. */
export function openAiEntry({ endpoint, model, name }: Placed): ListedModel {
  const dmr = endpoint.profile.type === "docker-model-runner";
  return { id: name, object: "model", created: model.created, owned_by: dmr ? modelOwner(model.key) : endpoint.profile.type };
}

/** Which endpoints list a model, split by whether the health loop lets traffic through. */
export interface ModelLocation {
  readonly routable: Endpoint[];
  /** Endpoints that listed it but are down now. */
  readonly down: Endpoint[];
}

/** Where a model is listed; `names` are alternatives (a model alias), any one of which will do. */
export function locateModel(endpoints: readonly Endpoint[], names: string | readonly string[]): ModelLocation {
  const routable: Endpoint[] = [];
  const down: Endpoint[] = [];
  const wanted = typeof names === "string" ? [names] : names;
  for (const endpoint of endpoints) {
    if (!wanted.some((name) => endpoint.serves(name))) continue;
    (endpoint.isRoutable() ? routable : down).push(endpoint);
  }
  return { routable, down };
}

function servesOn(endpoint: Endpoint, key: string, engine: string): boolean {
  const format = endpoint.dmr.formats?.get(key);
  if (format === "gguf" && engine !== "llama.cpp") return false;
  if (format === "safetensors" && engine !== "vllm") return false;
  return endpoint.dmr.engineAvailable(engine);
}
