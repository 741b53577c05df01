/**
 * @module
 * The inbound keys in force. A presented key is hashed and compared with every key's hash
 * in constant time, so neither the match nor its position leaks through timing. A reload
 * swaps the whole set at once: added keys work and revoked ones fail from the next request.
 */
import type { InboundAuth, InboundKey, InternalAccess } from "./keys_config.ts";

const encoder = new TextEncoder();

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** Equal in constant time for equal-length inputs (both are SHA-256 digests here). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ (b[i] ?? 0);
  return diff === 0;
}

export class KeyRing {
  #entries: ReadonlyArray<{ readonly hash: Uint8Array; readonly key: InboundKey }> = [];
  #internal: InternalAccess = "open";
  #version = 0;

  /** True when keys are configured, so proxied routes need one. */
  get enabled(): boolean {
    return this.#entries.length > 0;
  }

  /** Who may read /internal/* (auth.internal). */
  get internal(): InternalAccess {
    return this.#internal;
  }

  /** Put `auth` in force; resolves once the new keys are usable. */
  async replace(auth: InboundAuth): Promise<void> {
    const version = ++this.#version;
    const entries = await Promise.all(auth.keys.map(async (key) => ({ hash: await digest(key.key), key })));
    // A later replace that finished first wins.
    if (version !== this.#version) return;
    this.#entries = entries;
    this.#internal = auth.internal;
  }

  /** The key `presented` matches, or null. Every key is compared, whatever matches. */
  async identify(presented: string): Promise<InboundKey | null> {
    const entries = this.#entries;
    const hash = await digest(presented);
    let found: InboundKey | null = null;
    for (const entry of entries) {
      if (sameBytes(hash, entry.hash) && found === null) found = entry.key;
    }
    return found;
  }
}

/** The key a client presented: `Authorization: Bearer <key>` or `x-api-key: <key>`. */
export function presentedKey(headers: Headers): string | null {
  const authorization = headers.get("authorization");
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1]!;
  }
  const apiKey = headers.get("x-api-key");
  return apiKey ? apiKey.trim() || null : null;
}
