/**
 * Responses API affinity across the server's life: it survives a SIGHUP reload, and when the
 * endpoint holding a conversation leaves the config (or is down) the client gets a clear
 * JSON answer instead of another instance's 404.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { stringify } from "yaml";
import { type DmrApisEmulator, startDmrApis } from "../emulators/dmr_apis.ts";
import { dmrConfig, type ServerUnderTest, startServer } from "../_server.ts";

let alpha: DmrApisEmulator;
let beta: DmrApisEmulator;
let server: ServerUnderTest;

const config = (names: Array<"alpha" | "beta">) =>
  dmrConfig(
    names.map((name) => ({ url: (name === "alpha" ? alpha : beta).url, name, check_interval: "1s", check_timeout: "1s" })),
    { proxy: { load_balancer: "round-robin" } },
  );

beforeAll(async () => {
  alpha = await startDmrApis();
  beta = await startDmrApis();
  server = await startServer(config(["alpha", "beta"]));
  await server.waitForLog((l) => l.msg === "endpoint healthy" && l.endpoint === "alpha");
  await server.waitForLog((l) => l.msg === "endpoint healthy" && l.endpoint === "beta");
}, 30_000);

afterAll(async () => {
  await server?.stop();
  await alpha?.stop();
  await beta?.stop();
});

async function reload(names: Array<"alpha" | "beta">): Promise<void> {
  const mark = server.logs.length;
  writeFileSync(server.configPath, stringify(config(names)));
  server.signal("SIGHUP");
  await server.waitForLog((l) => server.logs.indexOf(l) >= mark && l.msg === "config reloaded", 5_000);
}

function create(previous?: string): Promise<Response> {
  return fetch(`${server.url}/olla/dmr/engines/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "ai/smollm2", input: "hi", previous_response_id: previous }),
  });
}

/** A conversation opened on `name` (round-robin: retry until it lands there). */
async function openOn(name: "alpha" | "beta"): Promise<string> {
  for (let i = 0; i < 4; i++) {
    const response = await create();
    const body = await response.json();
    if (response.headers.get("x-olla-endpoint") === name) return body.id;
  }
  throw new Error(`no conversation landed on ${name}`);
}

describe("Responses API affinity", () => {
  test("survives a SIGHUP reload that keeps the endpoint", async () => {
    const id = await openOn("beta");
    await reload(["alpha", "beta"]);
    for (let i = 0; i < 2; i++) {
      const followUp = await create(id);
      expect(followUp.status).toBe(200);
      expect(followUp.headers.get("x-olla-endpoint")).toBe("beta");
    }
  });

  test("a follow-up to an endpoint that left the config is a 409 saying the state is lost; a read is a 404", async () => {
    const id = await openOn("beta");
    await reload(["alpha"]);
    try {
      const followUp = await create(id);
      expect(followUp.status).toBe(409);
      const body = await followUp.json();
      expect(body.error.code).toBe("response_state_lost");
      expect(body.error.message).toContain('endpoint "beta"');
      const read = await fetch(`${server.url}/olla/dmr/engines/v1/responses/${id}`);
      expect(read.status).toBe(404);
      expect((await read.json()).error.code).toBe("response_state_lost");
      // Nothing reached alpha for that conversation.
      expect(alpha.requests.some((r) => new TextDecoder().decode(r.body).includes(id))).toBe(false);
    } finally {
      await reload(["alpha", "beta"]);
    }
  });

  test("an unknown id on GET is a JSON 404 that never reaches a backend; paths outside the API stay closed", async () => {
    const before = alpha.requests.length + beta.requests.length;
    const read = await fetch(`${server.url}/olla/dmr/engines/v1/responses/resp_unknown/input_items`);
    expect(read.status).toBe(404);
    expect((await read.json()).error.code).toBe("response_not_found");
    const put = await fetch(`${server.url}/olla/dmr/engines/v1/responses/resp_x`, { method: "PUT" });
    expect(put.status).toBe(404);
    expect((await put.json()).error.code).toBe("route_not_found");
    expect(alpha.requests.length + beta.requests.length).toBe(before);
  });
});
