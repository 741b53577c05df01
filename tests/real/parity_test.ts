/**
 * Emulator parity: the same requests to the DMR emulators (dmr.ts behind dmr_apis.ts) and to a real Docker Model Runner
 * (same model names), compared on status, content type and JSON shape (keys and value types).
 * Every difference must be listed in tests/emulators/real_differences.ts with the reason the
 * emulator keeps it; an unlisted one fails here, naming the probe and the difference.
 */
import { afterAll, beforeAll, describe, expect } from "bun:test";
import type { DmrEmulator } from "../emulators/dmr.ts";
import { startDmrApis } from "../emulators/dmr_apis.ts";
import { DELIBERATE_DIFFERENCES } from "../emulators/real_differences.ts";
import { type Backend, REAL_TIMEOUT_MS, realTest, startRealDmr, stopAll } from "./_backends.ts";
import { REAL_ENABLED } from "./_enabled.ts";

let emulator: DmrEmulator;
let real: Backend;

beforeAll(async () => {
  if (!REAL_ENABLED) return;
  [emulator, real] = await Promise.all([
    // The seed emulator with the APIs DMR serves beyond the seed (Anthropic Messages, Responses) in front.
    startDmrApis({ models: [{ tag: "docker.io/ai/smollm2:latest" }, { tag: "docker.io/ai/mxbai-embed-large:latest" }] }),
    startRealDmr("alpha", { embedding: ["ai/mxbai-embed-large"], name: "parity" }),
  ]);
}, REAL_TIMEOUT_MS);

afterAll(async () => {
  await emulator?.stop();
  await stopAll();
});

interface Probe {
  method?: string;
  path: string;
  body?: string | object;
  headers?: Record<string, string>;
}

const CHAT = { model: "ai/smollm2", messages: [{ role: "user", content: "hi" }], max_tokens: 4 };

/** Probes in order: the load-dependent ones (/engines/ps) come after a request loaded the model. */
export const PROBES: Record<string, Probe> = {
  "GET /": { path: "/" },
  "GET /engines/status": { path: "/engines/status" },
  "GET /engines/v1/models": { path: "/engines/v1/models" },
  "GET /engines/v1/models/{id}": { path: "/engines/v1/models/ai/smollm2" },
  "GET /engines/v1/models/{unknown}": { path: "/engines/v1/models/ai/not-pulled" },
  "GET /models": { path: "/models" },
  "GET /models/{name}": { path: "/models/ai/smollm2" },
  chat: { method: "POST", path: "/engines/v1/chat/completions", body: CHAT },
  "chat stream": { method: "POST", path: "/engines/v1/chat/completions", body: { ...CHAT, stream: true, stream_options: { include_usage: true } } },
  completions: { method: "POST", path: "/engines/v1/completions", body: { model: "ai/smollm2", prompt: "hi", max_tokens: 4 } },
  embeddings: { method: "POST", path: "/engines/v1/embeddings", body: { model: "ai/mxbai-embed-large", input: ["a", "b"] } },
  "embeddings, empty input": { method: "POST", path: "/engines/v1/embeddings", body: { model: "ai/mxbai-embed-large", input: [] } },
  "GET /engines/ps": { path: "/engines/ps" },
  "chat, unknown model": { method: "POST", path: "/engines/v1/chat/completions", body: { ...CHAT, model: "ai/not-pulled" } },
  "chat, no model": { method: "POST", path: "/engines/v1/chat/completions", body: { messages: [] } },
  "chat, malformed JSON": { method: "POST", path: "/engines/v1/chat/completions", body: "{not json" },
  "chat, browser Origin": { method: "POST", path: "/engines/v1/chat/completions", body: CHAT, headers: { origin: "http://evil.example" } },
  "chat on vllm (Not Installed)": { method: "POST", path: "/engines/vllm/v1/chat/completions", body: CHAT },
  "chat on an unknown engine": { method: "POST", path: "/engines/nope/v1/chat/completions", body: CHAT },
  "POST /engines/unload": { method: "POST", path: "/engines/unload", body: { all: true } },
  "anthropic messages": { method: "POST", path: "/anthropic/v1/messages", body: { ...CHAT, max_tokens: 4 } },
  "responses API": { method: "POST", path: "/v1/responses", body: { model: "ai/smollm2", input: "hi", max_output_tokens: 4 } },
  "unknown path": { path: "/nope" },
  "unknown path under /engines": { path: "/engines/anything-else" },
  "GET on an inference path": { path: "/engines/v1/chat/completions" },
  "Ollama API tags": { path: "/api/tags" },
  rerank: { method: "POST", path: "/engines/v1/rerank", body: { model: "ai/mxbai-embed-large", query: "a", documents: ["a b", "c"] } },
};

