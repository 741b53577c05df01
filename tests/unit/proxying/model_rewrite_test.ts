import { describe, expect, test } from "bun:test";
import { findModelValue, rewriteModel } from "../../../src/proxying/model_rewrite.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe("rewriteModel()", () => {
  test("rewriteModel() changes only the top-level model value, keeping every other byte", () => {
    const body = '{ "messages":[{"model":"inner","content":"x"}] ,\n "model" :  "fast", "n": 1.50 }';
    expect(dec(rewriteModel(enc(body), "ai/smollm2"))).toBe(body.replace('"fast"', '"ai/smollm2"'));
  });

  test("rewriteModel() ignores keys named model inside nested objects and strings that look like keys", () => {
    const body = '{"a":{"model":"no"},"b":"\\"model\\":\\"no\\"","model":"yes"}';
    expect(dec(rewriteModel(enc(body), "z"))).toBe('{"a":{"model":"no"},"b":"\\"model\\":\\"no\\"","model":"z"}');
  });

  test("rewriteModel() keeps multi-byte UTF-8 around the value intact and escapes the new name as JSON", () => {
    const body = '{"prompt":"☕ café","model":"fast"}';
    expect(dec(rewriteModel(enc(body), 'we"ird'))).toBe('{"prompt":"☕ café","model":"we\\"ird"}');
  });

  test("rewriteModel() returns the body unchanged when there is no top-level string model", () => {
    for (const body of ['{"messages":[]}', '{"model":5}', "[]", '{"x":{"model":"a"}}']) {
      const bytes = enc(body);
      expect(rewriteModel(bytes, "z")).toBe(bytes);
      expect(findModelValue(bytes)).toBeNull();
    }
  });
});
