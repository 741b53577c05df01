/**
 * @module
 * Docker Model Runner as data: where it lists models, where it is probed, and the exact
 * inference paths Tureen will forward to it (dmr-wire.md §1a). Nothing outside this table
 * ever reaches a DMR backend.
 */

/** One forwardable route: the path under `/olla/dmr` and the engine it names, if any. */
export interface DmrRoute {
  readonly path: string;
  readonly engine: "llama.cpp" | "vllm" | null;
  readonly kind: "chat" | "completions" | "embeddings";
}

const ENGINE_PREFIXES = [
  ["/engines", null],
  ["/engines/llama.cpp", "llama.cpp"],
  ["/engines/vllm", "vllm"],
] as const;

const INFERENCE_SUFFIXES = [
  ["/v1/chat/completions", "chat"],
  ["/v1/completions", "completions"],
  ["/v1/embeddings", "embeddings"],
] as const;

export const DMR_PROFILE = {
  /** Type name used in config and in X-Olla-Backend-Type. */
  type: "docker-model-runner",
  /** Route prefix under /olla. */
  prefix: "dmr",
  /** DMR lists every pulled model here, loaded or not; it has no /health of its own. */
  modelPath: "/engines/v1/models",
  healthPath: "/engines/v1/models",
  /** GET routes Tureen answers from its catalogue, keyed by path under /olla/dmr. */
  modelListRoutes: new Map<string, "llama.cpp" | "vllm" | null>(
    ENGINE_PREFIXES.map(([prefix, engine]) => [`${prefix}/v1/models`, engine]),
  ),
  /** POST routes forwarded byte for byte, keyed by path under /olla/dmr. */
  inferenceRoutes: new Map<string, DmrRoute>(
    ENGINE_PREFIXES.flatMap(([prefix, engine]) =>
      INFERENCE_SUFFIXES.map(([suffix, kind]) => {
        const path = `${prefix}${suffix}`;
        return [path, { path, engine, kind }] as const;
      })
    ),
  ),
} as const;
