/**
 * @module
 * Every backend type Tureen serves, by Olla's type name, its config aliases and its route
 * prefixes. Built-in profiles need no file; profiles from config may replace or add types.
 */
import { DMR_PROFILE } from "./dmr.ts";
import { LEMONADE_PROFILE } from "./lemonade.ts";
import { LITELLM_PROFILE } from "./litellm.ts";
import { LLAMACPP_PROFILE } from "./llamacpp.ts";
import { LM_STUDIO_PROFILE } from "./lm_studio.ts";
import { LMDEPLOY_PROFILE } from "./lmdeploy.ts";
import { OLLAMA_PROFILE } from "./ollama.ts";
import { OMLX_PROFILE } from "./omlx.ts";
import { OPENAI_COMPATIBLE_PROFILE } from "./openai_compatible.ts";
import type { Profile } from "./profile.ts";
import { SGLANG_PROFILE } from "./sglang.ts";
import { VLLM_PROFILE } from "./vllm.ts";
import { VLLM_MLX_PROFILE } from "./vllm_mlx.ts";

/** Olla's twelve backend types, each from its own file. */
export const BUILT_IN_PROFILES: readonly Profile[] = [
  DMR_PROFILE,
  OLLAMA_PROFILE,
  LM_STUDIO_PROFILE,
  VLLM_PROFILE,
  VLLM_MLX_PROFILE,
  SGLANG_PROFILE,
  LLAMACPP_PROFILE,
  LMDEPLOY_PROFILE,
  LITELLM_PROFILE,
  LEMONADE_PROFILE,
  OMLX_PROFILE,
  OPENAI_COMPATIBLE_PROFILE,
];

export class ProfileRegistry {
  readonly #byType = new Map<string, Profile>();
  readonly #byName = new Map<string, Profile>();
  readonly #byPrefix = new Map<string, Profile>();

  constructor(profiles: readonly Profile[] = BUILT_IN_PROFILES) {
    // Later profiles replace earlier ones of the same type (a config file over a built-in).
    for (const profile of profiles) this.#byType.set(profile.type, profile);
    for (const profile of this.#byType.values()) {
      this.#byName.set(profile.type, profile);
      for (const alias of profile.configAliases) this.#byName.set(alias, profile);
      for (const prefix of profile.prefixes) this.#byPrefix.set(prefix, profile);
    }
  }

  /** The profile a config `type:` names (its type name or an alias). */
  forName(name: string): Profile | undefined {
    return this.#byName.get(name);
  }

  /** The profile whose type is `type`; throws for a type no profile defines (config validation prevents it). */
  forType(type: string): Profile {
    const profile = this.#byType.get(type);
    if (!profile) throw new Error(`no profile for backend type "${type}"`);
    return profile;
  }

  /** The profile serving `/olla/<prefix>/`. */
  forPrefix(prefix: string): Profile | undefined {
    return this.#byPrefix.get(prefix);
  }

  get profiles(): readonly Profile[] {
    return [...this.#byType.values()];
  }

  /** Every config name accepted for `type:`. */
  get names(): readonly string[] {
    return [...this.#byName.keys()];
  }
}

/** The built-in registry, for code with no config in hand. */
export const BUILT_IN_REGISTRY = new ProfileRegistry();
