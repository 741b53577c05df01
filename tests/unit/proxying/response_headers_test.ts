import { describe, expect, test } from "bun:test";
import { buildClientHeaders, headerSafe, type OllaFacts } from "../../../src/proxying/response_headers.ts";

const FACTS: OllaFacts = {
  endpoint: "local-dmr",
  model: "ai/smollm2",
  backendType: "docker-model-runner",
  requestId: "req-9",
  responseTimeMs: 123,
};

function build(upstream: Record<string, string> | Headers, facts: Partial<OllaFacts> = {}, decoded = false): Headers {
  return buildClientHeaders(upstream instanceof Headers ? upstream : new Headers(upstream), { ...FACTS, ...facts }, decoded);
}

describe("buildClientHeaders()", () => {
  test("buildClientHeaders() adds the five X-Olla-* headers", () => {
    const headers = build({ "content-type": "application/json" });
    expect(headers.get("x-olla-endpoint")).toBe("local-dmr");
    expect(headers.get("x-olla-model")).toBe("ai/smollm2");
    expect(headers.get("x-olla-backend-type")).toBe("docker-model-runner");
    expect(headers.get("x-olla-request-id")).toBe("req-9");
    expect(headers.get("x-olla-response-time")).toBe("123ms");
    expect([...headers.keys()].filter((k) => k.startsWith("x-olla-")).sort()).toEqual([
      "x-olla-backend-type",
      "x-olla-endpoint",
      "x-olla-model",
      "x-olla-request-id",
      "x-olla-response-time",
    ]);
  });

  test("buildClientHeaders() writes X-Olla-Response-Time as whole milliseconds", () => {
    expect(build({}, { responseTimeMs: 123.4 }).get("x-olla-response-time")).toBe("123ms");
    expect(build({}, { responseTimeMs: 0.6 }).get("x-olla-response-time")).toBe("1ms");
    expect(build({}, { responseTimeMs: 0 }).get("x-olla-response-time")).toBe("0ms");
  });

  test("buildClientHeaders() drops X-Olla-* headers the backend sent and replaces them with its own", () => {
    const headers = build({ "x-olla-endpoint": "spoofed", "X-Olla-Model": "spoofed", "x-olla-extra": "1" });
    expect(headers.get("x-olla-endpoint")).toBe("local-dmr");
    expect(headers.get("x-olla-model")).toBe("ai/smollm2");
    expect(headers.has("x-olla-extra")).toBe(false);
  });

  test("buildClientHeaders() drops hop-by-hop headers from the backend", () => {
    const headers = build({
      connection: "keep-alive",
      "keep-alive": "timeout=5",
      "proxy-authenticate": "Basic",
      "proxy-connection": "keep-alive",
      te: "trailers",
      trailer: "x-sum",
      "transfer-encoding": "chunked",
      upgrade: "h2c",
    });
    for (const name of ["connection", "keep-alive", "proxy-authenticate", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]) {
      expect(headers.has(name)).toBe(false);
    }
  });

  test("buildClientHeaders() keeps the backend's end-to-end headers, including content-length and every set-cookie", () => {
    const upstream = new Headers({ "content-type": "application/json", "content-length": "27", "x-backend": "dmr" });
    upstream.append("set-cookie", "a=1");
    upstream.append("set-cookie", "b=2");
    const headers = build(upstream);
    expect(headers.get("content-type")).toBe("application/json");
    expect(headers.get("content-length")).toBe("27");
    expect(headers.get("x-backend")).toBe("dmr");
    expect(headers.getSetCookie()).toEqual(["a=1", "b=2"]);
  });

  test("buildClientHeaders() with decoded=true drops content-encoding and content-length of an encoded body", () => {
    const headers = build({ "content-encoding": "gzip", "content-length": "100", "content-type": "application/json" }, {}, true);
    expect(headers.has("content-encoding")).toBe(false);
    expect(headers.has("content-length")).toBe(false);
    expect(headers.get("content-type")).toBe("application/json");
  });

  test("buildClientHeaders() with decoded=false keeps content-encoding and content-length for the raw bytes", () => {
    const headers = build({ "content-encoding": "gzip", "content-length": "100" }, {}, false);
    expect(headers.get("content-encoding")).toBe("gzip");
    expect(headers.get("content-length")).toBe("100");
  });

  test("buildClientHeaders() with decoded=true keeps content-length when the body was not encoded", () => {
    expect(build({ "content-length": "55" }, {}, true).get("content-length")).toBe("55");
  });

  test("buildClientHeaders() tells front proxies not to buffer an event stream", () => {
    const headers = build({ "content-type": "text/event-stream; charset=utf-8" });
    expect(headers.get("x-accel-buffering")).toBe("no");
    expect(headers.get("cache-control")).toBe("no-cache");
  });

  test("buildClientHeaders() keeps the backend's own cache-control and x-accel-buffering on an event stream", () => {
    const headers = build({ "content-type": "text/event-stream", "cache-control": "no-store", "x-accel-buffering": "yes" });
    expect(headers.get("cache-control")).toBe("no-store");
    expect(headers.get("x-accel-buffering")).toBe("yes");
  });

  test("buildClientHeaders() adds no buffering headers to a JSON response", () => {
    const headers = build({ "content-type": "application/json" });
    expect(headers.has("x-accel-buffering")).toBe(false);
    expect(headers.has("cache-control")).toBe(false);
  });
});

describe("headerSafe()", () => {
  test("headerSafe() keeps printable ASCII ids as they are", () => {
    expect(headerSafe("ai/smollm2:latest")).toBe("ai/smollm2:latest");
    expect(headerSafe("hf.co/bartowski/Llama-3.2-1B:Q4_K_M")).toBe("hf.co/bartowski/Llama-3.2-1B:Q4_K_M");
  });

  test("headerSafe() percent-encodes non-ASCII, CR/LF, NUL and a lone surrogate", () => {
    expect(headerSafe("ai/模型")).toBe("ai/%E6%A8%A1%E5%9E%8B");
    expect(headerSafe("a\r\nb")).toBe("a%0D%0Ab");
    expect(headerSafe("a\0b")).toBe("a%00b");
    expect(headerSafe("a\uD800b")).toBe("a%EF%BF%BDb");
  });

  test("buildClientHeaders() never throws on a model or endpoint name that is not a header value", () => {
    const headers = build({}, { model: "ai/模型\r\nx: 1", endpoint: "dmr-é" });
    expect(headers.get("x-olla-model")).toBe("ai/%E6%A8%A1%E5%9E%8B%0D%0Ax: 1");
    expect(headers.get("x-olla-endpoint")).toBe("dmr-%C3%A9");
  });
});

describe("buildClientHeaders() and hop-by-hop headers", () => {
  test("buildClientHeaders() drops headers the backend's Connection header names, as requests do", () => {
    const headers = build({ connection: "close, x-backend-secret", "x-backend-secret": "s", "x-kept": "k", "keep-alive": "timeout=5" });
    expect(headers.has("x-backend-secret")).toBe(false);
    expect(headers.has("keep-alive")).toBe(false);
    expect(headers.has("connection")).toBe(false);
    expect(headers.get("x-kept")).toBe("k");
  });
});

describe("NDJSON streams", () => {
  test("buildClientHeaders() asks proxies in front not to buffer Ollama's NDJSON either", () => {
    const headers = buildClientHeaders(new Headers({ "content-type": "application/x-ndjson" }), { ...FACTS, model: "" }, false);
    expect(headers.get("x-accel-buffering")).toBe("no");
    expect(headers.has("x-olla-model")).toBe(false);
  });
});
