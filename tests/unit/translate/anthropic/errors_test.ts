import { describe, expect, test } from "bun:test";
import {
  anthropicErrorResponse,
  describeBackendError,
  errorTypeFor,
  isAnthropicError,
} from "../../../../src/translate/anthropic/errors.ts";

describe("Anthropic errors", () => {
  test("status → error type", () => {
    expect(errorTypeFor(400)).toBe("invalid_request_error");
    expect(errorTypeFor(404)).toBe("not_found_error");
    expect(errorTypeFor(413)).toBe("request_too_large");
    expect(errorTypeFor(422)).toBe("invalid_request_error");
    expect(errorTypeFor(429)).toBe("rate_limit_error");
    expect(errorTypeFor(502)).toBe("api_error");
    expect(errorTypeFor(503)).toBe("overloaded_error");
    expect(errorTypeFor(504)).toBe("timeout_error");
  });

  test("anthropicErrorResponse renders the shape with the status", async () => {
    const response = anthropicErrorResponse(404, "no such model", { "retry-after": "1" });
    expect(response.status).toBe(404);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(await response.json()).toEqual({ type: "error", error: { type: "not_found_error", message: "no such model" } });
  });

  test("backend wording is kept from OpenAI JSON, flat JSON and DMR's text/plain", () => {
    expect(describeBackendError(400, '{"error":{"message":"bad thing","type":"invalid_request_error"}}')).toEqual({ status: 400, message: "bad thing" });
    expect(describeBackendError(400, '{"object":"error","message":"vllm says no"}')).toEqual({ status: 400, message: "vllm says no" });
    expect(describeBackendError(404, "error while getting model: model not found\n")).toEqual({
      status: 404,
      message: "error while getting model: model not found",
    });
    expect(describeBackendError(502, "").message).toContain("empty body");
  });

  test("pitfall 9: llama.cpp's context overflow becomes Anthropic's 'prompt is too long' wording", () => {
    const body = JSON.stringify({
      error: { code: 400, type: "exceed_context_size_error", message: "request (4139 tokens) exceeds the available context size (4096 tokens)", n_prompt_tokens: 4139, n_ctx: 4096 },
    });
    expect(describeBackendError(400, body)).toEqual({ status: 400, message: "prompt is too long: 4139 tokens > 4096 maximum" });
  });

  test("isAnthropicError recognises bodies that pass through untouched", () => {
    expect(isAnthropicError('{"type":"error","error":{"type":"not_found_error","message":"x"}}')).toBe(true);
    expect(isAnthropicError('{"error":{"message":"x"}}')).toBe(false);
    expect(isAnthropicError("not found\n")).toBe(false);
  });
});
