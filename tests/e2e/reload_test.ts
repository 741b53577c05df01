/**
 * Hot reload against the real server: SIGHUP (and --watch) swap endpoints without touching
 * in-flight streams, keep the health state of unchanged endpoints, reject a broken file,
 * apply logging at once and name what needs a restart.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { stringify } from "yaml";
import { type DmrEmulator, startDmr } from "../emulators/dmr.ts";
import { dmrConfig, type ServerUnderTest, startServer, until } from "../_server.ts";

let alpha: DmrEmulator;
let beta: DmrEmulator;
let server: ServerUnderTest | undefined;

beforeAll(async () => {
  alpha = await startDmr({ models: [{ tag: "docker.io/ai/smollm2:latest" }] });
  beta = await startDmr({ models: [{ tag: "docker.io/ai/smollm2:latest" }] });
});

afterEach(async () => {
  alpha.options.chunkDelayMs = 0;
  await server?.stop();
  server = undefined;
});

afterAll(async () => {
  await alpha?.stop();
  await beta?.stop();
});

const A = () => ({ url: alpha.url, name: "alpha", priority: 50 });
const B = () => ({ url: beta.url, name: "beta", priority: 50 });

function rewrite(s: ServerUnderTest, config: unknown): void {
  writeFileSync(s.configPath, typeof config === "string" ? config : stringify(config));
}

/** The log lines written after `mark` (an index into server.logs). */
const since = (s: ServerUnderTest, mark: number) => s.logs.slice(mark);

async function reload(s: ServerUnderTest, config: unknown, expectMsg = "config reloaded") {
  const mark = s.logs.length;
  rewrite(s, config);
  s.signal("SIGHUP");
  return s.waitForLog((l) => s.logs.indexOf(l) >= mark && l.msg === expectMsg, 5000);
}

