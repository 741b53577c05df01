import { describe, expect, test } from "bun:test";
import { parseArgs, USAGE } from "../../../src/cli/args.ts";

describe("parseArgs", () => {
  test("no arguments: serve with the default config lookup", () => {
    expect(parseArgs([])).toEqual({ kind: "serve", configPath: undefined, watch: false });
  });

  test("--config PATH, -c PATH and --config=PATH", () => {
    expect(parseArgs(["--config", "a.yaml"])).toEqual({ kind: "serve", configPath: "a.yaml", watch: false });
    expect(parseArgs(["-c", "b.yaml"])).toEqual({ kind: "serve", configPath: "b.yaml", watch: false });
    expect(parseArgs(["--config=c.yaml", "--watch"])).toEqual({ kind: "serve", configPath: "c.yaml", watch: true });
  });

  test("--config without a value is a usage error", () => {
    expect(parseArgs(["--config"])).toMatchObject({ kind: "usage-error", message: expect.stringContaining("--config needs a value") });
    expect(parseArgs(["--config", "--watch"]).kind).toBe("usage-error");
    expect(parseArgs(["--config="]).kind).toBe("usage-error");
  });

  test("--validate-config and --print-config, each with an optional --config", () => {
    expect(parseArgs(["--validate-config"])).toEqual({ kind: "validate-config", configPath: undefined });
    expect(parseArgs(["--config", "x.yaml", "--validate-config"])).toEqual({ kind: "validate-config", configPath: "x.yaml" });
    expect(parseArgs(["--print-config", "-c", "y.yaml"])).toEqual({ kind: "print-config", configPath: "y.yaml" });
  });

  test("--validate-config with --print-config, or either with --watch, is a usage error", () => {
    expect(parseArgs(["--validate-config", "--print-config"]).kind).toBe("usage-error");
    expect(parseArgs(["--print-config", "--watch"]).kind).toBe("usage-error");
  });

  test("healthcheck, with --url or --config", () => {
    expect(parseArgs(["healthcheck"])).toEqual({ kind: "healthcheck", configPath: undefined, url: undefined });
    expect(parseArgs(["healthcheck", "--url", "http://127.0.0.1:40114"])).toEqual({
      kind: "healthcheck",
      configPath: undefined,
      url: "http://127.0.0.1:40114",
    });
    expect(parseArgs(["--config", "c.yaml", "healthcheck"])).toEqual({ kind: "healthcheck", configPath: "c.yaml", url: undefined });
    expect(parseArgs(["healthcheck", "--url=http://[::1]:1"])).toMatchObject({ kind: "healthcheck", url: "http://[::1]:1" });
  });

  test("healthcheck rejects a non-http URL and flags of other commands", () => {
    expect(parseArgs(["healthcheck", "--url", "127.0.0.1:40114"]).kind).toBe("usage-error");
    expect(parseArgs(["healthcheck", "--watch"]).kind).toBe("usage-error");
    expect(parseArgs(["healthcheck", "--validate-config"]).kind).toBe("usage-error");
  });

  test("--url outside healthcheck, a second positional, and unknown flags are usage errors", () => {
    expect(parseArgs(["--url", "http://x"]).kind).toBe("usage-error");
    expect(parseArgs(["healthcheck", "healthcheck"]).kind).toBe("usage-error");
    expect(parseArgs(["serve"])).toEqual({ kind: "usage-error", message: 'unknown argument "serve"' });
    expect(parseArgs(["--verbose"])).toEqual({ kind: "usage-error", message: 'unknown argument "--verbose"' });
    expect(parseArgs(["--watch=yes"]).kind).toBe("usage-error");
  });

  test("a config file named healthcheck is a path, not the subcommand", () => {
    expect(parseArgs(["--config", "healthcheck"])).toEqual({ kind: "serve", configPath: "healthcheck", watch: false });
  });

  test("--help and --version win over everything else", () => {
    expect(parseArgs(["--config", "x", "--help"])).toEqual({ kind: "help" });
    expect(parseArgs(["-h"])).toEqual({ kind: "help" });
    expect(parseArgs(["healthcheck", "-v"])).toEqual({ kind: "version" });
    expect(parseArgs(["--version"])).toEqual({ kind: "version" });
  });

  test("the usage names every command and flag", () => {
    for (const word of ["--config", "--watch", "--validate-config", "--print-config", "healthcheck", "--url", "--version", "--help", "SIGHUP"]) {
      expect(USAGE).toContain(word);
    }
  });
});
