import { describe, expect, test } from "bun:test";
import { type Config, ConfigError, loadConfig } from "../../src/config/load.ts";
import { InFlight } from "../../src/in_flight.ts";
import { deepEqual, planEndpoints, reloadConfig, type ReloadSummary, settingsNeedingRestart, switchableLogger } from "../../src/reload.ts";
import { endpointConfig, newEndpoint, recordingLogger } from "./_endpoints.ts";

const load = (yaml: string): Config =>
  loadConfig({ env: () => undefined, readTextFile: (path) => (path === "config.yaml" ? yaml : undefined) });

describe("planEndpoints", () => {
  test("keeps unchanged objects, builds added and changed ones, retires removed and replaced ones, in the new order", () => {
    const a = newEndpoint("a");
    const b = newEndpoint("b");
    const c = newEndpoint("c");
    const plan = planEndpoints([a, b, c], [
      endpointConfig("d"),
      endpointConfig("a"),
      endpointConfig("b", { priority: 7 }),
    ]);
    expect(plan.next.map((item) => ("keep" in item ? `keep:${item.keep.name}` : `build:${item.build.name}`))).toEqual([
      "build:d",
      "keep:a",
      "build:b",
    ]);
    expect(plan.retired).toEqual([b, c]);
    expect(plan.added).toEqual(["d"]);
    expect(plan.changed).toEqual(["b"]);
    expect(plan.removed).toEqual(["c"]);
    expect(plan.kept).toEqual(["a"]);
    expect(("keep" in plan.next[1]! && plan.next[1].keep) === a).toBe(true);
  });

  test("a change anywhere in the resolved config (headers included) replaces the endpoint", () => {
    const a = newEndpoint("a", { headers: [["X-Team", "one"]] });
    expect(planEndpoints([a], [endpointConfig("a", { headers: [["X-Team", "one"]] })]).kept).toEqual(["a"]);
    expect(planEndpoints([a], [endpointConfig("a", { headers: [["X-Team", "two"]] })]).changed).toEqual(["a"]);
    expect(planEndpoints([a], [endpointConfig("a", { checkIntervalMs: 2_000 })]).changed).toEqual(["a"]);
  });

  test("an empty new list retires everything", () => {
    const a = newEndpoint("a");
    expect(planEndpoints([a], [])).toMatchObject({ next: [], retired: [a], removed: ["a"] });
  });
});

describe("settingsNeedingRestart", () => {
  const base = `server: { port: 40114 }\nendpoints: [{ url: "http://a:12434", name: a }]\n`;

  test("endpoints, logging and shutdown_timeout reload; everything else is named by key path", () => {
    const before = load(base);
    const after = load(`
server: { port: 40115, host: 0.0.0.0, shutdown_timeout: 1s }
proxy: { response_header_timeout: 1m, queue: { max_size: 3 } }
logging: { level: debug, format: text }
endpoints: [{ url: "http://b:12434", name: b }]
`);
    expect(settingsNeedingRestart(before, after)).toEqual([
      "server.host",
      "server.port",
      "proxy.response_header_timeout",
      "proxy.queue.max_size",
    ]);
  });

  test("anthropic.model_map reloads; the ping interval and Responses bounds need a restart", () => {
    const after = load(`${base}anthropic: { model_map: { "claude-*": ai/qwen3 }, ping_interval: 5s }\nresponses: { affinity_ttl: 1h }\n`);
    expect(settingsNeedingRestart(load(base), after)).toEqual(["anthropic.ping_interval", "responses.affinity_ttl"]);
  });

  test("the same file needs nothing", () => {
    expect(settingsNeedingRestart(load(base), load(base))).toEqual([]);
  });
});

