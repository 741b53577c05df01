import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig, profilesDir } from "../../../src/config/load.ts";

function load(files: Record<string, string>) {
  return loadConfig({
    path: "conf/config.yaml",
    env: () => undefined,
    readTextFile: (path) => files[path],
    listDir: (dir) => {
      const names = Object.keys(files).filter((p) => p.startsWith(`${dir}/`)).map((p) => p.slice(dir.length + 1));
      return names.length > 0 ? names : undefined;
    },
  });
}

const CONFIG =
  "endpoints:\n  - url: http://t:8080\n    name: t\n    type: tgi\n  - url: http://v:8000\n    name: v\n    type: vllm\n";

describe("profile files (Olla's profiles/*.yaml layout)", () => {
  test("profilesDir() is profiles/ beside the config file, config/profiles with none", () => {
    expect(profilesDir("conf/config.yaml")).toBe("conf/profiles");
    expect(profilesDir("config.yaml")).toBe("profiles");
    expect(profilesDir(null)).toBe("config/profiles");
  });

  test("a file adds a type with its prefixes, paths and probes; another overrides a built-in's health path", () => {
    const config = load({
      "conf/config.yaml": CONFIG,
      "conf/profiles/tgi.yaml": [
        "name: tgi",
        "display_name: Text Generation Inference",
        "routing:\n  prefixes: [tgi, hf-tgi]",
        "api:\n  openai_compatible: true\n  health_check_path: /health\n  model_discovery_path: /v1/models",
        "  paths: [/health, /v1/models, /v1/chat/completions, /generate]",
        "detection:\n  default_ports: [8080]",
        "resources:\n  ignored: true",
      ].join("\n"),
      "conf/profiles/vllm.yaml": "name: vllm\napi:\n  health_check_path: /ping\n",
      "conf/profiles/README.md": "not a profile",
    });
    expect(config.endpoints.map((e) => [e.type, e.healthUrl])).toEqual([["tgi", "http://t:8080/health"], [
      "vllm",
      "http://v:8000/ping",
    ]]);
    const tgi = config.profiles.find((p) => p.type === "tgi")!;
    expect(tgi.prefixes).toEqual(["tgi", "hf-tgi"]);
    expect([...tgi.proxied.keys()]).toEqual(["/v1/chat/completions", "/generate"]);
    expect(tgi.label).toBe("Text Generation Inference");
    const vllm = config.profiles.find((p) => p.type === "vllm")!;
    expect(vllm.prefixes).toEqual(["vllm"]);
    expect(vllm.management).toContain("/sleep");
  });

  test("without the file the type is unknown, and a bad file is an error naming the file and key", () => {
    expect(() => load({ "conf/config.yaml": CONFIG })).toThrow(ConfigError);
    try {
      load({ "conf/config.yaml": CONFIG, "conf/profiles/bad.yaml": "name: Bad Name\n" });
      throw new Error("expected a ConfigError");
    } catch (error) {
      expect((error as ConfigError).problems[0]).toContain("conf/profiles/bad.yaml");
      expect((error as ConfigError).problems[0]).toContain("name");
    }
  });
});
