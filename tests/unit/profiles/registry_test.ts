import { describe, expect, test } from "bun:test";
import { BUILT_IN_PROFILES, ProfileRegistry } from "../../../src/profiles/registry.ts";
import type { Profile } from "../../../src/profiles/profile.ts";

const TYPES = [
  "docker-model-runner",
  "ollama",
  "lm-studio",
  "vllm",
  "vllm-mlx",
  "sglang",
  "llamacpp",
  "lmdeploy",
  "litellm",
  "lemonade",
  "omlx",
  "openai-compatible",
];

describe("ProfileRegistry", () => {
  test("the built-in registry has Olla's twelve types, each found by name, alias and prefix", () => {
    const registry = new ProfileRegistry();
    expect(registry.profiles.map((p) => p.type)).toEqual(TYPES);
    expect(registry.forName("dmr")?.type).toBe("docker-model-runner");
    expect(registry.forName("lmstudio")?.type).toBe("lm-studio");
    expect(registry.forName("openai")?.type).toBe("openai-compatible");
    for (const prefix of ["lmstudio", "lm-studio", "lm_studio"]) {
      expect(registry.forPrefix(prefix)?.type).toBe("lm-studio");
    }
    expect(registry.forName("tgi")).toBeUndefined();
    expect(() => registry.forType("tgi")).toThrow();
  });

  test("a later profile of the same type replaces the built-in one", () => {
    const custom: Profile = { ...BUILT_IN_PROFILES[3]!, healthPath: "/ping", prefixes: ["vllm", "vllm2"] };
    const registry = new ProfileRegistry([...BUILT_IN_PROFILES, custom]);
    expect(registry.forType("vllm").healthPath).toBe("/ping");
    expect(registry.forPrefix("vllm2")?.type).toBe("vllm");
  });

  test("no built-in profile forwards a management path, and every prefix belongs to one type", () => {
    const prefixes = BUILT_IN_PROFILES.flatMap((p) => p.prefixes);
    expect(new Set(prefixes).size).toBe(prefixes.length);
    for (const profile of BUILT_IN_PROFILES) {
      for (const path of profile.proxied.keys()) {
        expect(profile.management.some((m) => path === m || path.startsWith(`${m}/`))).toBe(false);
        expect(path).not.toMatch(/pull|push|delete|sleep|wake_up|load_lora|unload/);
      }
    }
  });
});
