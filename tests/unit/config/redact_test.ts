import { describe, expect, test } from "bun:test";
import { hasCredentials, isSecretPath, redactUrl } from "../../../src/config/redact.ts";

describe("redactUrl()", () => {
  test("redactUrl() masks every query value and keeps the names", () => {
    expect(redactUrl("http://dmr:12434/v1?api_key=sk-1&x=2")).toBe("http://dmr:12434/v1?api_key=***&x=***");
    expect(redactUrl("http://dmr:12434/v1?flag")).toBe("http://dmr:12434/v1?flag");
  });

  test("redactUrl() masks user:password@ and leaves a clean URL or a path as it is", () => {
    expect(redactUrl("http://user:pass@dmr:12434/x")).toBe("http://***@dmr:12434/x");
    expect(redactUrl("http://dmr:12434/engines/v1/models")).toBe("http://dmr:12434/engines/v1/models");
    expect(redactUrl("/engines/v1/models?k=v")).toBe("/engines/v1/models?k=***");
  });
});

describe("isSecretPath() and hasCredentials()", () => {
  test("isSecretPath() covers auth, headers and key fields anywhere", () => {
    expect(isSecretPath(["endpoints", 0, "auth", "token"])).toBe(true);
    expect(isSecretPath(["endpoints", 0, "headers", "X-Key"])).toBe(true);
    expect(isSecretPath(["auth", "keys", 0, "key"])).toBe(true);
    expect(isSecretPath(["server", "port"])).toBe(false);
  });

  test("hasCredentials() sees userinfo only in absolute URLs", () => {
    expect(hasCredentials("https://a:b@host")).toBe(true);
    expect(hasCredentials("https://token@host/x")).toBe(true);
    expect(hasCredentials("https://host/a@b")).toBe(false);
    expect(hasCredentials("/path@x")).toBe(false);
  });
});
