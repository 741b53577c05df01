// Docker Model Runner emulator for tests: reproduces the wire behaviour described
// in docs/DMR.md (§10 "What the emulator reproduces"). The engine side
// (llama-server response shapes) lives in _dmr_engine.ts, the model store in _dmr_store.ts.

import {
  completionBody,
  contextSizeError,
  embeddingsResponse,
  engineError,
  rerankResponse,
  streamEvents,
  type EngineOp,
  type Json,
} from "./_dmr_engine.ts";
import { ABORTED, RunnerPool, sleep, type Mode } from "./_dmr_runners.ts";
import { findModel, formatOf, modelDigest, normaliseRef, openAIModel, storeModel } from "./_dmr_store.ts";

export { normaliseRef };

export interface EmulatedModel {
  /** Stored, fully-qualified tag, e.g. "docker.io/ai/smollm2:latest" or "huggingface.co/bartowski/foo:Q4_K_M". */
  tag: string;
  /** "gguf" (default) or "safetensors". */
  format?: "gguf" | "safetensors";
  /** Package time (unix seconds) reported as `created`. Default 1742816981. */
  created?: number;
}

export interface DmrOptions {
  models?: EmulatedModel[];
  port?: number;
  /** Cold-load delay before ANY byte (headers included) of the first inference per (model, mode). */
  loadDelayMs?: number;
  /** Runner stays loaded this long after its last request ends. */
  keepAliveMs?: number;
  /** If set, loads fail with 500 "unable to load runner: error waiting for runner to be ready: <failLoad>". */
  failLoad?: string | null;
  /** Delay between SSE events (and per token of a non-streamed generation). */
  chunkDelayMs?: number;
  tokens?: string[];
  /** `model` in engine responses: request's model string, "model.gguf", or "sha256:<hex>". */
  responseModel?: "echo" | "file" | "digest";
  engines?: Record<string, string>;
  /** After the first content delta send `data: {"error":{...}}\n\n` and close without [DONE]. */
  midStreamError?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  search: string;
  headers: Record<string, string>;
  body: Uint8Array;
  /** Set when the client disconnected before the response finished. */
  aborted: boolean;
  /** Set when the response body was fully written. */
  completed: boolean;
}

export interface DmrEmulator {
  url: string;
  port: number;
  requests: RecordedRequest[];
  options: DmrOptions;
  loaded(): string[];
  unloadAll(): void;
  waitForAbort(pathSuffix: string, timeoutMs?: number): Promise<RecordedRequest>;
  stop(): Promise<void>;
}

const DEFAULT_MODELS: readonly EmulatedModel[] = [{ tag: "docker.io/ai/smollm2:latest" }];
/** As DMR v1.2.9 on Linux without GPU reports them (every engine it knows, installed or not). */
const DEFAULT_ENGINES: Readonly<Record<string, string>> = {
  diffusers: "Not Installed",
  "llama.cpp": "Running: llama.cpp version: c55bce4",
  mlx: "Not Installed: only supported on Apple Silicon",
  sglang: "Not Installed: package not installed",
  vllm: "Not Installed: binary not found",
};
const DEFAULT_TOKENS: readonly string[] = ["Hello", " from", " DMR"];
const DEFAULT_BACKEND = "llama.cpp";
const MAX_INFERENCE_BODY = 10 * 1024 * 1024; // maximumOpenAIInferenceRequestSize (§4)

/** Literal origins DMR always allows; matching is exact (§7). */
const ALLOWED_ORIGINS = new Set(
  ["localhost", "127.0.0.1", "0.0.0.0"].flatMap((host) =>
    ["http", "https"].flatMap((scheme) => [`${scheme}://${host}`, `${scheme}://${host}:*`]),
  ),
);
const CORS_SCOPE = /^\/(engines|models|api|anthropic|responses)(\/|$)/;

const INFERENCE_ROUTE = /^\/engines(?:\/([^/]+))?\/(v1\/chat\/completions|v1\/completions|v1\/embeddings|rerank|score)$/;
const MODELS_ROUTE = /^\/engines(?:\/[^/]+)?\/v1\/models(?:\/(.+))?$/;

// ---------------------------------------------------------------- helpers

/** Go `http.Error`: text/plain, nosniff, message + "\n" (§4). */
function textError(status: number, message: string): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff" },
  });
}

