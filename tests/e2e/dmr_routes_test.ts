/**
 * The eight seed routes end to end: real server process, emulated DMR backends.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type DmrEmulator, startDmr } from "../emulators/dmr.ts";
import { dmrConfig, type ServerUnderTest, startServer } from "../_server.ts";

let alpha: DmrEmulator;
let beta: DmrEmulator;
let server: ServerUnderTest;

beforeAll(async () => {
  alpha = await startDmr({
    models: [
      { tag: "docker.io/ai/smollm2:latest", created: 1734000000 },
      { tag: "docker.io/ai/mxbai-embed-large:latest", created: 1734000002 },
    ],
  });
  beta = await startDmr({
    models: [{ tag: "docker.io/ai/smollm2:latest" }, { tag: "docker.io/ai/llama3.2:latest", created: 1734000001 }],
  });
  server = await startServer(
    dmrConfig([
      { url: alpha.url, name: "alpha", priority: 100, headers: { "X-Backend-Token": "${TUREEN_TEST_TOKEN}" } },
      { url: beta.url, name: "beta", priority: 50 },
    ]),
    { env: { TUREEN_TEST_TOKEN: "sekret" } },
  );
});

afterAll(async () => {
  await server?.stop();
  await alpha?.stop();
  await beta?.stop();
});

const inference = (emu: DmrEmulator) => emu.requests.filter((r) => r.method === "POST");

function post(path: string, body: string | object, headers: Record<string, string> = {}) {
  return fetch(server.url + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

describe("GET /olla/dmr/engines[/engine]/v1/models", () => {
  test("/engines/vllm/v1/models lists nothing when no endpoint runs vLLM", async () => {
    const body = await (await fetch(`${server.url}/olla/dmr/engines/vllm/v1/models`)).json();
    expect(body).toEqual({ object: "list", data: [] });
  });

  for (const path of ["/engines/v1/models", "/engines/llama.cpp/v1/models"]) {
    test(`${path} lists models merged across endpoints in the seed's shape`, async () => {
      const res = await fetch(`${server.url}/olla/dmr${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("application/json");
      const body = await res.json();
      expect(body.object).toBe("list");
      expect(body.data).toEqual([
        { id: "ai/smollm2", object: "model", created: 1734000000, owned_by: "ai" },
        { id: "ai/mxbai-embed-large", object: "model", created: 1734000002, owned_by: "ai" },
        { id: "ai/llama3.2", object: "model", created: 1734000001, owned_by: "ai" },
      ]);
    });
  }
});

describe("POST inference routes", () => {
  const routes = [
    ["/engines/v1/chat/completions", { model: "ai/smollm2", messages: [{ role: "user", content: "hi" }] }],
    ["/engines/v1/completions", { model: "ai/smollm2", prompt: "Docker Model Runner is" }],
    ["/engines/v1/embeddings", { model: "ai/mxbai-embed-large", input: "hello" }],
    ["/engines/llama.cpp/v1/chat/completions", { model: "ai/smollm2", messages: [{ role: "user", content: "hi" }] }],
    ["/engines/llama.cpp/v1/completions", { model: "ai/smollm2", prompt: "x" }],
    ["/engines/llama.cpp/v1/embeddings", { model: "ai/mxbai-embed-large", input: ["a", "b"] }],
  ] as const;
  for (const [path, payload] of routes) {
    test(`${path} is forwarded byte for byte to the same path minus /olla/dmr`, async () => {
      // Odd spacing and key order must survive: the proxy reads the body, it never re-serialises it.
      const raw = `{ "model" : "${payload.model}",\n  ${JSON.stringify(payload).slice(1).replace(/"model":"[^"]*",?/, "")}`;
      const before = inference(alpha).length;
      const res = await post(`/olla/dmr${path}`, raw);
      expect(res.status).toBe(200);
      const received = inference(alpha).slice(before);
      expect(received).toHaveLength(1);
      expect(received[0]!.path).toBe(path);
      expect(new TextDecoder().decode(received[0]!.body)).toBe(raw);
      await res.json();
    });
  }

  test("the vllm engine path is a 503 naming the engine when no endpoint runs vLLM, and never reaches a backend", async () => {
    const before = inference(alpha).length + inference(beta).length;
    const res = await post("/olla/dmr/engines/vllm/v1/chat/completions", { model: "ai/smollm2", messages: [] });
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body.error.code).toBe("engine_unavailable");
    expect(body.error.message).toContain("vllm");
    expect(body.error.message).toContain("alpha, beta");
    expect(inference(alpha).length + inference(beta).length).toBe(before);
  });

  test("short model names are normalised as DMR does and routed to an endpoint that has the model", async () => {
    for (const name of ["llama3.2", "ai/Llama3.2:latest", "docker.io/ai/llama3.2", "index.docker.io/ai/llama3.2:latest"]) {
      const res = await post("/olla/dmr/engines/v1/chat/completions", { model: name, messages: [] });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-olla-endpoint")).toBe("beta");
      expect(res.headers.get("x-olla-model")).toBe("ai/llama3.2");
      await res.arrayBuffer();
    }
  });

  test("the highest-priority endpoint serving the model is chosen", async () => {
    const res = await post("/olla/dmr/engines/v1/chat/completions", { model: "smollm2", messages: [] });
    expect(res.headers.get("x-olla-endpoint")).toBe("alpha");
    await res.arrayBuffer();
  });
});

describe("headers", () => {
  test("the backend gets request id, forwarding headers and endpoint headers, and no credentials or Origin", async () => {
    const res = await post("/olla/dmr/engines/v1/chat/completions", { model: "smollm2", messages: [] }, {
      "X-Request-ID": "client-abc.123",
      Authorization: "Bearer user-secret",
      Cookie: "session=1",
      "X-Api-Key": "k",
      Origin: "http://example.com",
      "X-Forwarded-For": "10.1.1.1",
      "X-Olla-Endpoint": "spoofed",
      Connection: "keep-alive, X-Hop",
      "X-Hop": "drop-me",
      "X-Custom": "kept",
    });
    expect(res.status).toBe(200);
    const seen = inference(alpha).at(-1)!.headers;
    expect(seen["x-olla-request-id"]).toBe("client-abc.123");
    expect(seen["x-forwarded-for"]).toBe("10.1.1.1, 127.0.0.1");
    expect(seen["x-forwarded-proto"]).toBe("http");
    expect(seen["x-forwarded-host"]).toBe(`127.0.0.1:${server.port}`);
    expect(seen["x-backend-token"]).toBe("sekret");
    expect(seen["x-custom"]).toBe("kept");
    for (const name of ["authorization", "cookie", "x-api-key", "origin", "x-olla-endpoint", "x-hop"]) {
      expect(seen[name]).toBeUndefined();
    }
    expect(res.headers.get("x-olla-request-id")).toBe("client-abc.123");
    await res.arrayBuffer();
  });

  test("the client gets the X-Olla-* facts and the backend's own headers", async () => {
    const res = await post("/olla/dmr/engines/v1/chat/completions", { model: "ai/smollm2", messages: [] });
    expect(res.headers.get("x-olla-endpoint")).toBe("alpha");
    expect(res.headers.get("x-olla-model")).toBe("ai/smollm2");
    expect(res.headers.get("x-olla-backend-type")).toBe("docker-model-runner");
    expect(res.headers.get("x-olla-response-time")).toMatch(/^\d+ms$/);
    expect(res.headers.get("x-olla-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get("server")).toBe("llama.cpp");
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const body = await res.json();
    expect(body.object).toBe("chat.completion");
    expect(body.choices[0].message.content).toBe("Hello from DMR");
  });

  test("an unsafe X-Request-ID is replaced by a generated one", async () => {
    const res = await post("/olla/dmr/engines/v1/chat/completions", { model: "smollm2", messages: [] }, {
      "X-Request-ID": "bad id with spaces",
    });
    expect(res.headers.get("x-olla-request-id")).not.toBe("bad id with spaces");
    expect(inference(alpha).at(-1)!.headers["x-olla-request-id"]).toBe(res.headers.get("x-olla-request-id")!);
    await res.arrayBuffer();
  });
});

describe("errors the proxy makes", () => {
  async function expectProxyError(res: Response, status: number, code: string) {
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = await res.json();
    expect(body.error.code).toBe(code);
    expect(typeof body.error.message).toBe("string");
    expect(typeof body.error.type).toBe("string");
    return body.error.message as string;
  }

  test("malformed JSON is a 400 and never reaches a backend", async () => {
    const before = alpha.requests.length + beta.requests.length;
    await expectProxyError(await post("/olla/dmr/engines/v1/chat/completions", '{"model": "smollm2",'), 400, "invalid_json");
    await expectProxyError(await post("/olla/dmr/engines/v1/chat/completions", "[1,2]"), 400, "invalid_request");
    await expectProxyError(await post("/olla/dmr/engines/v1/chat/completions", { messages: [] }), 400, "model_required");
    await expectProxyError(await post("/olla/dmr/engines/v1/chat/completions", { model: " " }), 400, "model_required");
    expect(alpha.requests.length + beta.requests.length).toBe(before);
  });

  test("an unknown model is a 404 that names it and where to see available models", async () => {
    const message = await expectProxyError(
      await post("/olla/dmr/engines/v1/chat/completions", { model: "ai/nope", messages: [] }),
      404,
      "model_not_found",
    );
    expect(message).toContain("ai/nope");
    expect(message).toContain("/olla/dmr/engines/v1/models");
  });

  const blocked = [
    ["POST", "/olla/dmr/models/create"],
    ["POST", "/olla/dmr/engines/unload"],
    ["GET", "/olla/dmr/engines/status"],
    ["GET", "/olla/dmr/engines/ps"],
    ["POST", "/olla/dmr/engines/_configure"],
    ["GET", "/olla/dmr/models"],
    ["DELETE", "/olla/dmr/models/ai/smollm2"],
    ["GET", "/olla/dmr/engines/v1/chat/completions"],
    ["POST", "/olla/dmr/engines/v1/models"],
    ["POST", "/olla/dmr/engines/v1/../../models/create"],
    ["POST", "/olla/dmr/engines/v1/%2e%2e/%2e%2e/models/create"],
    ["POST", "/olla/dmr/engines/v1/chat/completions/../../../engines/unload"],
    ["POST", "/olla/dmr/engines/%2fv1/chat/completions"],
    ["POST", "/olla/dmr/engines//v1/chat/completions"],
    ["POST", "/olla/dmr/v1/chat/completions"],
    ["POST", "/olla/dmr/engines/mlx/v1/chat/completions"],
  ] as const;
  for (const [method, path] of blocked) {
    test(`${method} ${path} is a JSON 404 that never reaches a backend`, async () => {
      const before = alpha.requests.length + beta.requests.length;
      const res = await rawRequest(method, path, method === "POST" ? '{"model":"smollm2"}' : undefined);
      expect(res.status).toBe(404);
      expect(JSON.parse(res.body).error.code).toBe("route_not_found");
      expect(alpha.requests.length + beta.requests.length).toBe(before);
    });
  }

  test("a body over max_body_size is a 413 before it is read", async () => {
    const big = new Uint8Array(120 * 1024 * 1024);
    const res = await fetch(`${server.url}/olla/dmr/engines/v1/chat/completions`, { method: "POST", body: big })
      .catch((error) => error as Error);
    if (res instanceof Response) {
      await expectProxyError(res, 413, "request_too_large");
    } else {
      // Some clients see the connection closed while still uploading; the server must have answered 413.
      await server.waitForLog((l) => l.msg === "request" && l.status === 413);
    }
  });

  test("a chunked body over the limit is a 413 too", async () => {
    let sent = 0;
    const chunk = new Uint8Array(1024 * 1024);
    const stream = new ReadableStream({
      pull(controller) {
        if (sent++ >= 110) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${server.url}/olla/dmr/engines/v1/chat/completions`, {
      method: "POST",
      body: stream,
      duplex: "half",
    } as RequestInit).catch((error) => error as Error);
    if (res instanceof Response) await expectProxyError(res, 413, "request_too_large");
    else await server.waitForLog((l) => l.msg === "request" && l.status === 413 && l.path?.toString().includes("chat"));
  });

  test("unknown top-level paths are JSON 404s", async () => {
    await expectProxyError(await fetch(`${server.url}/v1/chat/completions`), 404, "route_not_found");
  });
});

describe("backend responses pass through untouched", () => {
  test("DMR's text/plain errors keep status, type and body", async () => {
    alpha.unloadAll();
    alpha.options.failLoad = "llama.cpp terminated unexpectedly";
    const res = await post("/olla/dmr/engines/v1/embeddings", { model: "ai/mxbai-embed-large", input: "x" });
    alpha.options.failLoad = null;
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await res.text()).toBe(
      "unable to load runner: error waiting for runner to be ready: llama.cpp terminated unexpectedly\n",
    );
  });

  test("engine JSON errors keep status and body", async () => {
    const res = await post("/olla/dmr/engines/v1/chat/completions", { model: "smollm2", messages: [], max_tokens: 200000 });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.type).toBe("exceed_context_size_error");
    expect(body.error.n_ctx).toBe(4096);
  });

  test("internal health and version answer", async () => {
    expect(await (await fetch(`${server.url}/internal/health`)).json()).toEqual({ status: "healthy" });
    const version = await (await fetch(`${server.url}/version`)).json();
    expect(version.name).toBe("tureen");
    expect(version.supported_backends).toContain("docker-model-runner");
  });

  test("every request gets one access line with id, path, model, status, duration and ttfb", async () => {
    const res = await post("/olla/dmr/engines/v1/chat/completions", { model: "smollm2", messages: [] }, {
      "X-Request-ID": "access-line-check",
    });
    await res.arrayBuffer();
    const line = await server.waitForLog((l) => l.msg === "request" && l.request_id === "access-line-check");
    expect(line).toMatchObject({
      method: "POST",
      path: "/olla/dmr/engines/v1/chat/completions",
      model: "ai/smollm2",
      endpoint: "alpha",
      status: 200,
      outcome: "complete",
    });
    expect(typeof line.duration_ms).toBe("number");
    expect(typeof line.ttfb_ms).toBe("number");
    expect(server.logs.filter((l) => l.request_id === "access-line-check")).toHaveLength(1);
  });
});

/** Send a request with the path exactly as written (fetch would normalise `..`). */
async function rawRequest(method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port: server.port,
    socket: {
      data(s, chunk) {
        (s.data as { chunks: Uint8Array[] }).chunks.push(chunk);
      },
      close(s) {
        (s.data as { done: () => void }).done();
      },
    },
    data: { chunks: [] as Uint8Array[], done: () => {} },
  });
  const closed = new Promise<void>((resolve) => ((socket.data as { done: () => void }).done = resolve));
  const payload = body ?? "";
  socket.write(
    `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${payload.length}\r\n\r\n${payload}`,
  );
  await closed;
  const text = Buffer.concat((socket.data as { chunks: Uint8Array[] }).chunks).toString();
  const status = Number(text.split(" ")[1]);
  return { status, body: text.slice(text.indexOf("\r\n\r\n") + 4) };
}
