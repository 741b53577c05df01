import { describe, expect, test } from "bun:test";
import { ModelLabels, OTHER_MODELS } from "../../../src/metrics/model_labels.ts";

describe("ModelLabels", () => {
  test("names no endpoint took get labels up to the limit, then count as other", () => {
    const labels = new ModelLabels(3);
    expect(["a", "b", "c"].map((m) => labels.of(m, undefined))).toEqual(["a", "b", "c"]);
    expect(labels.of("d", undefined)).toBe(OTHER_MODELS);
    expect(labels.of("e", undefined)).toBe(OTHER_MODELS);
    // A name already labelled keeps its label.
    expect(labels.of("b", undefined)).toBe("b");
  });

  test("a model an endpoint took is always labelled, and does not use up the limit", () => {
    const labels = new ModelLabels(1);
    expect(labels.of("ai/smollm2", "dmr")).toBe("ai/smollm2");
    expect(labels.of("ai/qwen3", "dmr")).toBe("ai/qwen3");
    expect(labels.of("typo", undefined)).toBe("typo");
    expect(labels.of("other-typo", undefined)).toBe(OTHER_MODELS);
    // Once served, a model keeps its label even when every endpoint is down.
    expect(labels.of("ai/qwen3", undefined)).toBe("ai/qwen3");
    expect(labels.of("ai/llama3", "dmr")).toBe("ai/llama3");
  });

  test("no model, no label", () => {
    expect(new ModelLabels().of(undefined, "dmr")).toBeUndefined();
    expect(new ModelLabels().of("", undefined)).toBe("");
  });
});
