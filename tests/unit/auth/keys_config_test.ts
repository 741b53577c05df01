import { describe, expect, test } from "bun:test";
import { resolveInboundAuth } from "../../../src/auth/keys_config.ts";

const sources = (env: Record<string, string> = {}, files: Record<string, string> = {}) => ({
  env: (name: string) => env[name],
  readTextFile: (path: string) => files[path],
});

function resolve(keys: unknown[], internal?: string, env?: Record<string, string>, files?: Record<string, string>) {
  const problems: string[] = [];
  const warnings: string[] = [];
  const auth = resolveInboundAuth({ keys, internal } as never, sources(env, files), problems, warnings);
  return { auth, problems, warnings };
}

describe("resolveInboundAuth()", () => {
  test("resolveInboundAuth() reads keys from the value, ${VAR} and key_file, and normalises allow-lists", () => {
    const { auth, problems } = resolve(
      [
        { name: "a", key: "inline-0123456789abcdef" },
        { name: "b", key: "${B_KEY}", models: ["smollm2", "hf.co/x/y:Q4"] },
        { name: "c", key_file: "/run/secrets/c", requests_per_minute: 5 },
      ],
      undefined,
      { B_KEY: "env-0123456789abcdef00" },
      { "/run/secrets/c": "file-0123456789abcdef\n" },
    );
    expect(problems).toEqual([]);
    expect(auth.keys.map((k) => k.key)).toEqual(["inline-0123456789abcdef", "env-0123456789abcdef00", "file-0123456789abcdef"]);
    expect(auth.keys[1]!.models).toEqual(["docker.io/ai/smollm2:latest", "huggingface.co/x/y:Q4"]);
    expect(auth.keys[2]!.requestsPerMinute).toBe(5);
    expect(auth.internal).toBe("loopback");
  });

  test("resolveInboundAuth() with no keys leaves /internal open, as before", () => {
    expect(resolve([]).auth).toEqual({ keys: [], internal: "open" });
    expect(resolve([], "loopback").auth.internal).toBe("loopback");
  });

  test("resolveInboundAuth() names every problem without quoting a key", () => {
    const { problems } = resolve(
      [
        { name: "a", key: "same-0123456789abcdef" },
        { name: "a", key: "other-0123456789abcdef" },
        { name: "b", key: "same-0123456789abcdef" },
        { name: "c" },
        { name: "d", key: "x", key_file: "/y" },
        { name: "e", key: "${MISSING}" },
        { name: "f", key_file: "/nope" },
        { name: "g", key: "has space-0123456789" },
      ],
    );
    expect(problems).toHaveLength(7);
    expect(problems.join("\n")).not.toContain("same-0123456789abcdef");
    expect(problems.join("\n")).not.toContain("has space");
    expect(problems[0]).toContain("auth.keys[1].name");
    expect(problems[1]).toContain('same value as "a"');
    expect(problems[4]).toContain("MISSING");
  });

  test("resolveInboundAuth() warns about a short key", () => {
    expect(resolve([{ name: "a", key: "short" }]).warnings[0]).toContain("shorter than 16");
  });
});
