/**
 * Rerank and score through Tureen to the DMR emulator: routed by model, sent to DMR's own
 * paths, the engine's answers (llama.cpp's 404 for /score included) passed through.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type DmrEmulator, startDmr } from "../emulators/dmr.ts";
import { dmrConfig, type ServerUnderTest, startServer } from "../_server.ts";

let dmr: DmrEmulator;
let server: ServerUnderTest;

beforeAll(async () => {
  dmr = await startDmr({ models: [{ tag: "docker.io/ai/bge-reranker:latest" }] });
  server = await startServer(dmrConfig([{ url: dmr.url, name: "dmr", check_interval: "250ms", check_timeout: "250ms" }]));
  await server.waitForLog((l) => l.msg === "endpoint healthy");
}, 30_000);

afterAll(async () => {
  await server?.stop();
  await dmr?.stop();
});

const post = (path: string, body: unknown) =>
  fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

// A health probe (GET) can land after the request under test: look at the last POST.
const lastPost = () => dmr.requests.filter((r) => r.method === "POST").at(-1)!;

const query = { model: "ai/bge-reranker", query: "docker model runner", documents: ["a cat", "docker runs models", "model runner docker"], top_n: 2 };

describe("rerank and score", () => {
  for (const [path, upstream] of [
    ["/olla/dmr/rerank", "/rerank"],
    ["/olla/dmr/engines/v1/rerank", "/engines/rerank"],
    ["/olla/dmr/engines/llama.cpp/rerank", "/engines/llama.cpp/rerank"],
  ] as const) {
    test(`${path} reaches ${upstream} and returns the ranked results`, async () => {
      const response = await post(path, query);
      expect(response.status).toBe(200);
      expect(response.headers.get("x-olla-endpoint")).toBe("dmr");
      const body = await response.json();
      expect(body.results).toHaveLength(2);
      expect(body.results[0].index).toBe(2);
      expect(lastPost().path).toBe(upstream);
    });
  }

  test("/olla/dmr/score passes llama.cpp's 404 through untouched", async () => {
    const response = await post("/olla/dmr/score", { model: "ai/bge-reranker", text_1: "a", text_2: ["b"] });
    expect(response.status).toBe(404);
    expect((await response.json()).error.message).toBe("File Not Found");
    expect(lastPost().path).toBe("/score");
  });

  test("an unknown model is Tureen's 404 and never reaches DMR; GET is not a route", async () => {
    const posts = () => dmr.requests.filter((r) => r.method === "POST").length;
    const before = posts();
    const missing = await post("/olla/dmr/rerank", { ...query, model: "ai/nope" });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe("model_not_found");
    const get = await fetch(`${server.url}/olla/dmr/rerank`);
    expect(get.status).toBe(404);
    expect(posts()).toBe(before);
  });
});
