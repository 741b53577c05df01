/**
 * Inbound API keys end to end: required on every proxied route, never forwarded or logged,
 * model allow-lists, the /internal policy, and keys added and revoked by SIGHUP.
 */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { stringify } from "yaml";
import { type ServerUnderTest, until } from "../_server.ts";
import { dmrBehindProxy } from "./_setup.ts";

const ALICE = "alice-0123456789abcdef";
const BOB = "bob-0123456789abcdef01";
const CAROL = "carol-0123456789abcdef";

const setup = (auth: Record<string, unknown>) =>
  dmrBehindProxy({ auth }, {
    dmr: { models: [{ tag: "docker.io/ai/smollm2:latest" }, { tag: "docker.io/ai/qwen3:latest" }] },
    server: { env: { ALICE_KEY: ALICE } },
    statusHeaders: { "x-api-key": BOB },
  });

function chat(server: ServerUnderTest, headers: Record<string, string>, model = "ai/smollm2"): Promise<Response> {
  return fetch(`${server.url}/olla/dmr/engines/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
  });
}

const KEYS = {
  keys: [
    { name: "alice", key: "${ALICE_KEY}", models: ["ai/smollm2"] },
    { name: "bob", key: BOB },
  ],
};

describe("inbound API keys", () => {
  test("no key, a wrong key, or a malformed header: 401 OpenAI-style with WWW-Authenticate, nothing reaches a backend", async () => {
    const { server, dmr } = await setup(KEYS);
    for (const headers of [{}, { authorization: "Bearer wrong-key-0123456789" }, { authorization: `Basic ${BOB}` }, { "x-api-key": "" }]) {
      const res = await chat(server, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe("Bearer");
      const { error } = await res.json();
      expect(error.type).toBe("authentication_error");
      expect(error.code).toBe("invalid_api_key");
    }
    const list = await fetch(`${server.url}/olla/dmr/engines/v1/models`);
    expect(list.status).toBe(401);
    expect(dmr.requests.filter((r) => r.method === "POST")).toHaveLength(0);
    // Counted by reason in /internal/metrics (read from loopback, which auth.internal allows).
    const metrics = await (await fetch(`${server.url}/internal/metrics`)).text();
    expect(metrics).toContain('tureen_auth_refusals_total{reason="unknown_key"} 1\n');
    expect(metrics).toContain('tureen_auth_refusals_total{reason="missing_key"} 4\n');
    // Claude Code and the Anthropic SDK read Anthropic's error shape, the key's refusal included.
    const anthropic = await fetch(`${server.url}/olla/anthropic/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "wrong-key-0123456789" },
      body: JSON.stringify({ model: "ai/smollm2", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(anthropic.status).toBe(401);
    expect(await anthropic.json()).toEqual({
      type: "error",
      error: { type: "authentication_error", message: "The API key is not valid: check it, or ask for a new one" },
    });
  });

  test("Bearer or x-api-key is accepted; the key never reaches the backend or the log, its name does", async () => {
    const { server, dmr } = await setup(KEYS);
    expect((await chat(server, { authorization: `Bearer ${BOB}` })).status).toBe(200);
    expect((await chat(server, { "x-api-key": BOB })).status).toBe(200);
    const posts = dmr.requests.filter((r) => r.method === "POST");
    expect(posts).toHaveLength(2);
    for (const request of posts) expect(JSON.stringify(request.headers)).not.toContain(BOB);
    await server.waitForLog((l) => l.msg === "request" && l.key === "bob" && l.status === 200);
    expect(JSON.stringify(server.logs)).not.toContain(BOB);
  });

  test("a model outside the key's allow-list is a 403 naming the model; model lists show only allowed models", async () => {
    const { server, dmr } = await setup(KEYS);
    const denied = await chat(server, { authorization: `Bearer ${ALICE}` }, "ai/qwen3");
    expect(denied.status).toBe(403);
    const { error } = await denied.json();
    expect(error.type).toBe("permission_error");
    expect(error.message).toContain('"ai/qwen3"');
    expect((await chat(server, { authorization: `Bearer ${ALICE}` }, "smollm2")).status).toBe(200);
    const alice = await (await fetch(`${server.url}/olla/dmr/engines/v1/models`, { headers: { authorization: `Bearer ${ALICE}` } })).json();
    expect(alice.data.map((m: { id: string }) => m.id)).toEqual(["ai/smollm2"]);
    const bob = await (await fetch(`${server.url}/olla/dmr/engines/v1/models`, { headers: { "x-api-key": BOB } })).json();
    expect(bob.data.map((m: { id: string }) => m.id).sort()).toEqual(["ai/qwen3", "ai/smollm2"]);
    expect(dmr.requests.filter((r) => r.method === "POST")).toHaveLength(1);
  });

  test("auth.internal: keys puts /internal/status behind a key; /internal/health stays open", async () => {
    const { server } = await setup({ ...KEYS, internal: "keys" });
    expect((await fetch(`${server.url}/internal/status`)).status).toBe(401);
    expect((await fetch(`${server.url}/internal/status`, { headers: { "x-api-key": BOB } })).status).toBe(200);
    expect((await fetch(`${server.url}/internal/health`)).status).toBe(200);
  });

  test("SIGHUP adds and revokes keys without a restart", async () => {
    const { server, config } = await setup(KEYS);
    expect((await chat(server, { "x-api-key": CAROL })).status).toBe(401);
    config.auth = { keys: [{ name: "carol", key: CAROL }] };
    writeFileSync(server.configPath, stringify(config));
    server.signal("SIGHUP");
    await until(async () => (await chat(server, { "x-api-key": CAROL })).status === 200);
    expect((await chat(server, { "x-api-key": BOB })).status).toBe(401);
  });

  test("keys and model lists guard every proxied route: Responses and Anthropic Messages too", async () => {
    const { server, dmr } = await setup(KEYS);
    const post = (path: string, headers: Record<string, string>, body: unknown) =>
      fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    const responses = "/olla/dmr/engines/v1/responses";
    const messages = "/olla/anthropic/v1/messages";
    const anthropicBody = (model: string) => ({ model, max_tokens: 8, messages: [{ role: "user", content: "hi" }] });
    expect((await post(responses, {}, { model: "ai/smollm2", input: "hi" })).status).toBe(401);
    expect((await post(messages, {}, anthropicBody("ai/smollm2"))).status).toBe(401);
    expect((await post(responses, { "x-api-key": ALICE }, { model: "ai/qwen3", input: "hi" })).status).toBe(403);
    expect((await post(messages, { "x-api-key": ALICE }, anthropicBody("ai/qwen3"))).status).toBe(403);
    expect(dmr.requests.filter((r) => r.method === "POST")).toHaveLength(0);
    // Refusals by the routes themselves (the model list) are counted like the key checks before them.
    const metrics = await (await fetch(`${server.url}/internal/metrics`)).text();
    expect(metrics).toContain('tureen_auth_refusals_total{reason="model_not_allowed"} 2\n');
    // The allowed model goes through (whatever the emulator answers to /responses).
    const allowed = await post(responses, { "x-api-key": ALICE }, { model: "ai/smollm2", input: "hi" });
    expect([401, 403]).not.toContain(allowed.status);
    expect(dmr.requests.filter((r) => r.method === "POST")).toHaveLength(1);
  });
});
