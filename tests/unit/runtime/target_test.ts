import { describe, expect, test } from "bun:test";
import { isParsedPathUnchanged, rawPathOf } from "../../../src/runtime/target.ts";

describe("rawPathOf()", () => {
  test("rawPathOf() reads the path of absolute and origin-form URLs, up to ? or #", () => {
    expect(rawPathOf("http://h:1/olla/dmr/x?y=1")).toBe("/olla/dmr/x");
    expect(rawPathOf("http://h/a/../b#f")).toBe("/a/../b");
    expect(rawPathOf("/olla/dmr/x?y")).toBe("/olla/dmr/x");
    expect(rawPathOf("http://h")).toBe("/");
  });
});

describe("isParsedPathUnchanged()", () => {
  test("isParsedPathUnchanged() is false for dot segments, %2e spellings and backslashes", () => {
    for (const path of ["/a/../b", "/a/./b", "/a/%2e%2e/b", "/a/.%2E/b", "/a\\b", "/a/.."]) {
      expect({ path, same: isParsedPathUnchanged(`http://h${path}`) }).toEqual({ path, same: false });
    }
  });

  test("isParsedPathUnchanged() is true for canonical paths, encoded bytes and dots inside names", () => {
    for (const path of ["/olla/dmr/engines/v1/chat/completions", "/a/%41b", "/a/b.c", "/a/..b", "/"]) {
      expect({ path, same: isParsedPathUnchanged(`http://h${path}?q=..`) }).toEqual({ path, same: true });
    }
  });
});
