/**
 * Ollama emulator (docs/PROFILES.md, Ollama): `GET /` "Ollama is running", `/api/version`,
 * `/api/tags` (pulled, with digest and details), `/api/ps` (loaded, `expires_at`), native
 * `/api/chat` and `/api/generate` streaming NDJSON by default (one object per line, the last
 * `"done":true`), `/api/embed`, `/api/embeddings`, `/api/show`, and the OpenAI `/v1/*` API.
 * Names without a tag mean `:latest`. A `Host` that is not local gets 403 with an empty body;
 * unknown paths get `404 page not found` as text. Management routes answer 200 so a test can
 * prove Tureen never sent them.
 */
import { paced, type Seen, serveRecorded } from "./_recorder.ts";

export interface OllamaModel {
  name: string;
  digest?: string;
  family?: string;
  parameterSize?: string;
  quantization?: string;
  size?: number;
}

export interface OllamaOptions {
  models?: OllamaModel[];
  /** Names loaded at start (reported by /api/ps). */
  loaded?: string[];
  port?: number;
  /** Delay between NDJSON lines or SSE events. */
  chunkDelayMs?: number;
  /** When set, a streamed native answer sends its first line, then waits for this before the rest. */
  hold?: () => Promise<void>;
  name?: string;
}

export interface OllamaEmulator {
  url: string;
  port: number;
  requests: Seen[];
  models: OllamaModel[];
  loaded: Set<string>;
  stop(): Promise<void>;
}

const LOCAL_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\]|0\.0\.0\.0)(:\d+)?$/;
const withTag = (name: string) => (name.includes(":") ? name : `${name}:latest`);

export async function startOllama(options: OllamaOptions = {}): Promise<OllamaEmulator> {
  const models = options.models ??
    [{
      name: "llama3.2:latest",
      digest: "a80c4f17acd5",
      family: "llama",
      parameterSize: "3.2B",
      quantization: "Q4_K_M",
      size: 2_019_393_189,
    }];
  const state: OllamaEmulator = {
    url: "",
    port: 0,
    requests: [],
    models,
    loaded: new Set((options.loaded ?? []).map(withTag)),
    stop: async () => {},
  };
  const name = options.name ?? "ollama";
  const delay = options.chunkDelayMs ?? 0;
  const find = (model: unknown) =>
    typeof model === "string" ? state.models.find((m) => m.name === withTag(model)) : undefined;
  const details = (m: OllamaModel) => ({
    parent_model: "",
    format: "gguf",
    family: m.family ?? "llama",
    families: [m.family ?? "llama"],
    parameter_size: m.parameterSize ?? "1B",
    quantization_level: m.quantization ?? "Q4_K_M",
  });
  const now = "2026-12-01T12:00:00.000000000Z";

  const server = serveRecorded(options.port, state.requests, (seen, req) => {
    const { method, path } = seen;
    if (!LOCAL_HOST.test(req.headers.get("host") ?? "")) return new Response(null, { status: 403 });
    if (method === "GET" && path === "/") {
      return new Response("Ollama is running", { headers: { "content-type": "text/plain; charset=utf-8" } });
    }
    if (method === "GET" && path === "/api/version") return Response.json({ version: "0.12.3" });
    if (method === "GET" && path === "/api/tags") {
      return Response.json({
        models: state.models.map((m) => ({
          name: m.name,
          model: m.name,
          modified_at: now,
          size: m.size ?? 1_000,
          digest: m.digest ?? "0".repeat(64),
          details: details(m),
        })),
      });
    }
    if (method === "GET" && path === "/api/ps") {
      return Response.json({
        models: state.models.filter((m) => state.loaded.has(m.name)).map((m) => ({
          name: m.name,
          model: m.name,
          size: m.size ?? 1_000,
          digest: m.digest ?? "0".repeat(64),
          details: details(m),
          expires_at: "2026-12-01T12:05:00Z",
          size_vram: m.size ?? 1_000,
          context_length: 4096,
        })),
      });
    }
    if (method === "GET" && path === "/v1/models") {
      return Response.json({
        object: "list",
        data: state.models.map((m) => ({ id: m.name, object: "model", created: 1_764_590_400, owned_by: "library" })),
      });
    }
    if (method === "POST" && path.startsWith("/api/")) {
      if (["/api/pull", "/api/push", "/api/create", "/api/copy", "/api/delete"].includes(path)) {
        return Response.json({ status: "success" });
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(seen.body);
      } catch {
        return Response.json({ error: "invalid character in JSON" }, { status: 400 });
      }
      const model = find(body.model);
      if (!model) return Response.json({ error: `model '${body.model}' not found` }, { status: 404 });
      if (path === "/api/show") {
        return Response.json({
          modelfile: "",
          parameters: "",
          template: "{{ .Prompt }}",
          details: details(model),
          model_info: { "llama.context_length": 131072 },
          capabilities: ["completion"],
        });
      }
      if (path === "/api/embed") {
        return Response.json({
          model: model.name,
          embeddings: [[0.1, 0.2]],
          total_duration: 1,
          load_duration: 0,
          prompt_eval_count: 1,
        });
      }
      if (path === "/api/embeddings") return Response.json({ embedding: [0.1, 0.2] });
      if (path !== "/api/chat" && path !== "/api/generate") {
        return new Response("404 page not found", { status: 404, headers: { "content-type": "text/plain" } });
      }
      state.loaded.add(model.name);
      const chat = path === "/api/chat";
      const piece = (text: string) => chat ? { message: { role: "assistant", content: text } } : { response: text };
      const words = ["Hello", " from", ` ${name}`];
      const final = {
        model: model.name,
        created_at: now,
        ...piece(""),
        done: true,
        done_reason: "stop",
        // Nanoseconds, as Ollama reports them: 3 tokens in 60 ms is 50 tokens/s.
        total_duration: 90_000_000,
        load_duration: 10_000_000,
        prompt_eval_count: 3,
        prompt_eval_duration: 20_000_000,
        eval_count: 3,
        eval_duration: 60_000_000,
      };
      if (body.stream === false) return Response.json({ ...final, ...piece(words.join("")) });
      const lines = words.map((w) =>
        `${JSON.stringify({ model: model.name, created_at: now, ...piece(w), done: false })}\n`
      );
      lines.push(`${JSON.stringify(final)}\n`);
      return paced(lines, delay, "application/x-ndjson", options.hold);
    }
    if (method === "POST" && path.startsWith("/v1/")) {
      const body = JSON.parse(seen.body || "{}");
      const model = find(body.model);
      if (!model) {
        return Response.json({
          error: {
            message: `model "${body.model}" not found, try pulling it first`,
            type: "api_error",
            param: null,
            code: null,
          },
        }, { status: 404 });
      }
      if (body.stream === true) {
        const chunk = (content: string, finish: string | null) =>
          `data: ${
            JSON.stringify({
              id: "chatcmpl-1",
              object: "chat.completion.chunk",
              model: model.name,
              choices: [{ index: 0, delta: { role: "assistant", content }, finish_reason: finish }],
            })
          }\n\n`;
        return paced(
          [chunk("Hello", null), chunk(` from ${name}`, null), chunk("", "stop"), "data: [DONE]\n\n"],
          delay,
          "text/event-stream",
        );
      }
      return Response.json({
        id: "chatcmpl-1",
        object: "chat.completion",
        model: model.name,
        choices: [{ index: 0, message: { role: "assistant", content: `Hello from ${name}` }, finish_reason: "stop" }],
      });
    }
    return new Response("404 page not found", { status: 404, headers: { "content-type": "text/plain" } });
  });
  Object.assign(state, server);
  return state;
}
