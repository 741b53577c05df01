/**
 * @module
 * Turn a zod issue into one line a person can act on: the key path, what is wrong, the
 * current value, and the fix.
 */
import type { z } from "zod";
import { isSecretPath, redactUrl } from "./redact.ts";
import { configSchema } from "./schema.ts";

/** Render a key path the way YAML users read it: `discovery.static.endpoints[0].url`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out || "(top level)";
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current = root;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function show(value: unknown, path: ReadonlyArray<PropertyKey>): string {
  if (value === undefined) return "missing";
  // A mistyped secret (token: 987654321) is still a secret: name its type, never its value.
  if (isSecretPath(path)) return `a ${Array.isArray(value) ? "list" : typeof value} (not shown)`;
  const text = JSON.stringify(typeof value === "string" ? redactUrl(value) : value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Describe one validation issue.
 *
 * @param issue the zod issue
 * @param raw the document that was validated, to quote the bad value
 * @param envSources key paths set from OLLA_* variables
 */
export function describeIssue(
  issue: z.core.$ZodIssue,
  raw: unknown,
  envSources: ReadonlyMap<string, string>,
): string {
  const where = formatPath(issue.path);
  const fromEnv = envSources.get(issue.path.join("."));
  const label = fromEnv ? `${where} (from ${fromEnv})` : where;
  if (issue.code === "unrecognized_keys") {
    const known = knownKeysAt(issue.path);
    return issue.keys
      .map((key) => {
        const guess = closest(key, known);
        const hint = guess ? `did you mean "${guess}"?` : `known keys here: ${known.join(", ")}`;
        return `${formatPath([...issue.path, key])}: unknown key: remove it or fix the spelling (${hint})`;
      })
      .join("\n  - ");
  }
  const value = valueAt(raw, issue.path);
  const current = `current value is ${show(value, issue.path)}`;
  if (issue.code === "invalid_value" && "values" in issue) {
    return `${label}: ${current}: use one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
  }
  if (issue.code === "invalid_type" && value === undefined) {
    return `${label}: required key is missing: add it (${issue.expected})`;
  }
  return `${label}: ${issue.message}: ${current}`;
}

/** Walk the schema to the object at `path` and list its keys, for spelling suggestions. */
function knownKeysAt(path: ReadonlyArray<PropertyKey>): string[] {
  let node: any = configSchema;
  const unwrap = () => {
    for (let guard = 0; guard < 10 && node; guard++) {
      const def = node._zod?.def;
      if (!def) return;
      if (def.innerType) node = def.innerType;
      else if (def.type === "pipe") node = def.in;
      else return;
    }
  };
  for (const key of path) {
    unwrap();
    const def = node?._zod?.def;
    if (!def) return [];
    if (typeof key === "number" && def.type === "array") node = def.element;
    else if (def.type === "object") node = def.shape[key as string];
    else return [];
  }
  unwrap();
  const def = node?._zod?.def;
  return def?.type === "object" ? Object.keys(def.shape) : [];
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    const score = editDistance(word.toLowerCase(), candidate);
    if (score < bestScore) [best, bestScore] = [candidate, score];
  }
  return bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}
