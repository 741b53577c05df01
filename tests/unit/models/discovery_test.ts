import { describe, expect, test } from "bun:test";
import { parseModelList } from "../../../src/models/discovery.ts";
import { DMR_PROFILE } from "../../../src/profiles/dmr.ts";

const parseDmrModelList = (body: unknown) => parseModelList(DMR_PROFILE, body);

describe("parseDmrModelList()", () => {
  test("parseDmrModelList() keys a DMR list with fully-qualified ids by canonical name, keeping id and created", () => {
    const models = parseDmrModelList({
      object: "list",
      data: [
        { id: "docker.io/ai/smollm2:latest", object: "model", created: 1_742_916_473, owned_by: "docker" },
        { id: "huggingface.co/bartowski/Model-GGUF:Q4_K_M", object: "model", created: 1_700_000_000, owned_by: "docker" },
      ],
    });
    expect([...models.entries()]).toEqual([
      ["docker.io/ai/smollm2:latest", { key: "docker.io/ai/smollm2:latest", id: "docker.io/ai/smollm2:latest", created: 1_742_916_473 }],
      [
        "huggingface.co/bartowski/model-gguf:Q4_K_M",
        { key: "huggingface.co/bartowski/model-gguf:Q4_K_M", id: "huggingface.co/bartowski/Model-GGUF:Q4_K_M", created: 1_700_000_000 },
      ],
    ]);
  });

  test("parseDmrModelList() reads data: [] as an empty, valid list", () => {
    const models = parseDmrModelList({ object: "list", data: [] });
    expect(models).toBeInstanceOf(Map);
    expect(models.size).toBe(0);
  });

  test("parseDmrModelList() keeps the first of two ids that name the same model", () => {
    const models = parseDmrModelList({
      data: [
        { id: "ai/smollm2", created: 1 },
        { id: "docker.io/ai/smollm2:latest", created: 2 },
        { id: "smollm2", created: 3 },
      ],
    });
    expect(models.size).toBe(1);
    expect(models.get("docker.io/ai/smollm2:latest")).toEqual({ key: "docker.io/ai/smollm2:latest", id: "ai/smollm2", created: 1 });
  });

  test("parseDmrModelList() keeps the backend's order", () => {
    const models = parseDmrModelList({ data: [{ id: "ai/b" }, { id: "ai/a" }, { id: "ai/c" }] });
    expect([...models.keys()]).toEqual(["docker.io/ai/b:latest", "docker.io/ai/a:latest", "docker.io/ai/c:latest"]);
  });

  test("parseDmrModelList() skips entries with an empty, blank, missing or non-string id, and null entries", () => {
    const models = parseDmrModelList({
      data: [{ id: "" }, { id: "   " }, {}, { id: 42 }, null, "ai/str", { id: "ai/kept" }],
    });
    expect([...models.keys()]).toEqual(["docker.io/ai/kept:latest"]);
  });

  test("parseDmrModelList() uses 0 for a missing or non-numeric created", () => {
    const models = parseDmrModelList({ data: [{ id: "ai/a" }, { id: "ai/b", created: "yesterday" }] });
    expect([...models.values()].map((m) => m.created)).toEqual([0, 0]);
  });

  const badShapes: Array<[string, unknown]> = [
    ["null", null],
    ["undefined", undefined],
    ["a string", "data"],
    ["an array", [{ id: "ai/smollm2" }]],
    ["an object without data", { models: [] }],
    ["data as an object", { data: { id: "ai/smollm2" } }],
    ["data as null", { data: null }],
  ];
  for (const [label, body] of badShapes) {
    test(`parseDmrModelList() throws SyntaxError for ${label}`, () => {
      expect(() => parseDmrModelList(body)).toThrow(SyntaxError);
    });
  }
});
