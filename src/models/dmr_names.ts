/**
 * @module
 * Docker Model Runner model references, normalised the way DMR resolves them
 * (docs/DMR.md §2), so `smollm2`, `ai/smollm2:latest` and `docker.io/ai/smollm2:latest`
 * all name one model.
 */

const DIGEST = /^(?:sha256:)?([0-9a-f]{64}|[0-9a-f]{12})$/;

/**
 * Canonical, fully-qualified form of a reference: `docker.io/ai/smollm2:latest`,
 * `huggingface.co/org/model:Q4_K_M`, or `sha256:<hex>` for an ID.
 *
 * @example
 * normaliseModelRef("SmolLM2") // "docker.io/ai/smollm2:latest"
 */
export function normaliseModelRef(ref: string): string {
  const trimmed = ref.trim();
  const digest = DIGEST.exec(trimmed.toLowerCase());
  if (digest) return `sha256:${digest[1]}`;
  let rest = trimmed.replace(/^hf\.co\//i, "huggingface.co/");
  rest = rest.split("@")[0]!;
  const slash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  let tag = "latest";
  if (colon > slash) {
    tag = rest.slice(colon + 1) || "latest";
    rest = rest.slice(0, colon);
  }
  const parts = rest.split("/");
  const first = parts[0]!;
  const hasRegistry = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  let registry = hasRegistry ? first.toLowerCase() : "docker.io";
  if (registry === "index.docker.io" || registry === "registry-1.docker.io") registry = "docker.io";
  const path = hasRegistry ? parts.slice(1) : parts;
  // DMR adds the default `ai/` namespace only to Docker Hub names without one.
  if (!hasRegistry && path.length === 1) path.unshift("ai");
  return `${registry}/${path.join("/").toLowerCase()}:${tag}`;
}

/** The short form users type and the seed shows: `ai/smollm2` (Docker Hub prefix and `:latest` dropped). */
export function displayModelName(canonical: string): string {
  return canonical.replace(/^docker\.io\//, "").replace(/:latest$/, "");
}

/** The namespace shown as `owned_by`: `ai` for `ai/smollm2`, the org for Hugging Face models. */
export function modelOwner(canonical: string): string {
  if (canonical.startsWith("sha256:")) return "docker";
  const withoutRegistry = canonical.slice(canonical.indexOf("/") + 1);
  return withoutRegistry.split("/")[0] ?? "docker";
}