describe("deepEqual", () => {
  test("plain data", () => {
    expect(deepEqual({ a: [1, { b: "x" }] }, { a: [1, { b: "x" }] })).toBe(true);
    expect(deepEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(deepEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(deepEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(deepEqual(null, {})).toBe(false);
    expect(deepEqual([], {})).toBe(false);
  });
});

describe("reloadConfig", () => {
  const summary: ReloadSummary = { added: ["b"], changed: [], removed: ["a"], kept: [], needsRestart: ["server.port"] };

  test("a config error is logged with every problem and nothing is applied", () => {
    const logger = recordingLogger();
    let applied = 0;
    const ok = reloadConfig("SIGHUP", {
      load: () => {
        throw new ConfigError('"config.yaml"', ["server.port: too big", "endpoints[0].url: not a URL"]);
      },
      current: () => load("endpoints: []\n"),
      apply: () => (applied++, summary),
      applyLogging: () => applied++,
      logger,
    });
    expect(ok).toBe(false);
    expect(applied).toBe(0);
    expect(logger.lines).toEqual([{
      level: "error",
      message: "config reload rejected: the running config stays in force",
      fields: { trigger: "SIGHUP", source: "config.yaml", problems: ["server.port: too big", "endpoints[0].url: not a URL"] },
    }]);
  });

  test("any other read error is rejected the same way", () => {
    const logger = recordingLogger();
    const ok = reloadConfig("watch", {
      load: () => {
        throw new Error("EACCES: permission denied");
      },
      current: () => load("endpoints: []\n"),
      apply: () => summary,
      applyLogging: () => {},
      logger,
    });
    expect(ok).toBe(false);
    expect(logger.lines[0]!.fields!.problems).toEqual(["EACCES: permission denied"]);
  });

  test("a valid config is applied, logging first, and the summary and pending restarts are logged", () => {
    const logger = recordingLogger();
    const order: string[] = [];
    const next = load("logging: { level: warn }\nendpoints: []\n");
    const ok = reloadConfig("SIGHUP", {
      load: () => next,
      current: () => load("endpoints: []\n"),
      apply: (config) => (order.push(`apply:${config === next}`), summary),
      applyLogging: (config) => void order.push(`logging:${config.logging.level}`),
      logger,
    });
    expect(ok).toBe(true);
    expect(order).toEqual(["logging:warn", "apply:true"]);
    expect(logger.lines.map((l) => [l.level, l.message])).toEqual([
      ["info", "config reloaded"],
      ["warn", "config change needs restart: ignored until then"],
    ]);
    expect(logger.lines[0]!.fields).toMatchObject({ added: ["b"], removed: ["a"], kept: 0, logging: { level: "warn" } });
    expect(logger.lines[1]!.fields).toEqual({ settings: ["server.port"] });
  });
});

describe("switchableLogger", () => {
  test("forwards to the current target", () => {
    const first = recordingLogger();
    const second = recordingLogger();
    const logger = switchableLogger(first);
    logger.info("one");
    logger.use(second);
    logger.warn("two", { x: 1 });
    expect(first.messages()).toEqual(["one"]);
    expect(second.lines).toEqual([{ level: "warn", message: "two", fields: { x: 1 } }]);
  });
});

describe("InFlight", () => {
  test("counts begun requests until each is done, once", async () => {
    const inFlight = new InFlight();
    await inFlight.idle();
    const one = inFlight.begin();
    const two = inFlight.begin();
    expect(inFlight.count).toBe(2);
    let idle = false;
    void inFlight.idle().then(() => (idle = true));
    one();
    one();
    await Promise.resolve();
    expect(inFlight.count).toBe(1);
    expect(idle).toBe(false);
    two();
    await Promise.resolve();
    expect(inFlight.count).toBe(0);
    expect(idle).toBe(true);
  });
});

describe("settingsNeedingRestart() and profile files", () => {
  test("the same profile files read twice need no restart; a changed prefix does", () => {
    const files = (prefix: string): Record<string, string> => ({
      "c/config.yaml": "endpoints: []\n",
      "c/profiles/tgi.yaml": `name: tgi\nrouting:\n  prefixes: [${prefix}]\n`,
    });
    const load = (all: Record<string, string>) =>
      loadConfig({
        path: "c/config.yaml",
        env: () => undefined,
        readTextFile: (path) => all[path],
        listDir: (dir) => dir === "c/profiles" ? ["tgi.yaml"] : undefined,
      });
    expect(settingsNeedingRestart(load(files("tgi")), load(files("tgi")))).toEqual([]);
    expect(settingsNeedingRestart(load(files("tgi")), load(files("hf")))).toEqual(["profiles"]);
  });
});