const chat = (s: ServerUnderTest, stream = false) =>
  fetch(`${s.url}/olla/dmr/engines/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "smollm2", messages: [{ role: "user", content: "hi" }], stream }),
  });

const probes = (emu: DmrEmulator) => emu.requests.filter((r) => r.method === "GET" && r.path === "/engines/v1/models").length;

async function endpointNames(s: ServerUnderTest): Promise<string[]> {
  const body = await (await fetch(`${s.url}/internal/status/endpoints`)).json();
  return body.endpoints.map((e: { name: string }) => e.name).sort();
}

describe("SIGHUP", () => {
  test("removing and adding endpoints during a stream: the stream is untouched, the new endpoint serves next", async () => {
    const config = (backends: Array<Record<string, unknown>>) =>
      dmrConfig(backends as never, { server: { shutdown_timeout: "5s" } });
    server = await startServer(config([A()]));
    await server.waitForLog((l) => l.msg === "endpoint healthy" && l.endpoint === "alpha");

    alpha.options.chunkDelayMs = 100;
    alpha.options.tokens = ["a", "b", "c", "d", "e", "f", "g"]; // 10 events, ~1 s
    const res = await chat(server, true);
    expect(res.headers.get("x-olla-endpoint")).toBe("alpha");
    const reader = res.body!.getReader();
    const first = await reader.read();
    let text = new TextDecoder().decode(first.value);

    const reloaded = await reload(server, config([B()]));
    expect(reloaded.trigger).toBe("SIGHUP");
    expect(reloaded.added).toEqual(["beta"]);
    expect(reloaded.removed).toEqual(["alpha"]);
    expect(reloaded.kept).toBe(0);
    expect(await endpointNames(server)).toEqual(["beta"]);

    // The next request goes to the new endpoint while the old stream is still running.
    const next = await chat(server);
    expect(next.status).toBe(200);
    expect(next.headers.get("x-olla-endpoint")).toBe("beta");
    await next.arrayBuffer();

    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value, { stream: true });
    }
    expect(text.split("\n\n").filter(Boolean)).toHaveLength(10);
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    const streamLine = await server.waitForLog((l) => l.msg === "request" && l.endpoint === "alpha" && l.outcome !== undefined);
    expect(streamLine.outcome).toBe("complete");

    // The removed endpoint is no longer probed.
    const before = probes(alpha);
    await Bun.sleep(1200);
    expect(probes(alpha)).toBe(before);
  });

  test("an unchanged endpoint keeps its health state; a changed one is replaced", async () => {
    server = await startServer(dmrConfig([A(), B()]));
    await server.waitForLog((l) => l.msg === "endpoint healthy" && l.endpoint === "alpha");
    await server.waitForLog((l) => l.msg === "endpoint healthy" && l.endpoint === "beta");
    const mark = server.logs.length;
    const reloaded = await reload(server, dmrConfig([A(), { ...B(), priority: 80 }]));
    expect(reloaded.kept).toBe(1);
    expect(reloaded.changed).toEqual(["beta"]);
    expect(reloaded.added).toEqual([]);
    expect(reloaded.removed).toEqual([]);

    // alpha was never "unknown" again: traffic flows with no fresh probe, and only beta went through unknown → healthy.
    const status = await (await fetch(`${server.url}/internal/status/endpoints`)).json();
    const alphaView = status.endpoints.find((e: { name: string }) => e.name === "alpha");
    expect(alphaView.status).toBe("healthy");
    await server.waitForLog((l) => server!.logs.indexOf(l) >= mark && l.msg === "endpoint healthy" && l.endpoint === "beta");
    expect(since(server, mark).some((l) => l.msg === "endpoint healthy" && l.endpoint === "alpha")).toBe(false);
    const res = await chat(server);
    expect(res.headers.get("x-olla-endpoint")).toBe("beta");
    await res.arrayBuffer();
    const betaView = (await (await fetch(`${server.url}/internal/status/endpoints`)).json())
      .endpoints.find((e: { name: string }) => e.name === "beta");
    expect(betaView.priority).toBe(80);
  });

  test("a broken file is rejected with the problems logged, and the old config keeps serving", async () => {
    server = await startServer(dmrConfig([A()]));
    await server.waitForLog((l) => l.msg === "endpoint healthy" && l.endpoint === "alpha");

    const invalid = await reload(
      server,
      { server: { host: "127.0.0.1", port: 0 }, endpoints: [{ url: "not a url", name: "alpha" }, { url: beta.url, name: "beta", check_intervall: "1s" }] },
      "config reload rejected: the running config stays in force",
    );
    expect(invalid.level).toBe("error");
    const problems = invalid.problems as string[];
    expect(problems.some((p) => p.startsWith("endpoints[0].url"))).toBe(true);
    expect(problems.some((p) => p.startsWith("endpoints[1].check_intervall"))).toBe(true);

    const garbled = await reload(server, "endpoints: [\n  - url: {{{", "config reload rejected: the running config stays in force");
    expect(String((garbled.problems as string[])[0])).toContain("not valid YAML");

    expect(await endpointNames(server)).toEqual(["alpha"]);
    const res = await chat(server);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-olla-endpoint")).toBe("alpha");
    await res.arrayBuffer();

    // Fixing the file and signalling again applies it.
    const fixed = await reload(server, dmrConfig([A(), B()]));
    expect(fixed.added).toEqual(["beta"]);
  });

  test("logging applies at once; listen address and proxy settings are named as needing a restart", async () => {
    server = await startServer(dmrConfig([A()]));
    const port = server.port;
    // Lines after the switch follow the new level, so the info line "config reloaded" is not written.
    const restart = await reload(
      server,
      dmrConfig([A()], {
        server: { port: port + 1 },
        proxy: { response_header_timeout: "1m" },
        logging: { level: "warn" },
      }),
      "config change needs restart: ignored until then",
    );
    expect(restart.level).toBe("warn");
    expect(restart.settings).toEqual(["server.port", "proxy.response_header_timeout"]);
    expect(server.logs.some((l) => l.msg === "config reloaded")).toBe(false);

    // Still on the old port; info lines (the access log) are no longer written.
    const mark = server.logs.length;
    const res = await fetch(`${server.url}/internal/health`);
    expect(res.status).toBe(200);
    await Bun.sleep(100);
    expect(since(server, mark).filter((l) => l.msg === "request")).toEqual([]);

    // Back to info; the restart-only change is still pending, so it is named again.
    const back = await reload(server, dmrConfig([A()], { server: { port: port + 1 } }));
    expect(back.logging).toEqual({ level: "debug", format: "json" });
    const pending = await server.waitForLog((l) => server!.logs.indexOf(l) > server!.logs.indexOf(back) &&
      l.msg === "config change needs restart: ignored until then");
    expect(pending.settings).toEqual(["server.port"]);
  });
});

describe("--watch", () => {
  test("a changed file is reloaded without a signal", async () => {
    server = await startServer(dmrConfig([A()]), { args: ["--watch"] });
    await server.waitForLog((l) => l.msg === "endpoint healthy" && l.endpoint === "alpha");
    const mark = server.logs.length;
    rewrite(server, dmrConfig([A(), B()]));
    const reloaded = await server.waitForLog((l) => server!.logs.indexOf(l) >= mark && l.msg === "config reloaded", 3000);
    expect(reloaded.trigger).toBe("watch");
    expect(reloaded.added).toEqual(["beta"]);
    await until(async () => (await endpointNames(server!)).length === 2, 2000);
  });
});
