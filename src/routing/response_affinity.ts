/**
 * @module
 * Which endpoint holds each Responses API conversation. DMR keeps a response's state in the
 * instance that created it, so a follow-up (`previous_response_id`) or a GET of the id must
 * go back there. The map is bounded (least recently used entries go first) and entries
 * expire after a stretch without use; it lives in memory for the life of the process, so a
 * config reload keeps it and a restart forgets it.
 */
import type { Clock } from "../clock.ts";

/** Where a response lives: the endpoint's name and the URL it had then. */
export interface Holder {
  readonly name: string;
  readonly url: string;
}

export interface ResponseAffinityOptions {
  readonly clock: Clock;
  /** Entries kept at most; the least recently used goes first. */
  readonly maxEntries: number;
  /** An entry unused this long is forgotten. */
  readonly ttlMs: number;
}

export class ResponseAffinity {
  readonly #options: ResponseAffinityOptions;
  /** Insertion order is use order: the oldest entry is always first. */
  readonly #entries = new Map<string, { holder: Holder; expiresAt: number }>();

  constructor(options: ResponseAffinityOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Bind `id` to `holder` (again), as the most recently used entry. */
  remember(id: string, holder: Holder): void {
    this.#entries.delete(id);
    this.#entries.set(id, { holder, expiresAt: this.#options.clock.now() + this.#options.ttlMs });
    this.#sweep();
  }

  /** The holder of `id`, refreshing its expiry; null when unknown or expired. */
  lookup(id: string): Holder | null {
    const entry = this.#entries.get(id);
    if (!entry) return null;
    if (entry.expiresAt <= this.#options.clock.now()) {
      this.#entries.delete(id);
      return null;
    }
    this.remember(id, entry.holder);
    return entry.holder;
  }

  forget(id: string): void {
    this.#entries.delete(id);
  }

  /** Drop expired entries from the front, then the oldest past the bound. */
  #sweep(): void {
    const now = this.#options.clock.now();
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAt > now && this.#entries.size <= this.#options.maxEntries) break;
      this.#entries.delete(id);
    }
  }
}
