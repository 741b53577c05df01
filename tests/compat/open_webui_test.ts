/**
 * The calls Open WebUI makes to an "OpenAI API" connection whose base URL is
 * http://host:40114/olla/dmr/engines/v1 with any API key: GET {base}/models, then chat on
 * {base}/chat/completions, streamed (the chat window) and plain (titles, tags, follow-ups).
 * Requests carry a bearer key and a browser Origin that DMR itself would refuse with 403;
 * the proxy must drop both before the backend sees them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  CHAT_MODEL,
  type CompatStack,
  expectCompletionTokens,
  expectText,
  lastBody,
  SETUP_TIMEOUT_MS,
  startStack,
} from "./_setup.ts";

const ORIGIN = "http://localhost:3000";
const API_KEY = "sk-whatever";

let stack: CompatStack;

beforeAll(async () => {
  stack = await startStack();
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await stack?.stop();
});

const browserHeaders = (extra: Record<string, string> = {}): Record<string, string> => ({
  Authorization: `Bearer ${API_KEY}`,
  Origin: ORIGIN,
  Accept: "*/*",
  ...extra,
});

const chat = (body: object) =>
  fetch(`${stack.baseURL}/chat/completions`, {
    method: "POST",
    headers: browserHeaders({ "Content-Type": "application/json" }),
    body: JSON.stringify(body),
  });

/** Read an SSE body the way Open WebUI does: line by line, `data: ` payloads, up to `[DONE]`. */
async function readEvents(res: Response): Promise<{ payloads: any[]; done: boolean }> {
  const payloads: any[] = [];
  let done = false;
  let buffer = "";
  const decoder = new TextDecoder();
  const take = (line: string) => {
    if (!line.startsWith("data:")) return;
    const data = line.slice(5).trim();
    if (data === "[DONE]") done = true;
    else payloads.push(JSON.parse(data));
  };
  for await (const chunk of res.body!) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf("\n")) !== -1) {
      take(buffer.slice(0, newline).replace(/\r$/, ""));
      buffer = buffer.slice(newline + 1);
    }
  }
  take(buffer);
  return { payloads, done };
}

/** The emulator's view of the last inference request: neither the key nor the Origin arrived. */
function expectCredentialsAndOriginStripped(): void {
  const seen = stack.dmr.requests.findLast((r) => r.method === "POST")!;
  expect(seen.headers.origin).toBeUndefined();
  expect(seen.headers.authorization).toBeUndefined();
}

describe("Open WebUI connection", () => {
  test("control: DMR itself refuses this browser Origin with 403", async () => {
    const res = await fetch(`${stack.dmr.url}/engines/v1/chat/completions`, {
      method: "POST",
      headers: { Origin: ORIGIN, "Content-Type": "application/json" },
      body: JSON.stringify({ model: CHAT_MODEL, messages: [] }),
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toBe("Origin not allowed\n");
  });

  test("GET {base}/models lists the models Open WebUI offers in its picker", async () => {
    const res = await fetch(`${stack.baseURL}/models`, { headers: browserHeaders() });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    const body = await res.json();
    expect(body.object).toBe("list");
    expect(body.data.map((m: { id: string }) => m.id)).toContain(CHAT_MODEL);
    for (const model of body.data) {
      expect(typeof model.id).toBe("string");
      expect(model.object).toBe("model");
      expect(typeof model.owned_by).toBe("string");
    }
  });

  test("a streamed chat with a browser Origin and a bearer key succeeds, with the usage chunk", async () => {
    const res = await chat({
      model: CHAT_MODEL,
      messages: [
        { role: "system", content: "You are a helpful assistant." },
        { role: "user", content: "What is Docker Model Runner?" },
      ],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(res.headers.get("x-olla-model")).toBe(CHAT_MODEL);
    expect(res.headers.get("x-olla-backend-type")).toBe("docker-model-runner");
    const { payloads, done } = await readEvents(res);
    expect(done).toBe(true);
    const content = payloads.map((p) => p.choices[0]?.delta?.content ?? "").join("");
    expectText(content);
    const usage = payloads.filter((p) => p.usage);
    expect(usage).toHaveLength(1);
    expect(usage[0].choices).toEqual([]);
    expectCompletionTokens(usage[0].usage.completion_tokens);
    expectCredentialsAndOriginStripped();
  });

  test("a plain chat (title generation) with the same headers succeeds", async () => {
    const res = await chat({
      model: CHAT_MODEL,
      messages: [{ role: "user", content: "Generate a concise title for this chat." }],
      stream: false,
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expectText(body.choices[0].message.content);
    expect(lastBody(stack.dmr, "/chat/completions").stream).toBe(false);
    expectCredentialsAndOriginStripped();
  });

  test("a model that is not pulled answers a JSON error whose message Open WebUI can show", async () => {
    const res = await chat({ model: "ai/not-pulled", messages: [{ role: "user", content: "hi" }], stream: true });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    const body = await res.json();
    expect(body.error.code).toBe("model_not_found");
    expect(body.error.message).toContain("ai/not-pulled");
  });
});
