/**
 * @module
 * The per-request record every handler fills in and the access log reads.
 */
import type { Hono } from "hono";
import type { ConnInfo } from "../runtime/contract.ts";

export interface BodyEnd {
  readonly end: string;
  readonly bytes: number;
  readonly firstByteAt: number | null;
  readonly error?: unknown;
}

export interface RequestRecord {
  readonly id: string;
  readonly startedAt: number;
  model?: string;
  endpoint?: string;
  attempts?: string[];
  /** Set when the response body is relayed: the access line waits for it to end. */
  bodyEnd?: Promise<BodyEnd>;
}

export type AppEnv = { Bindings: ConnInfo; Variables: { record: RequestRecord } };
export type App = Hono<AppEnv>;
