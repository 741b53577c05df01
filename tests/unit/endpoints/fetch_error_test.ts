import { describe, expect, test } from "bun:test";
import { describeFetchError } from "../../../src/endpoints/fetch_error.ts";

describe("describeFetchError()", () => {
  test("describeFetchError() names a timeout or abort with the timeout that applied", () => {
    expect(describeFetchError(new DOMException("The operation timed out.", "TimeoutError"), 750)).toBe("no answer within 750ms");
    expect(describeFetchError(new DOMException("aborted", "AbortError"), 750)).toBe("no answer within 750ms");
  });

  test("describeFetchError() without a timeout does not claim one for an abort", () => {
    expect(describeFetchError(new DOMException("The operation was aborted.", "AbortError"))).toBe("The operation was aborted.");
  });

  test("describeFetchError() reads a refused connection from Bun's code, a Deno-style cause, or the message", () => {
    expect(describeFetchError(Object.assign(new Error("Unable to connect"), { code: "ConnectionRefused" }))).toBe("connection refused");
    expect(describeFetchError(Object.assign(new Error("x"), { code: "ECONNREFUSED" }))).toBe("connection refused");
    expect(describeFetchError(new TypeError("error sending request", { cause: Object.assign(new Error("y"), { code: "ECONNREFUSED" }) })))
      .toBe("connection refused");
    expect(describeFetchError(new TypeError("tcp connect error: Connection refused (os error 111)"))).toBe("connection refused");
  });

  test("describeFetchError() reads a reset connection", () => {
    expect(describeFetchError(Object.assign(new Error("x"), { code: "ECONNRESET" }))).toBe("connection reset");
    expect(describeFetchError(new Error("connection closed before message completed"))).toBe("connection reset");
  });

  test("describeFetchError() falls back to the first line of the message, or the thrown value", () => {
    expect(describeFetchError(new Error("certificate has expired\n    at tls.connect"))).toBe("certificate has expired");
    expect(describeFetchError("plain string")).toBe("plain string");
  });
});
