/**
 * @module
 * The unified catalogue: every model of every available endpoint, of any type, merged into
 * one entry per model: by content digest where the backend reports one (Ollama), otherwise
 * by normalised name (lower case, `:latest` dropped). Derived on demand, never cached.
 */
import type { Endpoint, EndpointModel } from "../endpoints/endpoint.ts";
import type { Placed } from "./catalog.ts";
import { displayModelName } from "./dmr_names.ts";

/** One endpoint's copy of a unified model. */
export interface Placement {
  readonly endpoint: Endpoint;
  readonly model: EndpointModel;
  /** The name this endpoint's clients use for it. */
  readonly nativeName: string;
  /** `loaded`, `not-loaded`, or `available` where the type cannot say. */
  readonly state: "loaded" | "not-loaded" | "available";
}

export interface UnifiedModel {
  readonly id: string;
  readonly digest: string | null;
  readonly placements: readonly Placement[];
}

/** The name clients use for a model on this endpoint: DMR's short form, otherwise as listed. */
export function nativeName(endpoint: Endpoint, model: EndpointModel): string {
  return endpoint.profile.type === "docker-model-runner" ? displayModelName(model.key) : model.id;
}

/** Names that mean one model across types: lower case, `:latest` dropped. */
export function mergeName(name: string): string {
  return name.trim().toLowerCase().replace(/:latest$/, "");
}

export function unifiedModels(endpoints: readonly Endpoint[]): UnifiedModel[] {
  const byDigest = new Map<string, { id: string; digest: string | null; placements: Placement[] }>();
  const byName = new Map<string, { id: string; digest: string | null; placements: Placement[] }>();
  const ordered = endpoints.filter((e) => e.isRoutable()).sort((a, b) => b.config.priority - a.config.priority);
  const entries: Array<{ id: string; digest: string | null; placements: Placement[] }> = [];
  for (const endpoint of ordered) {
    for (const model of endpoint.models.values()) {
      const name = nativeName(endpoint, model);
      const loaded = endpoint.isLoaded(model.key);
      const placement: Placement = {
        endpoint,
        model,
        nativeName: name,
        state: loaded === null ? "available" : loaded ? "loaded" : "not-loaded",
      };
      const digest = model.digest ?? null;
      let entry = (digest && byDigest.get(digest)) || byName.get(mergeName(name));
      // One name, two different digests: two models; the second is told apart as Olla does.
      const clash = entry && digest && entry.digest && entry.digest !== digest;
      if (!entry || clash) {
        entry = { id: clash ? `${name}-${digest!.slice(-8)}` : name, digest, placements: [] };
        entries.push(entry);
      }
      entry.placements.push(placement);
      if (digest && !entry.digest) entry.digest = digest;
      if (entry.digest) byDigest.set(entry.digest, entry);
      if (!clash) byName.set(mergeName(name), entry);
    }
  }
  return entries;
}

/** A unified model as one list entry: its id, with the facts of its first (highest-priority) copy. */
export function asPlaced(model: UnifiedModel): Placed {
  const first = model.placements[0]!;
  return { endpoint: first.endpoint, model: first.model, name: model.id };
}

/** What the placements say about the model, first non-empty value winning (priority order). */
export function factsOf(model: UnifiedModel) {
  const pick = <K extends keyof EndpointModel>(key: K): EndpointModel[K] | undefined =>
    model.placements.map((p) => p.model[key]).find((v) => v !== undefined && v !== "");
  return {
    family: pick("family") ?? null,
    parameterSize: pick("parameterSize") ?? null,
    quantization: pick("quantization") ?? null,
    contextLength: pick("contextLength") ?? null,
    sizeBytes: pick("sizeBytes") ?? null,
    created: Math.max(0, ...model.placements.map((p) => p.model.created)),
    kind: pick("kind") ?? (/embed/i.test(model.id) ? "embeddings" : "llm"),
  };
}

/** Capabilities as far as the lists tell: embeddings models embed, others chat; names hint at vision and code. */
export function capabilities(model: UnifiedModel, kind: string): string[] {
  if (kind === "embeddings") return ["embeddings"];
  const found = ["chat", "completion"];
  if (kind === "vlm" || /llava|vision|-vl\b|vl-/i.test(model.id)) found.push("vision");
  if (/code|coder/i.test(model.id)) found.push("code");
  return found;
}
