import { describe, expect, test } from "bun:test";
import { listModels, locateModel } from "../../../src/models/catalog.ts";
import { makeEndpoint, setModels } from "../_endpoints.ts";

describe("listModels()", () => {
  test("listModels() lists one OpenAI-style entry per model with display id and owner", () => {
    const a = makeEndpoint("a");
    setModels(a, ["docker.io/ai/smollm2:latest", "hf.co/Org/Model:Q4_K_M"], 1_700_000_000);
    expect(listModels([a])).toEqual([
      { id: "ai/smollm2", object: "model", created: 1_700_000_000, owned_by: "ai" },
      { id: "huggingface.co/org/model:Q4_K_M", object: "model", created: 1_700_000_000, owned_by: "org" },
    ]);
  });

  test("listModels() merges endpoints and lists a model served by several only once", () => {
    const a = makeEndpoint("a", { models: ["ai/smollm2", "ai/llama3.2"] });
    const b = makeEndpoint("b", { models: ["docker.io/ai/smollm2:latest", "ai/qwen3"] });
    expect(listModels([a, b]).map((m) => m.id)).toEqual(["ai/smollm2", "ai/llama3.2", "ai/qwen3"]);
  });

  test("listModels() walks endpoints in priority order, so the highest-priority endpoint's entry and order win", () => {
    const low = makeEndpoint("low", { priority: 10 });
    setModels(low, ["ai/shared", "ai/low-only"], 111);
    const high = makeEndpoint("high", { priority: 90 });
    setModels(high, ["ai/high-only", "ai/shared"], 999);
    const listed = listModels([low, high]);
    expect(listed.map((m) => m.id)).toEqual(["ai/high-only", "ai/shared", "ai/low-only"]);
    expect(listed.find((m) => m.id === "ai/shared")!.created).toBe(999);
  });

  test("listModels() leaves out models of unhealthy, offline and not-yet-checked endpoints", () => {
    const up = makeEndpoint("up", { models: ["ai/up"] });
    const down = makeEndpoint("down", { status: "unhealthy", models: ["ai/down"], priority: 1_000 });
    const offline = makeEndpoint("offline", { status: "offline", models: ["ai/offline"], priority: 1_000 });
    const unknown = makeEndpoint("unknown", { status: "unknown", models: ["ai/unknown"] });
    expect(listModels([down, offline, unknown, up]).map((m) => m.id)).toEqual(["ai/up"]);
  });

  test("listModels() includes models of busy endpoints and of endpoints paused by their circuit breaker", () => {
    const busy = makeEndpoint("busy", { status: "busy", models: ["ai/busy"] });
    const tripped = makeEndpoint("tripped", { models: ["ai/tripped"] });
    for (let i = 0; i < 3; i++) tripped.breaker.recordFailure();
    expect(tripped.isAvailable()).toBe(false);
    expect(listModels([busy, tripped]).map((m) => m.id)).toEqual(["ai/busy", "ai/tripped"]);
  });

  test("listModels() of no endpoints, or only down ones, is empty", () => {
    expect(listModels([])).toEqual([]);
    expect(listModels([makeEndpoint("d", { status: "unhealthy", models: ["ai/x"] })])).toEqual([]);
  });

  test("listModels() does not reorder the array it is given", () => {
    const endpoints = [makeEndpoint("low", { priority: 1 }), makeEndpoint("high", { priority: 2 })];
    listModels(endpoints);
    expect(endpoints.map((e) => e.name)).toEqual(["low", "high"]);
  });
});

describe("locateModel()", () => {
  test("locateModel() splits endpoints that list the model into routable and down, in input order", () => {
    const a = makeEndpoint("a", { models: ["ai/x"] });
    const b = makeEndpoint("b", { status: "unhealthy", models: ["ai/x"] });
    const c = makeEndpoint("c", { models: ["ai/y"] });
    const d = makeEndpoint("d", { status: "busy", models: ["ai/x"] });
    const e = makeEndpoint("e", { status: "offline", models: ["ai/x"] });
    const f = makeEndpoint("f", { status: "unknown", models: ["ai/x"] });
    const found = locateModel([a, b, c, d, e, f], "docker.io/ai/x:latest");
    expect(found.routable.map((x) => x.name)).toEqual(["a", "d"]);
    expect(found.down.map((x) => x.name)).toEqual(["b", "e", "f"]);
  });

  test("locateModel() of a model nobody lists is empty on both sides", () => {
    const found = locateModel([makeEndpoint("a", { models: ["ai/x"] })], "docker.io/ai/nope:latest");
    expect(found).toEqual({ routable: [], down: [] });
  });

  test("locateModel() matches a 12-hex short ID to the model whose digest starts with it", () => {
    const hex = "abcdef012345" + "6".repeat(52);
    const a = makeEndpoint("a", { models: [`sha256:${hex}`] });
    expect(locateModel([a], "sha256:abcdef012345").routable).toEqual([a]);
    expect(locateModel([a], "sha256:abcdef012346")).toEqual({ routable: [], down: [] });
  });
});
