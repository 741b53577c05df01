/**
 * @module
 * Replace the top-level `model` string of a JSON request body, byte for byte everywhere
 * else: whitespace, key order, number spelling and escapes elsewhere stay exactly as the
 * client sent them. Works on bytes: in UTF-8 every structural character is one byte below
 * 0x80 and never part of a multi-byte sequence, so no decoding is needed.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const encoder = new TextEncoder();
const MODEL = encoder.encode('"model"');

/** Where the value of the top-level `"model"` string lies (quotes included), or null. */
export function findModelValue(body: Uint8Array): { start: number; end: number } | null {
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i]!;
    if (byte === QUOTE) {
      const end = stringEnd(body, i);
      if (end === -1) return null;
      if (depth === 1 && expectKey && isModelKey(body, i, end)) {
        let j = skipSpace(body, end + 1);
        if (body[j] !== 0x3a) return null;
        j = skipSpace(body, j + 1);
        if (body[j] !== QUOTE) return null;
        const valueEnd = stringEnd(body, j);
        return valueEnd === -1 ? null : { start: j, end: valueEnd + 1 };
      }
      expectKey = false;
      i = end;
    } else if (byte === 0x7b || byte === 0x5b) {
      depth++;
      expectKey = byte === 0x7b && depth === 1;
    } else if (byte === 0x7d || byte === 0x5d) {
      depth--;
    } else if (byte === 0x2c && depth === 1) {
      expectKey = true;
    }
  }
  return null;
}

/** The body with the top-level `model` set to `name`; the body itself when it has none. */
export function rewriteModel(body: Uint8Array<ArrayBuffer>, name: string): Uint8Array<ArrayBuffer> {
  const span = findModelValue(body);
  if (!span) return body;
  const value = encoder.encode(JSON.stringify(name));
  const out = new Uint8Array(body.length - (span.end - span.start) + value.length);
  out.set(body.subarray(0, span.start), 0);
  out.set(value, span.start);
  out.set(body.subarray(span.end), span.start + value.length);
  return out;
}

function stringEnd(body: Uint8Array, open: number): number {
  for (let i = open + 1; i < body.length; i++) {
    if (body[i] === BACKSLASH) i++;
    else if (body[i] === QUOTE) return i;
  }
  return -1;
}

function isModelKey(body: Uint8Array, start: number, end: number): boolean {
  if (end + 1 - start !== MODEL.length) return false;
  for (let i = 0; i < MODEL.length; i++) if (body[start + i] !== MODEL[i]) return false;
  return true;
}

function skipSpace(body: Uint8Array, from: number): number {
  let i = from;
  while (body[i] === 0x20 || body[i] === 0x09 || body[i] === 0x0a || body[i] === 0x0d) i++;
  return i;
}
