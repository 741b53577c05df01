import { describe, expect, test } from "bun:test";
import { MAX_MODEL_LENGTH, MAX_NESTING, readBodyWithin, readModelField } from "../../../src/http/body.ts";
import { ProxyError } from "../../../src/http/errors.ts";
import { rejection } from "../_rejection.ts";

const encoder = new TextEncoder();

function post(body: BodyInit | null, headers: Record<string, string> = {}): Request {
  return new Request("http://proxy.test/olla/dmr/engines/v1/chat/completions", {
    method: "POST",
    headers,
    body,
    duplex: "half",
  } as RequestInit);
}

/** A body that records how many times it was pulled and errors if it ever is. */
function poisonedStream() {
  const state = { pulls: 0 };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull() {
        state.pulls++;
        throw new Error("body must not be read");
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

/** A chunked body of the given chunks that records pulls and whether it was cancelled. */
function chunkedStream(chunks: Uint8Array[]) {
  const state = { pulls: 0, cancelled: false };
  let index = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        state.pulls++;
        if (index < chunks.length) controller.enqueue(chunks[index++]!);
        else controller.close();
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}


function rejectionOf(fn: () => unknown): ProxyError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ProxyError);
    return error as ProxyError;
  }
  throw new Error("expected a ProxyError, but the call returned");
}

describe("readBodyWithin()", () => {
  test("readBodyWithin() refuses a Content-Length over the limit with 413 before reading a byte", async () => {
    const { stream, state } = poisonedStream();
    const error = await rejection(readBodyWithin(post(stream, { "content-length": "1000" }), 999));
    expect(error.status).toBe(413);
    expect(error.code).toBe("request_too_large");
    expect(state.pulls).toBe(0);
  });

  test("readBodyWithin() names the limit in binary units and the config key in the 413 message", async () => {
    const error = await rejection(readBodyWithin(post("x".repeat(10), { "content-length": "2097153" }), 2 * 1024 * 1024));
    expect(error.message).toContain("2 MiB");
    expect(error.message).toContain("server.request_limits.max_body_size");
    const odd = await rejection(readBodyWithin(post("x".repeat(10)), 5));
    expect(odd.message).toContain("5 bytes");
  });

  test("readBodyWithin() answers 413 for a chunked body that passes the limit, cancelling it without reading the rest", async () => {
    const chunks = Array.from({ length: 10 }, () => new Uint8Array(4).fill(7));
    const { stream, state } = chunkedStream(chunks);
    const error = await rejection(readBodyWithin(post(stream), 10));
    expect(error.status).toBe(413);
    expect(error.code).toBe("request_too_large");
    expect(state.pulls).toBe(3);
    expect(state.cancelled).toBe(true);
  });

  test("readBodyWithin() accepts a chunked body of exactly the limit and returns the joined bytes", async () => {
    const { stream } = chunkedStream([encoder.encode("ab"), encoder.encode("cd"), encoder.encode("ef")]);
    const body = await readBodyWithin(post(stream), 6);
    expect(new TextDecoder().decode(body)).toBe("abcdef");
    expect(body.byteLength).toBe(6);
  });

  test("readBodyWithin() returns exactly the bytes sent when under the limit, including non-UTF-8 bytes", async () => {
    const bytes = new Uint8Array([0, 255, 128, 10, 13, 0xc3]);
    const body = await readBodyWithin(post(bytes, { "content-length": String(bytes.byteLength) }), 1024);
    expect([...body]).toEqual([...bytes]);
  });

  test("readBodyWithin() returns the JSON text of a request byte for byte", async () => {
    const json = '{"model":"ai/smollm2","messages":[{"role":"user","content":"héllo"}]}';
    const body = await readBodyWithin(post(json), 1024);
    expect(new TextDecoder().decode(body)).toBe(json);
    expect(body.byteLength).toBe(encoder.encode(json).byteLength);
  });

  test("readBodyWithin() returns an empty array for a request without a body", async () => {
    const body = await readBodyWithin(new Request("http://proxy.test/", { method: "POST" }), 10);
    expect(body).toBeInstanceOf(Uint8Array);
    expect(body.byteLength).toBe(0);
  });

  for (const value of ["abc", "-1", "1.5", "12abc"]) {
    test(`readBodyWithin() answers 400 invalid_content_length for Content-Length ${JSON.stringify(value)}, quoting it`, async () => {
      const { stream, state } = poisonedStream();
      const error = await rejection(readBodyWithin(post(stream, { "content-length": value }), 1024));
      expect(error.status).toBe(400);
      expect(error.code).toBe("invalid_content_length");
      expect(error.message).toContain(`"${value}"`);
      expect(state.pulls).toBe(0);
    });
  }

  test("readBodyWithin() answers 400 body_unreadable when the body stream fails", async () => {
    const { stream } = poisonedStream();
    const error = await rejection(readBodyWithin(post(stream), 1024));
    expect(error.status).toBe(400);
    expect(error.code).toBe("body_unreadable");
    expect(error.message).toContain("body must not be read");
  });
});

