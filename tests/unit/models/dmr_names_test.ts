import { describe, expect, test } from "bun:test";
import { displayModelName, modelOwner, normaliseModelRef } from "../../../src/models/dmr_names.ts";

const HEX64 = "0123456789abcdef".repeat(4);

describe("normaliseModelRef()", () => {
  const cases: Array<[string, string]> = [
    ["smollm2", "docker.io/ai/smollm2:latest"],
    ["SmolLM2", "docker.io/ai/smollm2:latest"],
    ["ai/smollm2", "docker.io/ai/smollm2:latest"],
    ["ai/SmolLM2", "docker.io/ai/smollm2:latest"],
    ["ai/smollm2:latest", "docker.io/ai/smollm2:latest"],
    ["ai/smollm2:360M-Q4_K_M", "docker.io/ai/smollm2:360M-Q4_K_M"],
    ["docker.io/ai/smollm2", "docker.io/ai/smollm2:latest"],
    ["docker.io/ai/smollm2:latest", "docker.io/ai/smollm2:latest"],
    ["Docker.IO/ai/smollm2", "docker.io/ai/smollm2:latest"],
    ["index.docker.io/ai/smollm2", "docker.io/ai/smollm2:latest"],
    ["registry-1.docker.io/ai/smollm2:v2", "docker.io/ai/smollm2:v2"],
    ["hf.co/Org/Model:Q4_K_M", "huggingface.co/org/model:Q4_K_M"],
    ["HF.co/Org/Model", "huggingface.co/org/model:latest"],
    ["huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q8_0", "huggingface.co/bartowski/llama-3.2-1b-instruct-gguf:Q8_0"],
    ["localhost:5000/x/y:tag", "localhost:5000/x/y:tag"],
    ["localhost:5000/x/y", "localhost:5000/x/y:latest"],
    ["localhost/x/y", "localhost/x/y:latest"],
    ["myregistry.example.com/team/model:v1", "myregistry.example.com/team/model:v1"],
    ["  ai/smollm2  ", "docker.io/ai/smollm2:latest"],
    ["ai/smollm2:", "docker.io/ai/smollm2:latest"],
  ];
  for (const [input, canonical] of cases) {
    test(`normaliseModelRef() turns ${JSON.stringify(input)} into ${canonical}`, () => {
      expect(normaliseModelRef(input)).toBe(canonical);
    });
  }

  test("normaliseModelRef() gives every spelling of one Hub model the same key", () => {
    const keys = new Set(["smollm2", "ai/smollm2", "ai/smollm2:latest", "docker.io/ai/smollm2", "index.docker.io/ai/smollm2:latest"].map(normaliseModelRef));
    expect([...keys]).toEqual(["docker.io/ai/smollm2:latest"]);
  });

  test("normaliseModelRef() keeps different tags of one model apart", () => {
    expect(normaliseModelRef("ai/smollm2:135M")).not.toBe(normaliseModelRef("ai/smollm2:360M"));
  });

  test("normaliseModelRef() turns a 64-hex digest, with or without sha256:, into sha256:<hex>", () => {
    expect(normaliseModelRef(`sha256:${HEX64}`)).toBe(`sha256:${HEX64}`);
    expect(normaliseModelRef(HEX64)).toBe(`sha256:${HEX64}`);
    expect(normaliseModelRef(`SHA256:${HEX64.toUpperCase()}`)).toBe(`sha256:${HEX64}`);
  });

  test("normaliseModelRef() turns a 12-hex short ID into sha256:<12 hex>", () => {
    expect(normaliseModelRef("0123456789ab")).toBe("sha256:0123456789ab");
    expect(normaliseModelRef("sha256:0123456789ab")).toBe("sha256:0123456789ab");
  });

  test("normaliseModelRef() does not treat hex of other lengths, or non-hex, as an ID", () => {
    expect(normaliseModelRef("0123456789a")).toBe("docker.io/ai/0123456789a:latest");
    expect(normaliseModelRef("0123456789abc")).toBe("docker.io/ai/0123456789abc:latest");
    expect(normaliseModelRef("0123456789ag")).toBe("docker.io/ai/0123456789ag:latest");
  });

  test("normaliseModelRef() drops an @digest suffix from a named reference", () => {
    expect(normaliseModelRef(`ai/smollm2@sha256:${HEX64}`)).toBe("docker.io/ai/smollm2:latest");
    expect(normaliseModelRef(`ai/smollm2:v1@sha256:${HEX64}`)).toBe("docker.io/ai/smollm2:v1");
  });
});

describe("displayModelName()", () => {
  test("displayModelName() drops docker.io/ and :latest", () => {
    expect(displayModelName("docker.io/ai/smollm2:latest")).toBe("ai/smollm2");
  });

  test("displayModelName() keeps a non-latest tag and a non-Hub registry", () => {
    expect(displayModelName("docker.io/ai/smollm2:360M-Q4_K_M")).toBe("ai/smollm2:360M-Q4_K_M");
    expect(displayModelName("huggingface.co/org/model:Q4_K_M")).toBe("huggingface.co/org/model:Q4_K_M");
    expect(displayModelName("huggingface.co/org/model:latest")).toBe("huggingface.co/org/model");
    expect(displayModelName("localhost:5000/x/y:latest")).toBe("localhost:5000/x/y");
  });

  test("displayModelName() leaves an ID alone", () => {
    expect(displayModelName(`sha256:${HEX64}`)).toBe(`sha256:${HEX64}`);
  });

  test("displayModelName() of a normalised short name is the ai/ form", () => {
    expect(displayModelName(normaliseModelRef("smollm2"))).toBe("ai/smollm2");
  });
});

describe("modelOwner()", () => {
  test("modelOwner() is the namespace: ai for Hub models, the org for Hugging Face, the first path part for others", () => {
    expect(modelOwner("docker.io/ai/smollm2:latest")).toBe("ai");
    expect(modelOwner("huggingface.co/bartowski/model:Q4_K_M")).toBe("bartowski");
    expect(modelOwner("localhost:5000/team/model:v1")).toBe("team");
  });

  test("modelOwner() is docker for an ID", () => {
    expect(modelOwner(`sha256:${HEX64}`)).toBe("docker");
  });
});

describe("normaliseModelRef() other registries", () => {
  test("normaliseModelRef() adds the ai/ namespace only to Docker Hub names", () => {
    expect(normaliseModelRef("myregistry.example.com/model")).toBe("myregistry.example.com/model:latest");
    expect(normaliseModelRef("localhost:5000/model:v1")).toBe("localhost:5000/model:v1");
  });
});
