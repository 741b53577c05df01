import { describe, expect, test } from "bun:test";
import { DmrState, parseEngineStatus, parseModelFormats, parseRunners } from "../../../src/models/dmr_state.ts";

const SMOL = "docker.io/ai/smollm2:latest";

describe("DMR state parsers", () => {
  test("parseEngineStatus() keeps string statuses and rejects non-objects", () => {
    expect(parseEngineStatus({ "llama.cpp": "Running: b1", vllm: "Not Installed: binary not found", x: 3 }))
      .toEqual(new Map([["llama.cpp", "Running: b1"], ["vllm", "Not Installed: binary not found"]]));
    expect(() => parseEngineStatus([])).toThrow(SyntaxError);
    // A catch-all answering 200 with something else is "unknown", not "nothing runs".
    expect(() => parseEngineStatus({ object: "list", data: [] })).toThrow(SyntaxError);
    expect(() => parseEngineStatus("Running")).toThrow(SyntaxError);
  });

  test("parseModelFormats() maps every tag, normalised, to gguf, safetensors or other", () => {
    const formats = parseModelFormats([
      { id: "sha256:" + "a".repeat(64), tags: ["docker.io/ai/smollm2:latest", "ai/smol:v2"], config: { format: "gguf" } },
      { tags: ["hf.co/Org/Qwen3:BF16"], config: { format: "safetensors" } },
      { tags: ["ai/odd"], config: { format: "dduf" } },
      { tags: ["ai/none"] },
    ]);
    expect(formats.get(SMOL)).toBe("gguf");
    expect(formats.get("docker.io/ai/smol:v2")).toBe("gguf");
    expect(formats.get("sha256:" + "a".repeat(64))).toBe("gguf");
    expect(formats.get("huggingface.co/org/qwen3:BF16")).toBe("safetensors");
    expect(formats.get("docker.io/ai/odd:latest")).toBe("other");
    expect(formats.get("docker.io/ai/none:latest")).toBe("other");
    expect(() => parseModelFormats({})).toThrow(SyntaxError);
  });

  test("parseRunners() splits loaded from loading runners by model and mode", () => {
    const { loaded, loading } = parseRunners([
      { backend_name: "llama.cpp", model_name: "ai/smollm2", mode: "completion", in_use: true },
      { backend_name: "llama.cpp", model_name: "smollm2", mode: "embedding", loading: true },
      { model_name: "" },
    ]);
    expect([...loaded]).toEqual([`${SMOL}|completion`]);
    expect([...loading]).toEqual([`${SMOL}|embedding`]);
    expect(() => parseRunners({})).toThrow(SyntaxError);
  });
});

describe("DmrState", () => {
  test("DmrState.engineAvailable() is true when unknown, true for Running, and lenient only for llama.cpp's on-demand install", () => {
    const state = new DmrState();
    expect(state.engineAvailable("vllm")).toBe(true);
    state.engines = new Map([
      ["llama.cpp", "Not Installed: will install on first use"],
      ["vllm", "Not Installed: binary not found"],
      ["mlx", "Error: crashed"],
      ["sglang", "Running: 0.4"],
    ]);
    expect(state.engineAvailable("llama.cpp")).toBe(true);
    expect(state.engineAvailable("vllm")).toBe(false);
    expect(state.engineAvailable("mlx")).toBe(false);
    expect(state.engineAvailable("sglang")).toBe(true);
    expect(state.engineAvailable("diffusers")).toBe(false);
    state.engines = new Map([["llama.cpp", "Error: failed"]]);
    expect(state.engineAvailable("llama.cpp")).toBe(false);
  });

  test("DmrState.canRun() follows DMR's format override: safetensors needs vLLM, MLX or SGLang whatever the path says", () => {
    const state = new DmrState();
    state.formats = new Map([[SMOL, "gguf"], ["docker.io/ai/st:latest", "safetensors"]]);
    state.engines = new Map([["llama.cpp", "Running"], ["vllm", "Not Installed"]]);
    expect(state.canRun(SMOL, null)).toBe(true);
    expect(state.canRun(SMOL, "vllm")).toBe(false);
    expect(state.canRun("docker.io/ai/st:latest", "llama.cpp")).toBe(false);
    state.engines = new Map([["llama.cpp", "Running"], ["mlx", "Running: 0.1"]]);
    expect(state.canRun("docker.io/ai/st:latest", null)).toBe(true);
    expect(state.canRun("docker.io/ai/unknown-format:latest", null)).toBe(true);
  });

  test("DmrState.trackRequest() marks a cold model loading until answered, then loaded on success only", () => {
    const state = new DmrState();
    const first = state.trackRequest(SMOL, "completion");
    const second = state.trackRequest(SMOL, "completion");
    expect(state.isLoading(SMOL, "completion")).toBe(true);
    first(false);
    first(true); // settles once
    expect(state.isLoading(SMOL, "completion")).toBe(true);
    expect(state.isLoaded(SMOL, "completion")).toBe(false);
    second(true);
    expect(state.isLoading(SMOL, "completion")).toBe(false);
    expect(state.isLoaded(SMOL, "completion")).toBe(true);
    expect(state.isLoaded(SMOL, "embedding")).toBe(false);
    // Once loaded, a new request is not a cold load.
    state.trackRequest(SMOL, "completion");
    expect(state.loadsStarted.size).toBe(0);
  });
});