describe("readModelField()", () => {
  test("readModelField() returns the model named in a JSON object, unchanged", () => {
    expect(readModelField(encoder.encode('{"model":"ai/SmolLM2:360M","stream":true}'))).toBe("ai/SmolLM2:360M");
  });

  const bad: Array<[string, string, string]> = [
    ["not JSON", "model=ai/smollm2", "invalid_json"],
    ["empty", "", "invalid_json"],
    ["a JSON array", '[{"model":"ai/smollm2"}]', "invalid_request"],
    ["JSON null", "null", "invalid_request"],
    ["a JSON string", '"ai/smollm2"', "invalid_request"],
    ["an object without model", '{"messages":[]}', "model_required"],
    ["an empty model", '{"model":""}', "model_required"],
    ["a blank model", '{"model":"   "}', "model_required"],
    ["a numeric model", '{"model":42}', "model_required"],
    ["a null model", '{"model":null}', "model_required"],
  ];
  for (const [label, text, code] of bad) {
    test(`readModelField() rejects ${label} with ProxyError 400 ${code}`, () => {
      const error = rejectionOf(() => readModelField(encoder.encode(text)));
      expect(error.status).toBe(400);
      expect(error.code).toBe(code);
    });
  }

  test("readModelField() error renders as an OpenAI-style 400 JSON body that points at the model list", async () => {
    const error = rejectionOf(() => readModelField(encoder.encode('{"messages":[]}')));
    const response = error.toResponse();
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(Object.keys(body)).toEqual(["error"]);
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.code).toBe("model_required");
    expect(body.error.message).toContain("GET /olla/dmr/engines/v1/models");
  });

  test("readModelField() invalid JSON error says what to send", async () => {
    const body = await rejectionOf(() => readModelField(encoder.encode("{oops"))).toResponse().json();
    expect(body.error).toMatchObject({ type: "invalid_request_error", code: "invalid_json" });
    expect(body.error.message).toContain('{"model":"ai/smollm2",...}');
  });
});

describe("readBodyWithin() Content-Length strictness", () => {
  for (const value of ["0x10", "1e1", "", "-1", "1.5"]) {
    test(`readBodyWithin() refuses Content-Length ${JSON.stringify(value)} with 400`, async () => {
      const request = { headers: new Headers({ "content-length": value }), body: null } as unknown as Request;
      const error = await rejection(readBodyWithin(request, 1000));
      expect(error.status).toBe(400);
      expect(error.code).toBe("invalid_content_length");
    });
  }
});

describe("body encodings", () => {
  test("readModelField() refuses a body that is not valid UTF-8 instead of guessing a model name", () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"model":"ai/smollm2'), 0xff, 0xfe, 0x22, 0x7d]);
    expect(() => readModelField(bytes)).toThrow("not valid UTF-8");
  });

  test("readBodyWithin() refuses a compressed body with 415 before reading it", async () => {
    const request = new Request("http://x/", { method: "POST", body: "x", headers: { "content-encoding": "gzip" } });
    const error = await readBodyWithin(request, 100).catch((e) => e);
    expect(error.status).toBe(415);
    expect(error.code).toBe("unsupported_content_encoding");
    const identity = new Request("http://x/", { method: "POST", body: "x", headers: { "content-encoding": "identity" } });
    expect((await readBodyWithin(identity, 100)).byteLength).toBe(1);
  });
});

describe("nesting", () => {
  test("readModelField() refuses nesting past MAX_NESTING, counting only outside strings", () => {
    const deep = `{"model":"m","x":${"[".repeat(MAX_NESTING)}${"]".repeat(MAX_NESTING)}}`;
    expect(() => readModelField(encoder.encode(deep))).toThrow("levels deep");
    const fine = `{"model":"m","x":${"[".repeat(MAX_NESTING - 1)}${"]".repeat(MAX_NESTING - 1)}}`;
    expect(readModelField(encoder.encode(fine))).toBe("m");
    const inString = `{"model":"m","x":"${"[".repeat(1000)}\\"{{{"}`;
    expect(readModelField(encoder.encode(inString))).toBe("m");
  });
});

describe("model length", () => {
  test("readModelField() refuses a model name longer than MAX_MODEL_LENGTH without echoing it", () => {
    const long = "m".repeat(MAX_MODEL_LENGTH + 1);
    let error: unknown;
    try {
      readModelField(encoder.encode(JSON.stringify({ model: long })));
    } catch (e) {
      error = e;
    }
    expect((error as { code: string }).code).toBe("invalid_model");
    expect((error as Error).message).not.toContain(long);
    expect(readModelField(encoder.encode(JSON.stringify({ model: "m".repeat(MAX_MODEL_LENGTH) })))).toHaveLength(MAX_MODEL_LENGTH);
  });
});
