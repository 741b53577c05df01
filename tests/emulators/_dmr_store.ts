// Model store of the DMR emulator: reference normalisation, fake digests, lookups
// and the JSON shapes DMR itself answers with (docs/DMR.md §1d, §2).

import type { EmulatedModel } from "./dmr.ts";

export const DEFAULT_CREATED = 1742816981;

const HEX64 = /^(?:sha256:)?([0-9a-f]{64})$/;
const HEX12 = /^[0-9a-f]{12}$/;
const DOCKER_HUB_ALIASES = new Set(["index.docker.io", "registry-1.docker.io"]);

/**
 * Normalise a model reference as DMR does (§2). Docker Hub references keep an explicit
 * "docker.io/" so that equivalent spellings compare equal as strings. Model IDs
 * (64-hex, with or without "sha256:") become "sha256:<hex>"; 12-hex short IDs are kept.
 */
export function normaliseRef(ref: string): string {
  const trimmed = ref.trim();
  const lower = trimmed.toLowerCase();
  const id = HEX64.exec(lower);
  if (id) return `sha256:${id[1]}`;
  if (HEX12.test(lower)) return lower;

  let rest = trimmed;
  let digest = "";
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at).toLowerCase();
    rest = rest.slice(0, at);
  }
  let name = rest;
  let tag = "latest";
  const colon = rest.lastIndexOf(":");
  const hasTag = colon > rest.lastIndexOf("/");
  if (hasTag) {
    name = rest.slice(0, colon);
    tag = rest.slice(colon + 1) || "latest";
  }
  // The name part is lower-cased; the tag keeps its case (§2).
  name = name.toLowerCase();
  if (name.startsWith("hf.co/")) name = `huggingface.co/${name.slice("hf.co/".length)}`;
  if (!name.includes("/")) name = `ai/${name}`;
  const first = name.slice(0, name.indexOf("/"));
  const isRegistry = first.includes(".") || first.includes(":") || first === "localhost";
  if (!isRegistry) name = `docker.io/${name}`;
  else if (DOCKER_HUB_ALIASES.has(first)) name = `docker.io${name.slice(first.length)}`;
  // A digest-pinned reference without a tag gets no default tag.
  return digest && !hasTag ? `${name}${digest}` : `${name}:${tag}${digest}`;
}

/** Stable fake model digest (64 hex) derived from the canonical tag. */
export function modelDigest(model: EmulatedModel): string {
  return new Bun.CryptoHasher("sha256").update(normaliseRef(model.tag)).digest("hex");
}

export function formatOf(model: EmulatedModel): "gguf" | "safetensors" {
  return model.format ?? "gguf";
}

function stripTag(canonical: string): string {
  const colon = canonical.lastIndexOf(":");
  return colon > canonical.lastIndexOf("/") ? canonical.slice(0, colon) : canonical;
}

/**
 * Find a pulled model by any alias: tag spelling (§2) or model ID (sha256:<64hex>,
 * <64hex>, or a 12-hex prefix of the digest). With `partial`, also accept a name
 * suffix as `GET /models/{name}` does ("bartowski/foo" matches "huggingface.co/bartowski/foo:Q4_K_M").
 */
export function findModel(
  models: readonly EmulatedModel[],
  ref: string,
  partial = false,
): EmulatedModel | undefined {
  const lower = ref.trim().toLowerCase();
  if (lower === "") return undefined;
  const id = HEX64.exec(lower);
  if (id) return models.find((m) => modelDigest(m) === id[1]);
  if (HEX12.test(lower)) {
    const byId = models.find((m) => modelDigest(m).startsWith(lower));
    if (byId) return byId;
  }
  const canonical = normaliseRef(ref);
  const exact = models.find((m) => normaliseRef(m.tag) === canonical);
  if (exact || !partial) return exact;

  const hasTag = lower.lastIndexOf(":") > lower.lastIndexOf("/");
  const wantName = stripTag(lower);
  const wantTag = hasTag ? ref.trim().slice(ref.trim().lastIndexOf(":") + 1) : undefined;
  return models.find((m) => {
    const c = normaliseRef(m.tag);
    const name = stripTag(c);
    const tag = c.slice(name.length + 1);
    return name.endsWith(`/${wantName}`) && (wantTag === undefined || tag === wantTag);
  });
}

/** The `dmr` metadata object of `/engines/v1/models` entries (§2); fixed fake values. */
function dmrMetadata(model: EmulatedModel): Record<string, unknown> {
  if (formatOf(model) === "safetensors") {
    return { architecture: "qwen3", parameters: "596.05 M", size: "1.40 GiB" };
  }
  return {
    context_window: 8192,
    architecture: "llama",
    parameters: "361.82 M",
    quantization: "IQ2_XXS/Q4_K_M",
    size: "256.35 MiB",
  };
}

/** One entry of `GET /engines/v1/models` (§2). */
export function openAIModel(model: EmulatedModel): Record<string, unknown> {
  return {
    id: model.tag,
    object: "model",
    created: model.created ?? DEFAULT_CREATED,
    owned_by: "docker",
    dmr: dmrMetadata(model),
  };
}

/** One entry of `GET /models` (§1d). */
export function storeModel(model: EmulatedModel): Record<string, unknown> {
  const config: Record<string, unknown> =
    formatOf(model) === "safetensors"
      ? { format: "safetensors", quantization: "BF16", parameters: "596.05 M", architecture: "qwen3", size: "1.40 GiB" }
      : {
          format: "gguf",
          quantization: "IQ2_XXS/Q4_K_M",
          parameters: "361.82 M",
          architecture: "llama",
          size: "256.35 MiB",
          context_size: 8192,
          gguf: { "general.architecture": "llama", "llama.context_length": "8192" },
        };
  return {
    id: `sha256:${modelDigest(model)}`,
    tags: [model.tag],
    created: model.created ?? DEFAULT_CREATED,
    config,
  };
}
