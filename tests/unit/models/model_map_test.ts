import { describe, expect, test } from "bun:test";
import { exactAliases, mapModel } from "../../../src/models/model_map.ts";

const map = {
  "claude-*haiku*": "ai/smollm2",
  "claude-sonnet-4-5": "ai/qwen3",
  "claude-*": "ai/gemma3",
};

describe("mapModel", () => {
  test("exact names win over globs; globs match in file order, case-insensitively", () => {
    expect(mapModel(map, "claude-sonnet-4-5")).toEqual({ model: "ai/qwen3", mapped: true });
    expect(mapModel(map, "claude-haiku-4-5-20251001")).toEqual({ model: "ai/smollm2", mapped: true });
    expect(mapModel(map, "Claude-Opus-4-1")).toEqual({ model: "ai/gemma3", mapped: true });
  });

  test("other names pass through; an unmapped claude-* name is reported", () => {
    expect(mapModel(map, "ai/smollm2")).toEqual({ model: "ai/smollm2", mapped: false });
    expect(mapModel({}, "claude-sonnet-4-5")).toEqual({ unmapped: "claude-sonnet-4-5" });
  });

  test("glob metacharacters other than * are literal", () => {
    expect(mapModel({ "a.b*": "x" }, "aXb-1")).toEqual({ model: "aXb-1", mapped: false });
    expect(mapModel({ "a.b*": "x" }, "a.b-1")).toEqual({ model: "x", mapped: true });
  });

  test("exactAliases lists only non-glob keys", () => {
    expect(exactAliases(map)).toEqual([["claude-sonnet-4-5", "ai/qwen3"]]);
  });
});
