/**
 * A profile file beside the config adds a backend type Tureen has no built-in profile for:
 * its prefix is routed, its paths forwarded, nothing else.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type OpenAiServer, startOpenAiServer } from "../emulators/openai_server.ts";
import { type ServerUnderTest, startServer, until } from "../_server.ts";

let backend: OpenAiServer;
let server: ServerUnderTest;

beforeAll(async () => {
  backend = await startOpenAiServer({ type: "vllm", models: ["hf/tgi-model"], name: "tgi" });
  server = await startServer({
    server: { host: "127.0.0.1", port: 0 },
    logging: { level: "debug", format: "json" },
    endpoints: [{ url: backend.url, name: "tgi-1", type: "tgi", check_interval: "1s", check_timeout: "1s" }],
  }, {
    files: {
      "profiles/tgi.yaml":
        "name: tgi\nrouting:\n  prefixes: [tgi]\napi:\n  health_check_path: /health\n  paths: [/v1/models, /v1/chat/completions]\n",
    },
  });
  await until(async () => (await (await fetch(`${server.url}/olla/tgi/v1/models`)).json()).data.length === 1, 5_000);
});

afterAll(async () => {
  await server?.stop();
  await backend?.stop();
});

test("a type from a profile file gets its /olla/<prefix>/ routes and only its listed paths", async () => {
  const res = await fetch(`${server.url}/olla/tgi/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "hf/tgi-model", messages: [] }),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("x-olla-backend-type")).toBe("tgi");
  const refused = await fetch(`${server.url}/olla/tgi/v1/embeddings`, {
    method: "POST",
    body: '{"model":"hf/tgi-model"}',
  });
  expect(refused.status).toBe(404);
  expect(backend.requests.some((r) => r.path === "/v1/embeddings")).toBe(false);
});
