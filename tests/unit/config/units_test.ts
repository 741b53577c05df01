import { describe, expect, test } from "bun:test";
import { formatDuration, parseDuration, parseSize } from "../../../src/config/units.ts";

describe("parseDuration()", () => {
  const valid: Array<[string, number]> = [
    ["10s", 10_000],
    ["1m30s", 90_000],
    ["500ms", 500],
    ["0", 0],
    ["0s", 0],
    ["1h", 3_600_000],
    ["2h45m", 9_900_000],
    ["1.5s", 1_500],
    ["1m0.5s", 60_500],
    ["5m", 300_000],
    ["1500us", 1.5],
    ["2000000ns", 2],
    ["1µs", 0.001],
    [" 10s ", 10_000],
  ];
  for (const [text, ms] of valid) {
    test(`parseDuration() reads ${JSON.stringify(text)} as ${ms} ms`, () => {
      expect(parseDuration(text)).toBe(ms);
    });
  }

  test('parseDuration() reads "5ms" as milliseconds, not minutes followed by garbage', () => {
    expect(parseDuration("5ms")).toBe(5);
    expect(parseDuration("5m5s")).toBe(305_000);
  });

  const invalid = ["10", "s", "10x", "", "   ", "-1s", "1m30", "10 s", "1s 1m", "ten seconds", "1s!", "s10", "1d"];
  for (const text of invalid) {
    test(`parseDuration() rejects ${JSON.stringify(text)} with undefined`, () => {
      expect(parseDuration(text)).toBeUndefined();
    });
  }

  test("parseDuration() gives the same answer on repeated and interleaved calls (no leaked regex state)", () => {
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("10x")).toBeUndefined();
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("2s")).toBe(2_000);
  });
});

describe("formatDuration()", () => {
  const cases: Array<[number, string]> = [
    [0, "0s"],
    [250, "250ms"],
    [1_000, "1s"],
    [90_000, "1m30s"],
    [3_600_000, "1h"],
    [3_661_000, "1h1m1s"],
    [1_500, "1s500ms"],
    [600_000, "10m"],
  ];
  for (const [ms, text] of cases) {
    test(`formatDuration() writes ${ms} ms as ${JSON.stringify(text)}`, () => {
      expect(formatDuration(ms)).toBe(text);
    });
  }

  test("formatDuration() output parses back to the same milliseconds", () => {
    for (const ms of [0, 1, 999, 1_000, 61_001, 90_000, 3_723_004]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});

describe("parseSize()", () => {
  const valid: Array<[string, number]> = [
    ["100MB", 104_857_600],
    ["100mb", 104_857_600],
    ["100 MB", 104_857_600],
    ["512KiB", 524_288],
    ["512k", 524_288],
    ["1g", 1_073_741_824],
    ["1GiB", 1_073_741_824],
    ["2T", 2 * 1024 ** 4],
    ["1048576", 1_048_576],
    ["0", 0],
    ["10b", 10],
    ["1.5k", 1_536],
    ["1MiB", 1_048_576],
  ];
  for (const [text, bytes] of valid) {
    test(`parseSize() reads ${JSON.stringify(text)} as ${bytes} bytes`, () => {
      expect(parseSize(text)).toBe(bytes);
    });
  }

  test("parseSize() uses binary multiples, not decimal ones", () => {
    expect(parseSize("1KB")).toBe(1024);
    expect(parseSize("1KB")).not.toBe(1000);
  });

  const invalid = ["", "MB", "-1MB", "10XB", "1e3", "abc", "1 0MB", "10MBB", "1.2.3k"];
  for (const text of invalid) {
    test(`parseSize() rejects ${JSON.stringify(text)} with undefined`, () => {
      expect(parseSize(text)).toBeUndefined();
    });
  }
});

describe("Go and go-units edge forms", () => {
  test("parseDuration() accepts Go's '.5s', '1.s' and '+1s'", () => {
    expect(parseDuration(".5s")).toBe(500);
    expect(parseDuration("1.s")).toBe(1000);
    expect(parseDuration("+1s")).toBe(1000);
  });
  test("parseSize() accepts petabytes as go-units does", () => {
    expect(parseSize("1PB")).toBe(1024 ** 5);
  });
});
