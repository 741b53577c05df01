import { describe, expect, test } from "bun:test";
import { buildUpstreamHeaders, requestIdFor, type UpstreamHeaderFacts } from "../../../src/proxying/upstream_request.ts";

const FACTS: UpstreamHeaderFacts = {
  requestId: "req-123",
  clientIp: "10.0.0.7",
  host: "proxy.example:40114",
  endpointHeaders: [],
};

function build(inbound: Record<string, string> | Headers, facts: Partial<UpstreamHeaderFacts> = {}): Headers {
  return buildUpstreamHeaders(inbound instanceof Headers ? inbound : new Headers(inbound), { ...FACTS, ...facts });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("buildUpstreamHeaders()", () => {
  test("buildUpstreamHeaders() keeps ordinary end-to-end headers unchanged", () => {
    const headers = build({ "content-type": "application/json", accept: "text/event-stream", "user-agent": "OpenAI/Python 1.0", "x-custom": "v" });
    expect(headers.get("content-type")).toBe("application/json");
    expect(headers.get("accept")).toBe("text/event-stream");
    expect(headers.get("user-agent")).toBe("OpenAI/Python 1.0");
    expect(headers.get("x-custom")).toBe("v");
  });

  test("buildUpstreamHeaders() strips hop-by-hop headers", () => {
    const headers = build({
      connection: "keep-alive",
      "keep-alive": "timeout=5",
      "proxy-authorization": "Basic eA==",
      "proxy-connection": "keep-alive",
      te: "trailers",
      trailer: "x-checksum",
      "transfer-encoding": "chunked",
      upgrade: "websocket",
      "content-length": "42",
    });
    for (const name of ["connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "content-length"]) {
      expect(headers.has(name)).toBe(false);
    }
  });

  test("buildUpstreamHeaders() strips headers named in Connection, whatever their case and spacing", () => {
    const headers = build({ connection: "X-Secret-Hop ,  x-other, close", "x-secret-hop": "1", "x-other": "2", "x-kept": "3" });
    expect(headers.has("x-secret-hop")).toBe(false);
    expect(headers.has("x-other")).toBe(false);
    expect(headers.get("x-kept")).toBe("3");
  });

  test("buildUpstreamHeaders() strips Host, Origin and the client's credentials", () => {
    const headers = build({
      host: "proxy.example:40114",
      origin: "http://evil.example",
      authorization: "Bearer client-token",
      cookie: "session=abc",
      "x-api-key": "client-key",
      "x-auth-token": "client-auth",
    });
    for (const name of ["host", "origin", "authorization", "cookie", "x-api-key", "x-auth-token"]) {
      expect(headers.has(name)).toBe(false);
    }
  });

  test("buildUpstreamHeaders() strips every inbound X-Olla-* header and sets its own X-Olla-Request-ID", () => {
    const headers = build({ "x-olla-endpoint": "spoofed", "X-Olla-Request-ID": "spoofed-id", "x-olla-anything": "x" });
    expect(headers.has("x-olla-endpoint")).toBe(false);
    expect(headers.has("x-olla-anything")).toBe(false);
    expect(headers.get("x-olla-request-id")).toBe("req-123");
    expect([...headers.keys()].filter((k) => k.startsWith("x-olla-"))).toEqual(["x-olla-request-id"]);
  });

  test("buildUpstreamHeaders() sets X-Forwarded-For to the client IP when there was none", () => {
    expect(build({}).get("x-forwarded-for")).toBe("10.0.0.7");
  });

  test("buildUpstreamHeaders() appends the client IP to an existing X-Forwarded-For", () => {
    expect(build({ "x-forwarded-for": "203.0.113.9, 198.51.100.2" }).get("x-forwarded-for")).toBe("203.0.113.9, 198.51.100.2, 10.0.0.7");
  });

  test("buildUpstreamHeaders() sets X-Forwarded-Proto and X-Forwarded-Host, replacing inbound ones", () => {
    const headers = build({ "x-forwarded-proto": "https", "x-forwarded-host": "spoofed.example" });
    expect(headers.get("x-forwarded-proto")).toBe("http");
    expect(headers.get("x-forwarded-host")).toBe("proxy.example:40114");
  });

  test("buildUpstreamHeaders() omits X-Forwarded-Host when the client sent no Host, dropping any inbound one", () => {
    const headers = build({ "x-forwarded-host": "spoofed.example" }, { host: null });
    expect(headers.has("x-forwarded-host")).toBe(false);
  });

  test("buildUpstreamHeaders() asks the backend for identity encoding instead of passing Accept-Encoding on", () => {
    expect(build({ "accept-encoding": "gzip, br" }).get("accept-encoding")).toBe("identity");
  });

  test("buildUpstreamHeaders() does not forward the client's X-Request-ID (it travels as X-Olla-Request-ID)", () => {
    const headers = build({ "x-request-id": "client-id" });
    expect(headers.has("x-request-id")).toBe(false);
    expect(headers.get("x-olla-request-id")).toBe("req-123");
  });

  test("buildUpstreamHeaders() adds endpoint headers, and they win over client and proxy headers", () => {
    const headers = build(
      { authorization: "Bearer client", "x-tenant": "client-tenant", "user-agent": "client-agent" },
      { endpointHeaders: [["Authorization", "Bearer backend"], ["X-Tenant", "backend-tenant"], ["X-Forwarded-Proto", "https"]] },
    );
    expect(headers.get("authorization")).toBe("Bearer backend");
    expect(headers.get("x-tenant")).toBe("backend-tenant");
    expect(headers.get("x-forwarded-proto")).toBe("https");
    expect(headers.get("user-agent")).toBe("client-agent");
  });

  test("buildUpstreamHeaders() does not change the inbound Headers", () => {
    const inbound = new Headers({ authorization: "Bearer client", connection: "x-a", "x-a": "1" });
    build(inbound);
    expect(inbound.get("authorization")).toBe("Bearer client");
    expect(inbound.get("x-a")).toBe("1");
  });
});

describe("requestIdFor()", () => {
  const safe = ["abc-123", "req_1.2:3", "A".repeat(128), "0f8fad5b-d9cb-469f-a165-70867728950e"];
  for (const id of safe) {
    test(`requestIdFor() honours the safe X-Request-ID ${JSON.stringify(id.length > 20 ? `${id.slice(0, 10)}… (${id.length} chars)` : id)}`, () => {
      expect(requestIdFor(new Headers({ "x-request-id": id }))).toBe(id);
    });
  }

  const unsafe: Array<[string, string]> = [
    ["with a space", "abc def"],
    ["of 129 chars", "A".repeat(129)],
    ["with angle brackets", "<script>"],
    ["with a quote", 'a"b'],
    ["with a slash", "a/b"],
    ["with non-ASCII", "réq"],
  ];
  for (const [label, id] of unsafe) {
    test(`requestIdFor() replaces an X-Request-ID ${label} with a fresh UUID`, () => {
      const made = requestIdFor(new Headers({ "x-request-id": id }));
      expect(made).not.toBe(id);
      expect(made).toMatch(UUID);
    });
  }

  test("requestIdFor() replaces an X-Request-ID containing a newline (from a lenient header source) with a UUID", () => {
    const lenient = { get: (name: string) => (name === "x-request-id" ? "abc\nX-Injected: 1" : null) } as unknown as Headers;
    const made = requestIdFor(lenient);
    expect(made).toMatch(UUID);
    const cr = { get: () => "abc\r" } as unknown as Headers;
    expect(requestIdFor(cr)).toMatch(UUID);
  });

  test("requestIdFor() makes a different UUID for each request without an X-Request-ID", () => {
    const a = requestIdFor(new Headers());
    const b = requestIdFor(new Headers({ "x-request-id": "" }));
    expect(a).toMatch(UUID);
    expect(b).toMatch(UUID);
    expect(a).not.toBe(b);
  });
});

describe("buildUpstreamHeaders() and client-supplied identity", () => {
  test("buildUpstreamHeaders() strips api-key and x-goog-api-key with the other credentials", () => {
    const headers = build({ "api-key": "azure-secret", "x-goog-api-key": "gemini-secret", "x-api-key": "k", authorization: "Bearer k" });
    for (const name of ["api-key", "x-goog-api-key", "x-api-key", "authorization"]) expect(headers.has(name)).toBe(false);
  });

  test("buildUpstreamHeaders() drops X-Real-IP and Forwarded from an untrusted client", () => {
    const headers = build({ "x-real-ip": "1.2.3.4", forwarded: "for=1.2.3.4" });
    expect(headers.has("x-real-ip")).toBe(false);
    expect(headers.has("forwarded")).toBe(false);
  });

  test("buildUpstreamHeaders() keeps X-Real-IP and Forwarded from a trusted proxy", () => {
    const headers = build({ "x-real-ip": "1.2.3.4", forwarded: "for=1.2.3.4" }, { trustedClient: true });
    expect(headers.get("x-real-ip")).toBe("1.2.3.4");
    expect(headers.get("forwarded")).toBe("for=1.2.3.4");
  });
});