/** The ref is quoted with Go's %q, which JSON string syntax matches for ordinary refs (§4). */
function modelNotFound(ref: string): Response {
  return textError(404, `error while getting model: get model '${JSON.stringify(ref)}': model not found`);
}

/** DMR's own JSON answers: no charset, trailing newline (§7). */
function dmrJson(body: unknown, status = 200): Response {
  return new Response(`${JSON.stringify(body)}\n`, { status, headers: { "Content-Type": "application/json" } });
}

function parseJson(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(new TextDecoder().decode(bytes)) };
  } catch {
    return { ok: false };
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------- emulator

export async function startDmr(options: DmrOptions = {}): Promise<DmrEmulator> {
  // A private, mutable copy: tests change `emulator.options` between requests.
  const opts: DmrOptions = {
    ...options,
    models: [...(options.models ?? DEFAULT_MODELS.map((m) => ({ ...m })))],
    engines: { ...(options.engines ?? DEFAULT_ENGINES) },
    tokens: [...(options.tokens ?? DEFAULT_TOKENS)],
  };

  const requests: RecordedRequest[] = [];
  const runners = new RunnerPool(() => ({
    loadDelayMs: opts.loadDelayMs ?? 0,
    keepAliveMs: opts.keepAliveMs ?? 300_000,
    failLoad: opts.failLoad ?? null,
  }));

  const models = () => opts.models ?? [];
  const engines = () => opts.engines ?? DEFAULT_ENGINES;
  const hasBackend = (name: string) => Object.hasOwn(engines(), name);

  // ------------------------------------------------------------ responses

  /** SSE body written one event per chunk, `chunkDelayMs` apart (§5). */
  function sseResponse(events: readonly string[], rec: RecordedRequest, signal: AbortSignal, done: () => void) {
    const encoder = new TextEncoder();
    let next = 0;
    let finished = false;
    const finish = (aborted: boolean) => {
      if (finished) return;
      finished = true;
      if (aborted) rec.aborted = true;
      else rec.completed = true;
      done();
    };
    signal.addEventListener("abort", () => finish(true), { once: true });
    const stream = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (next > 0) await sleep(opts.chunkDelayMs ?? 0, signal);
          if (finished) return;
          controller.enqueue(encoder.encode(events[next++]));
          if (next === events.length) {
            finish(false);
            controller.close();
          }
        },
        cancel() {
          finish(true);
        },
      },
      { highWaterMark: 0 },
    );
    return new Response(stream, {
      status: 200,
      headers: { "Content-Type": "text/event-stream", Server: "llama.cpp", "X-Accel-Buffering": "no" },
    });
  }

  function responseModel(sent: string, digest: string): string {
    switch (opts.responseModel ?? "echo") {
      case "file":
        return "model.gguf";
      case "digest":
        return `sha256:${digest}`;
      default:
        return sent;
    }
  }

  // ------------------------------------------------------------ handlers

  /** Inference path: validation order of §10.6, lazy load (§10.7), then the engine. */
  async function handleInference(
    pathBackend: string | undefined,
    route: string,
    req: Request,
    rec: RecordedRequest,
  ): Promise<Response> {
    let backend = pathBackend ?? DEFAULT_BACKEND;
    if (pathBackend !== undefined && !hasBackend(pathBackend)) return textError(404, "backend not found");
    if (rec.body.length > MAX_INFERENCE_BODY) return textError(400, "request too large");
    const parsed = parseJson(rec.body);
    if (!parsed.ok) return textError(400, "invalid request");
    // Go decodes JSON `null` into the zero struct, so it reads as "no model".
    const body: Json = parsed.value === null ? {} : (parsed.value as Json);
    if (!isObject(body)) return textError(400, "invalid request");
    if (body.model !== undefined && body.model !== null && typeof body.model !== "string") {
      return textError(400, "invalid request");
    }
    const modelRef = (body.model as string | null | undefined) ?? "";
    if (modelRef === "") return textError(400, "model is required");
    const model = findModel(models(), modelRef);
    if (!model) {
      return modelNotFound(modelRef);
    }
    // Format override (§3): safetensors go to vLLM when registered; GGUF keeps the path backend.
    if (formatOf(model) === "safetensors" && hasBackend("vllm")) backend = "vllm";
    if (backend === "vllm" && engines().vllm?.startsWith("Not Installed")) {
      return textError(412, "vLLM binary not found");
    }

    const reranking = route === "rerank" || route === "score";
    const mode: Mode = route === "v1/embeddings" ? "embedding" : reranking ? "reranking" : "completion";
    const tag = normaliseRef(model.tag);
    const acquired = await runners.acquire({ key: `${tag}|${mode}`, tag, mode, backend, modelName: modelRef }, req.signal);
    if (acquired === ABORTED) return new Response(null, { status: 499 }); // nobody is listening
    if ("error" in acquired) return textError(500, acquired.error);
    const runner = acquired;

    if (req.headers.get("x-preload-only") === "true") {
      runners.release(runner);
      return new Response(null, { status: 200 });
    }

    const model_ = responseModel(modelRef, modelDigest(model));
    if (mode !== "completion") {
      runners.release(runner);
      if (route === "v1/embeddings") return embeddingsResponse(body, model_);
      if (route === "rerank") return rerankResponse(body, model_);
      return engineError(404, "File Not Found", "not_found_error"); // llama.cpp has no /score (§6)
    }

    if (typeof body.max_tokens === "number" && body.max_tokens > 100_000) {
      runners.release(runner);
      return contextSizeError();
    }
    const op: EngineOp = route === "v1/chat/completions" ? "chat" : "text";
    const generation = { op, model: model_, tokens: opts.tokens ?? DEFAULT_TOKENS, body };
    if (body.stream === true) {
      const events = streamEvents(generation, opts.midStreamError === true);
      return sseResponse(events, rec, req.signal, () => runners.release(runner));
    }
    // A non-streamed answer takes as long as streaming its tokens would.
    await sleep((opts.chunkDelayMs ?? 0) * generation.tokens.length, req.signal);
    runners.release(runner);
    return new Response(JSON.stringify(completionBody(generation)), {
      headers: { "Content-Type": "application/json; charset=utf-8", Server: "llama.cpp" },
    });
  }

  function handleModelsCreate(req: Request, rec: RecordedRequest): Response {
    const parsed = parseJson(rec.body);
    const value = parsed.ok && isObject(parsed.value) ? parsed.value.from : undefined;
    const from = typeof value === "string" ? value.trim() : "";
    if (from === "") return textError(400, "Invalid model reference");
    let model = findModel(models(), from);
    if (!model) {
      model = { tag: normaliseRef(from) };
      models().push(model);
    }
    const digest = `sha256:${modelDigest(model)}`;
    const size = 268_803_520;
    const lines: Json[] = [
      { type: "progress", message: "Downloaded: 256.35 MB", total: size, layer: { id: digest, size, current: size }, mode: "pull" },
      { type: "success", message: `Model pulled successfully: ${model.tag}`, mode: "pull" },
    ];
    // Without Accept: application/json, DMR HTML-escapes the JSON lines (§1d).
    const raw = (req.headers.get("accept") ?? "").includes("application/json");
    const escape = (s: string) =>
      raw ? s : s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" })[c]!);
    return new Response(lines.map((l) => `${escape(JSON.stringify(l))}\n`).join(""), {
      headers: { "Content-Type": raw ? "application/json" : "text/plain" },
    });
  }

  function handleModelsPath(method: string, name: string): Response {
    const model = findModel(models(), name, true);
    if (!model) return textError(404, "model not found");
    if (method === "GET") return dmrJson(storeModel(model));
    const list = models();
    list.splice(list.indexOf(model), 1);
    return dmrJson([{ Untagged: model.tag }, { Deleted: `sha256:${modelDigest(model)}` }]);
  }

  async function dispatch(path: string, req: Request, rec: RecordedRequest): Promise<Response> {
    const method = req.method;
    if (path === "/" && method === "GET") {
      return new Response("Docker Model Runner is running", { headers: { "Content-Type": "text/plain; charset=utf-8" } });
    }
    if (path === "/version" && method === "GET") return dmrJson({ version: "v0.0.0-emulator" });

    if (path.startsWith("/engines/") || path === "/engines") {
      if (method === "GET" && path === "/engines/status") return dmrJson(engines());
      if (method === "GET" && path === "/engines/ps") return dmrJson(runners.ps());
      if (method === "POST" && path === "/engines/unload") {
        const parsed = parseJson(rec.body);
        if (!parsed.ok || !isObject(parsed.value)) return textError(400, "invalid request");
        const body = parsed.value;
        const tags = (Array.isArray(body.models) ? body.models : []).flatMap((ref) => {
          const model = typeof ref === "string" ? findModel(models(), ref) : undefined;
          return model ? [normaliseRef(model.tag)] : [];
        });
        const backend = typeof body.backend === "string" ? body.backend : undefined;
        return dmrJson({ unloaded_runners: runners.unloadIdle({ all: body.all === true, backend, tags }) });
      }
      const models_ = MODELS_ROUTE.exec(path);
      if (method === "GET" && models_) {
        if (models_[1] === undefined) return dmrJson({ object: "list", data: models().map(openAIModel) });
        const name = decodeURIComponent(models_[1]);
        const model = findModel(models(), name);
        if (!model) return modelNotFound(name);
        return dmrJson(openAIModel(model));
      }
      const inference = INFERENCE_ROUTE.exec(path);
      if (method === "POST" && inference) return handleInference(inference[1], inference[2]!, req, rec);
      return textError(404, "not found");
    }

    if (path === "/models" && method === "GET") return dmrJson(models().map(storeModel));
    if (path === "/models/create" && method === "POST") return handleModelsCreate(req, rec);
    if (path.startsWith("/models/") && (method === "GET" || method === "DELETE")) {
      return handleModelsPath(method, decodeURIComponent(path.slice("/models/".length)));
    }
    return textError(404, "404 page not found"); // Go's http.NotFound
  }

  /** Path cleaning, `/v1`, `/rerank`, `/score` aliases (§1b), CORS (§7), then routing. */
  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const rec: RecordedRequest = {
      method: req.method,
      path: url.pathname,
      search: url.search,
      headers: Object.fromEntries(req.headers),
      body: new Uint8Array(0),
      aborted: false,
      completed: false,
    };
    requests.push(rec);
    const onAbort = () => {
      if (!rec.completed) rec.aborted = true;
    };
    req.signal.addEventListener("abort", onAbort, { once: true });
    try {
      rec.body = new Uint8Array(await req.arrayBuffer());
    } catch {
      return textError(500, "failed to read request body");
    }

    let path = url.pathname.replace(/\/{2,}/g, "/");
    if (path === "/v1" || path.startsWith("/v1/")) path = `/engines${path}`;
    else if (path === "/rerank" || path === "/score") path = `/engines${path}`;

    const origin = req.headers.get("origin");
    let allowOrigin: string | undefined;
    if (origin && CORS_SCOPE.test(path)) {
      if (!ALLOWED_ORIGINS.has(origin)) return finish(textError(403, "Origin not allowed"));
      if (req.method === "OPTIONS") {
        const headers = {
          "Access-Control-Allow-Origin": origin,
          "Access-Control-Allow-Credentials": "true",
          "Access-Control-Allow-Methods": "GET, POST, DELETE",
          "Access-Control-Allow-Headers": "*",
        };
        return finish(new Response(null, { status: 204, headers }));
      }
      allowOrigin = origin;
    }
    const res = await dispatch(path, req, rec);
    if (allowOrigin) res.headers.set("Access-Control-Allow-Origin", allowOrigin);
    // SSE bodies mark completion themselves, when their last event is written.
    return res.headers.get("Content-Type") === "text/event-stream" ? res : finish(res);

    function finish(response: Response): Response {
      if (!rec.aborted && !req.signal.aborted) rec.completed = true;
      return response;
    }
  }

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: opts.port ?? 0,
    idleTimeout: 0, // DMR has no idle/write timeout; cold loads are silent (§0, §5)
    fetch: handle,
  });
  const port = server.port!;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    options: opts,
    loaded: () => runners.loadedKeys(),
    unloadAll: () => runners.unloadReady(),
    async waitForAbort(pathSuffix, timeoutMs = 2_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = requests.find((r) => r.aborted && r.path.endsWith(pathSuffix));
        if (hit) return hit;
        if (Date.now() >= deadline) {
          throw new Error(`no aborted request ending with ${pathSuffix} within ${timeoutMs} ms`);
        }
        await sleep(10);
      }
    },
    async stop() {
      runners.clear();
      await server.stop(true);
    },
  };
}
