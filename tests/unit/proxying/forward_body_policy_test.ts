import { describe, expect, test } from "bun:test";
import { isSmallWholeBody, WHOLE_BODY_LIMIT } from "../../../src/proxying/forward.ts";

const headers = (init: Record<string, string>) => new Headers(init);

describe("isSmallWholeBody()", () => {
  test("isSmallWholeBody() reads a JSON answer with a small declared length whole", () => {
    expect(isSmallWholeBody(headers({ "content-type": "application/json", "content-length": "512" }))).toBe(true);
    expect(isSmallWholeBody(headers({ "content-type": "text/plain", "content-length": String(WHOLE_BODY_LIMIT) }))).toBe(true);
  });

  test("isSmallWholeBody() relays event streams and NDJSON even with a declared length", () => {
    expect(isSmallWholeBody(headers({ "content-type": "text/event-stream", "content-length": "10" }))).toBe(false);
    expect(isSmallWholeBody(headers({ "content-type": "application/x-ndjson", "content-length": "10" }))).toBe(false);
    expect(isSmallWholeBody(headers({ "content-type": "application/stream+json", "content-length": "10" }))).toBe(false);
  });

  test("isSmallWholeBody() relays bodies of unknown or large length", () => {
    expect(isSmallWholeBody(headers({ "content-type": "application/json" }))).toBe(false);
    expect(isSmallWholeBody(headers({ "content-type": "application/json", "content-length": String(WHOLE_BODY_LIMIT + 1) }))).toBe(false);
    expect(isSmallWholeBody(headers({ "content-type": "application/json", "content-length": "1e3" }))).toBe(false);
  });
});