/** Keys and value types, recursively; an array by its first element. */
export function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 0 ? [shape(value[0])] : [];
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, shape((value as Record<string, unknown>)[k])]));
  }
  return value === null ? "null" : typeof value;
}

/** Paths where two shapes differ: "+a.b" only real, "-a.b" only emulator, "a.b: x vs y" type. */
export function shapeDiff(real: unknown, emulated: unknown, path = ""): string[] {
  const at = (key: string) => (path ? `${path}.${key}` : key);
  if (Array.isArray(real) && Array.isArray(emulated)) {
    if (real.length === 0 || emulated.length === 0) return [];
    return shapeDiff(real[0], emulated[0], `${path}[]`);
  }
  if (typeof real === "object" && real !== null && typeof emulated === "object" && emulated !== null && !Array.isArray(real) && !Array.isArray(emulated)) {
    const keys = new Set([...Object.keys(real), ...Object.keys(emulated)]);
    return [...keys].sort().flatMap((key) => {
      if (!(key in emulated)) return [`+${at(key)}`];
      if (!(key in real)) return [`-${at(key)}`];
      return shapeDiff((real as Record<string, unknown>)[key], (emulated as Record<string, unknown>)[key], at(key));
    });
  }
  return JSON.stringify(real) === JSON.stringify(emulated) ? [] : [`${path || "body"}: ${JSON.stringify(real)} vs ${JSON.stringify(emulated)}`];
}

interface Seen {
  status: number;
  type: string;
  body: unknown;
}

async function observe(send: (path: string, init: RequestInit) => Promise<Response>, probe: Probe): Promise<Seen> {
  const res = await send(probe.path, {
    method: probe.method ?? "GET",
    headers: { "content-type": "application/json", ...probe.headers },
    body: probe.body === undefined ? undefined : typeof probe.body === "string" ? probe.body : JSON.stringify(probe.body),
  });
  const type = (res.headers.get("content-type") ?? "").split(";")[0]!;
  const text = await res.text();
  let body: unknown = type === "text/plain" ? text.trim() : shapeOfText(text);
  if (type === "text/event-stream") {
    const events = text.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
    const parsed = events.filter((e) => e !== "[DONE]").map((e) => JSON.parse(e));
    // First chunk, a content chunk, the usage chunk, and the terminator.
    body = { first: shape(parsed[0]), usage: shape(parsed.find((e) => e.usage)), done: events.at(-1) };
  }
  return { status: res.status, type, body };
}

function shapeOfText(text: string): unknown {
  try {
    return shape(JSON.parse(text));
  } catch {
    return text === "" ? "" : "non-JSON text";
  }
}

describe.skipIf(!REAL_ENABLED)("emulator parity with a real DMR", () => {
  realTest("every difference on the wire is one the emulator documents as deliberate", async () => {
    const undocumented: string[] = [];
    const report: string[] = [];
    for (const [name, probe] of Object.entries(PROBES)) {
      const r = await observe(real.fetch, probe);
      const e = await observe((path, init) => fetch(emulator.url + path, init), probe);
      const diffs: string[] = [];
      if (r.status !== e.status) diffs.push(`status ${r.status} vs ${e.status}`);
      if (r.type !== e.type) diffs.push(`content-type ${r.type || "none"} vs ${e.type || "none"}`);
      if (typeof r.body === "string" || typeof e.body === "string") {
        if (r.body !== e.body) diffs.push(`body ${JSON.stringify(r.body)} vs ${JSON.stringify(e.body)}`);
      } else {
        diffs.push(...shapeDiff(r.body, e.body));
      }
      const documented = DELIBERATE_DIFFERENCES[name]?.differences ?? [];
      for (const diff of diffs) {
        report.push(`${name}: ${diff}`);
        if (!documented.some((d) => diff.startsWith(d))) undocumented.push(`${name}: ${diff}`);
      }
    }
    if (process.env.TUREEN_PARITY_REPORT) console.log(report.join("\n"));
    expect(undocumented).toEqual([]);
  }, 120_000);
});
