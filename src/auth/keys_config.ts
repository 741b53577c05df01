/**
 * @module
 * The `auth:` block resolved: each inbound key read from the file, the environment or a
 * key_file, its model allow-list normalised like request models, and the /internal policy.
 */
import type { RawConfig } from "../config/schema.ts";
import { normaliseModelRef } from "../models/dmr_names.ts";

export interface InboundKey {
  readonly name: string;
  readonly key: string;
  /** Normalised model refs this key may use; null means every model. */
  readonly models: readonly string[] | null;
  readonly requestsPerMinute: number | null;
}

export type InternalAccess = "loopback" | "keys" | "open";

export interface InboundAuth {
  readonly keys: readonly InboundKey[];
  readonly internal: InternalAccess;
}

/** Shorter keys are accepted with a warning: they are guessable. */
const MIN_KEY_LENGTH = 16;
const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export interface SecretSources {
  readonly env: (name: string) => string | undefined;
  readonly readTextFile: (path: string) => string | undefined;
}

/**
 * @param problems collects errors that stop the config (never quoting a key)
 * @param warnings collects things worth a log line
 */
export function resolveInboundAuth(
  raw: RawConfig["auth"],
  sources: SecretSources,
  problems: string[],
  warnings: string[],
): InboundAuth {
  const keys: InboundKey[] = [];
  const names = new Set<string>();
  const values = new Map<string, string>();
  raw.keys.forEach((entry, i) => {
    const path = `auth.keys[${i}]`;
    if (names.has(entry.name)) {
      problems.push(`${path}.name: "${entry.name}" is already used by another key: give each key a unique name`);
      return;
    }
    names.add(entry.name);
    const key = readKey(path, entry, sources, problems);
    if (key === null) return;
    if (/[\s\0]/.test(key) || /[^\x21-\x7e]/.test(key)) {
      problems.push(`${path}: key "${entry.name}" holds spaces, line breaks or non-ASCII characters: use printable ASCII only`);
      return;
    }
    const twin = values.get(key);
    if (twin) {
      problems.push(`${path}: key "${entry.name}" has the same value as "${twin}": give each client its own key`);
      return;
    }
    values.set(key, entry.name);
    if (key.length < MIN_KEY_LENGTH) {
      warnings.push(`${path}: key "${entry.name}" is shorter than ${MIN_KEY_LENGTH} characters: use a long random key (openssl rand -hex 32)`);
    }
    keys.push({
      name: entry.name,
      key,
      models: entry.models ? entry.models.map(normaliseModelRef) : null,
      requestsPerMinute: entry.requests_per_minute ?? null,
    });
  });
  return { keys, internal: raw.internal ?? (raw.keys.length > 0 ? "loopback" : "open") };
}

function readKey(
  path: string,
  entry: RawConfig["auth"]["keys"][number],
  sources: SecretSources,
  problems: string[],
): string | null {
  if ((entry.key === undefined) === (entry.key_file === undefined)) {
    problems.push(`${path}: set exactly one of key or key_file for "${entry.name}"`);
    return null;
  }
  if (entry.key_file !== undefined) {
    let text: string | undefined;
    try {
      text = sources.readTextFile(entry.key_file);
    } catch {
      text = undefined;
    }
    if (text === undefined) {
      problems.push(`${path}.key_file: "${entry.key_file}" cannot be read: check the path and its permissions`);
      return null;
    }
    return nonEmpty(path, entry.name, text.trim(), problems);
  }
  let missing = false;
  const key = entry.key!.replace(ENV_REFERENCE, (_, name: string) => {
    const found = sources.env(name);
    if (found === undefined) {
      problems.push(`${path}.key: \${${name}} is not set in the environment: export ${name} or remove the key`);
      missing = true;
      return "";
    }
    return found;
  });
  return missing ? null : nonEmpty(path, entry.name, key, problems);
}

function nonEmpty(path: string, name: string, key: string, problems: string[]): string | null {
  if (key === "") {
    problems.push(`${path}: the key for "${name}" is empty: set a value`);
    return null;
  }
  return key;
}
