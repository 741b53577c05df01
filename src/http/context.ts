/**
 * @module
 * The per-request record every handler fills in and the access log reads.
 */
import type { Hono } from "hono";
import type { InboundKey } from "../auth/keys_config.ts";
import type { BodyDeadline } from "./body.ts";
import type { ClientAddress } from "../limits/client_address.ts";
import type { UsageReader } from "../metrics/usage.ts";
import type { ConnInfo } from "../runtime/contract.ts";

export interface BodyEnd {
  readonly end: string;
  readonly bytes: number;
  readonly firstByteAt: number | null;
  readonly error?: unknown;
  /** Tokens and first-token time read from the relayed bytes. */
  readonly usage?: UsageReader;
}

export interface RequestRecord {
  readonly id: string;
  readonly startedAt: number;
  /** The API route kind (`chat`, `completions`, `embeddings`, ...), set by a proxy route: the request is counted in the metrics. */
  route?: string;
  /** The message of the error the proxy answered with, for the dashboard. */
  error?: string;
  model?: string;
  /** The model as the router matched it (spellings that route alike share it), for the metrics' labels. */
  modelKey?: string;
  endpoint?: string;
  attempts?: string[];
  /** The inbound key's name (never the key). */
  keyName?: string;
  /** Set when the response body is relayed: the access line waits for it to end. */
  bodyEnd?: Promise<BodyEnd>;
}

export type AppEnv = {
  Bindings: ConnInfo;
  Variables: {
    record: RequestRecord;
    /** Set on proxied routes when inbound keys are configured. */
    apiKey?: InboundKey;
    /** Set on proxied routes by the rate limiter. */
    client?: ClientAddress;
    /** Why auth or a limit refused the request: `missing_key`, `unknown_key`, or the 429's limit (`global`, `ip`, `key`, `health`). */
    refusedBy?: string;
    /** server.read_timeout for the request body, set on proxied routes. */
    bodyDeadline?: BodyDeadline;
  };
};
export type App = Hono<AppEnv>;
