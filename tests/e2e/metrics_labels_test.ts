/**
 * Model names a client types are bounded in the metrics and the status API: requests for
 * models no endpoint lists are counted (N in, N counted), but past 100 distinct names under
 * `model="other"`, so a client cannot grow the proxy's memory or the exposition without end.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type DmrEmulator, startDmr } from "../emulators/dmr.ts";
import { dmrConfig, type ServerUnderTest, startServer } from "../_server.ts";

let dmr: DmrEmulator;
let server: ServerUnderTest;

beforeAll(async () => {
  dmr = await startDmr({ models: [{ tag: "docker.io/ai/smollm2:latest" }] });
  server = await startServer(dmrConfig([{ url: dmr.url, name: "dmr" }]));
});

afterAll(async () => {
  await server?.stop();
  await dmr?.stop();
});

const chat = (model: string) =>
  fetch(`${server.url}/olla/dmr/engines/v1/chat/completions`, {
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
      text = await (await fetch(`${server.url}/internal/metrics`)).text();
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
});
