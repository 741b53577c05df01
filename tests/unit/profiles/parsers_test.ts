import { describe, expect, test } from "bun:test";
import { parseLemonadeLoaded } from "../../../src/profiles/lemonade.ts";
import { parseLmStudioModels } from "../../../src/profiles/lm_studio.ts";
import { parseOllamaPs, parseOllamaTags } from "../../../src/profiles/ollama.ts";
import { parseOmlxStatus } from "../../../src/profiles/omlx.ts";
import { parseOpenAiModelList, readListHealth, readStatusOk } from "../../../src/profiles/openai_family.ts";

describe("model list parsers", () => {
  test("parseOllamaTags() keys names without :latest and keeps digest, size and details", () => {
    const [model] = parseOllamaTags({
      models: [{
        name: "Llama3.2:latest",
        modified_at: "2026-01-01T00:00:00Z",
        size: 9,
        digest: "sha256:abc",
        details: { family: "llama", parameter_size: "3B", quantization_level: "Q4_K_M", context_length: 8192 },
      }],
    });
    expect(model).toEqual({
      key: "llama3.2",
      id: "Llama3.2:latest",
      created: 1767225600,
      digest: "abc",
      sizeBytes: 9,
      family: "llama",
      parameterSize: "3B",
      quantization: "Q4_K_M",
      contextLength: 8192,
    });
  });

  test("parseOllamaTags() and parseOllamaPs() read null lists as empty and reject other shapes", () => {
    expect(parseOllamaTags({ models: null })).toEqual([]);
    expect(parseOllamaPs({ models: [{ name: "a:latest" }, { model: "b" }, {}] })).toEqual(["a:latest", "b"]);
    expect(() => parseOllamaTags({ data: [] })).toThrow(SyntaxError);
    expect(() => parseOllamaPs("x")).toThrow(SyntaxError);
  });

  test("parseOpenAiModelList() reads context length wherever the server puts it, and router-mode status", () => {
    const models = parseOpenAiModelList({
      data: [
        { id: "v", max_model_len: 4096 },
        { id: "l", meta: { n_ctx_train: 8192, size: 5 } },
        { id: "r", status: { value: "unloaded" } },
        { id: "" },
      ],
    });
    expect(models).toEqual([
      { key: "v", id: "v", created: 0, contextLength: 4096 },
      { key: "l", id: "l", created: 0, contextLength: 8192, sizeBytes: 5 },
      { key: "r", id: "r", created: 0, loaded: false },
    ]);
    expect(parseOpenAiModelList({ data: null })).toEqual([]);
    expect(parseOpenAiModelList({ data: [{ id: "x" }] }, { allLoaded: true })[0]!.loaded).toBe(true);
    expect(() => parseOpenAiModelList({ models: [] })).toThrow(SyntaxError);
  });

  test("parseLmStudioModels() reads state, kind, quantization and context from /api/v0/models", () => {
    const [a, b] = parseLmStudioModels({
      data: [
        { id: "q/q", type: "llm", arch: "qwen2", quantization: "Q4", state: "loaded", max_context_length: 32768 },
        { id: "e", type: "embeddings", state: "not-loaded" },
      ],
    });
    expect(a).toMatchObject({
      key: "q/q",
      loaded: true,
      kind: "llm",
      family: "qwen2",
      quantization: "Q4",
      contextLength: 32768,
    });
    expect(b).toMatchObject({ loaded: false, kind: "embeddings" });
  });

  test("loaded-model reports: Lemonade health and oMLX status", () => {
    expect(parseLemonadeLoaded({ all_models_loaded: [{ model_name: "a" }, { model_name: "" }] })).toEqual(["a"]);
    expect(parseLemonadeLoaded({ model_loaded: "old" })).toEqual(["old"]);
    expect(parseLemonadeLoaded({ status: "ok" })).toEqual([]);
    expect(
      parseOmlxStatus({
        models: [{ id: "a", loaded: true }, { id: "b", loaded: false }, { model: "c", status: "loaded" }],
      }),
    ).toEqual(["a", "c"]);
    expect(() => parseOmlxStatus({})).toThrow(SyntaxError);
  });
});

describe("health readers", () => {
  test("readListHealth() wants a JSON model list: LM Studio's 200 for unknown paths is not healthy", () => {
    expect(readListHealth('{"data":[]}')).toEqual({ healthy: true });
    expect(readListHealth('{"error":"Unexpected endpoint or method. (GET /v1/models)"}').healthy).toBe(false);
    expect(readListHealth("<html>").healthy).toBe(false);
  });

  test('readStatusOk() wants llama-server\'s {"status":"ok"}', () => {
    expect(readStatusOk('{"status":"ok"}')).toEqual({ healthy: true });
    expect(readStatusOk('{"status":"loading"}').healthy).toBe(false);
    expect(readStatusOk("").healthy).toBe(false);
  });
});
