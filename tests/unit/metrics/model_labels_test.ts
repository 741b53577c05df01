import { describe, expect, test } from "bun:test";
import { ModelLabels, OTHER_MODELS } from "../../../src/metrics/model_labels.ts";

describe("ModelLabels", () => {
  test("names no endpoint took get labels up to the limit, then count as other", () => {
    const labels = new ModelLabels(3);
    expect(["a", "b", "c"].map((m) => labels.of(m, m, undefined))).toEqual(["a", "b", "c"]);
    expect(labels.of("d", "d", undefined)).toBe(OTHER_MODELS);
    expect(labels.of("e", undefined, undefined)).toBe(OTHER_MODELS);
    // A name already labelled keeps its label.
    expect(labels.of("b", "b", undefined)).toBe("b");
  });

  test("a model an endpoint took is always labelled, and does not use up the limit", () => {
    const labels = new ModelLabels(1);
    expect(labels.of("ai/smollm2", "docker.io/ai/smollm2:latest", "dmr")).toBe("ai/smollm2");
    expect(labels.of("ai/qwen3", "docker.io/ai/qwen3:latest", "dmr")).toBe("ai/qwen3");
    expect(labels.of("typo", "typo", undefined)).toBe("typo");
    expect(labels.of("other-typo", "other-typo", undefined)).toBe(OTHER_MODELS);
    // Once served, a model keeps its label even when every endpoint is down.
    expect(labels.of("ai/qwen3", "docker.io/ai/qwen3:latest", undefined)).toBe("ai/qwen3");
    expect(labels.of("ai/llama3", "docker.io/ai/llama3:latest", "dmr")).toBe("ai/llama3");
  });

  test("spellings that route alike share the first one's label", () => {
    const labels = new ModelLabels(0);
    const spellings = ["llama3", "LLAMA3", "Llama3:latest", " llama3 ", "llama3:LATEST"];
    expect(spellings.map((s) => labels.of(s, s.trim().toLowerCase().replace(/:latest$/, ""), "ollama"))).toEqual(spellings.map(() => "llama3"));
    // Across types (/olla/proxy) the key is the client's spelling as is; it folds the same way.
    expect(labels.of("LLaMA3", "LLaMA3", "lmstudio")).toBe("llama3");
    expect(labels.of("llama3:8b", "llama3:8b", "ollama")).toBe("llama3:8b");
  });

  test("no model, no label", () => {
    expect(new ModelLabels().of(undefined, undefined, "dmr")).toBeUndefined();
    expect(new ModelLabels().of("", "", undefined)).toBe("");
  });
});
