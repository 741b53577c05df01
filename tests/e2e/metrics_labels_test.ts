/**
 * Model names a client types are bounded in the metrics and the status API: requests for
 * models no endpoint lists are counted (N in, N counted), but past 100 distinct names under
 * `model="other"`, and spellings that route to the same model share one label, so a client
 * cannot grow the proxy's memory or the exposition without end.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type DmrEmulator, startDmr } from "../emulators/dmr.ts";
import { type OllamaEmulator, startOllama } from "../emulators/ollama.ts";
import { type ServerUnderTest, startServer, untilAllHealthy } from "../_server.ts";

let dmr: DmrEmulator;
let ollama: OllamaEmulator;
let server: ServerUnderTest;

beforeAll(async () => {
  dmr = await startDmr({ models: [{ tag: "docker.io/ai/smollm2:latest" }] });
  ollama = await startOllama({ models: [{ name: "llama3.2:latest", digest: "a80c4f17acd5" }], loaded: ["llama3.2"] });
  server = await startServer({
    server: { host: "127.0.0.1", port: 0 },
    endpoints: [
      { url: dmr.url, name: "dmr", type: "docker-model-runner", check_interval: "1s", check_timeout: "1s" },
      { url: ollama.url, name: "ollama", type: "ollama", check_interval: "1s", check_timeout: "1s" },
    ],
  });
  await untilAllHealthy(server);
});

afterAll(async () => {
  await server?.stop();
  await dmr?.stop();
  await ollama?.stop();
});

const scrape = async () => await (await fetch(`${server.url}/internal/metrics`)).text();

const chat = (model: string, path = "/olla/dmr/engines/v1/chat/completions") =>
  fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
  });

/** The model label of every `tureen_requests_total` line with this code, and the line's value. */
function requestLines(text: string, code: string): Map<string, number> {
  const lines = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith("tureen_requests_total{") || !line.includes(`code="${code}"`)) continue;
    lines.set(/model="([^"]*)"/.exec(line)![1]!, Number(line.slice(line.lastIndexOf(" ") + 1)));
  }
  return lines;
}

describe("model labels", () => {
  test("150 made-up model names: 100 labelled, 50 counted as other, the served model still labelled", async () => {
    for (let i = 0; i < 150; i++) {
      const res = await chat(`made-up-${i}`);
      expect(res.status).toBe(404);
      await res.text();
    }
    const ok = await chat("ai/smollm2");
    expect(ok.status).toBe(200);
    await ok.text();
    let text = "";
    for (let i = 0; i < 100 && !text.includes('model="ai/smollm2"'); i++) {
      text = await scrape();
      await Bun.sleep(10);
    }
    const refused = requestLines(text, "404");
    expect(refused.size).toBe(101);
    expect(refused.get("other")).toBe(50);
    expect([...refused.values()].reduce((a, b) => a + b, 0)).toBe(150);
    expect(requestLines(text, "200").get("ai/smollm2")).toBe(1);
    const models = text.split("\n").filter((line) => line.startsWith("olla_model_requests_total{"));
    expect(models.length).toBe(102);
  });

  test("spellings that route to one model share its label, on the type's route and across types", async () => {
    const spellings = ["llama3.2", "LLAMA3.2", "Llama3.2:latest", "lLaMa3.2:LATEST", " llama3.2"];
    for (const [i, model] of spellings.entries()) {
      const res = await chat(model, i % 2 === 0 ? "/olla/ollama/v1/chat/completions" : "/olla/proxy/v1/chat/completions");
      // Routed to the Ollama endpoint either way; what it answers to an odd spelling is its business.
      expect(res.headers.get("x-olla-endpoint")).toBe("ollama");
      await res.text();
    }
    let byModel = new Map<string, number>();
    for (let i = 0; i < 100; i++) {
      byModel = new Map();
      for (const line of (await scrape()).split("\n")) {
        if (!line.startsWith("tureen_requests_total{") || !line.includes('endpoint="ollama"')) continue;
        const model = /model="([^"]*)"/.exec(line)![1]!;
        byModel.set(model, (byModel.get(model) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
      }
      if ([...byModel.values()].reduce((a, b) => a + b, 0) === spellings.length) break;
      await Bun.sleep(10);
    }
    expect(byModel).toEqual(new Map([["llama3.2", spellings.length]]));
  });
});
