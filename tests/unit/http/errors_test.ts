import { describe, expect, test } from "bun:test";
import { ProxyError } from "../../../src/http/errors.ts";

describe("ProxyError", () => {
  test("ProxyError carries status, code and message and is an Error named ProxyError", () => {
    const error = new ProxyError(404, "model_not_found", "no such model");
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("ProxyError");
    expect([error.status, error.code, error.message]).toEqual([404, "model_not_found", "no such model"]);
    expect(error.headers).toEqual({});
  });

  test("ProxyError.toResponse() renders {error:{message,type,code}} as JSON with the error's status", async () => {
    const response = new ProxyError(404, "model_not_found", 'Model "x" is not pulled').toResponse();
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await response.json()).toEqual({
      error: { message: 'Model "x" is not pulled', type: "not_found_error", code: "model_not_found" },
    });
  });

  const types: Array<[number, string]> = [
    [400, "invalid_request_error"],
    [404, "not_found_error"],
    [405, "invalid_request_error"],
    [413, "invalid_request_error"],
    [431, "invalid_request_error"],
    [499, "client_closed_request"],
    [500, "server_error"],
    [502, "upstream_error"],
    [503, "service_unavailable"],
    [504, "upstream_timeout"],
    [418, "server_error"],
  ];
  for (const [status, type] of types) {
    test(`ProxyError.type is ${type} for status ${status}`, () => {
      expect(new ProxyError(status, "c", "m").type).toBe(type);
    });
  }

  test("ProxyError.toResponse() sends the error's own headers", () => {
    const response = new ProxyError(503, "model_unavailable", "down", { "retry-after": "5", "retry-after-ms": "5000" }).toResponse();
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(response.headers.get("retry-after-ms")).toBe("5000");
  });

  test("ProxyError.toResponse() adds extra headers, but its own headers and content-type win over them", async () => {
    const error = new ProxyError(503, "x", "m", { "retry-after": "7" });
    const response = error.toResponse({ "x-olla-request-id": "req-1", "retry-after": "99", "content-type": "text/plain" });
    expect(response.headers.get("x-olla-request-id")).toBe("req-1");
    expect(response.headers.get("retry-after")).toBe("7");
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect((await response.json()).error.code).toBe("x");
  });

  test("ProxyError.toResponse() escapes quotes and newlines in the message into valid JSON", async () => {
    const message = 'bad "value"\nnext line </script>';
    const body = await new ProxyError(400, "c", message).toResponse().text();
    expect(JSON.parse(body).error.message).toBe(message);
  });

  test("ProxyError.toResponse() can be called twice, giving two independent responses", async () => {
    const error = new ProxyError(400, "c", "m");
    const [one, two] = [error.toResponse(), error.toResponse()];
    expect(await one.text()).toBe(await two.text());
  });
});
