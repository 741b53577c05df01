/**
 * @module
 * The GET the health loop and model discovery send to a backend: the endpoint's own
 * headers (auth included), a default User-Agent, JSON wanted, and a deadline.
 */
import type { Endpoint } from "./endpoint.ts";

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export function backendGet(fetch: Fetch, url: string, endpoint: Endpoint, timeoutMs: number): Promise<Response> {
  const headers = new Headers(endpoint.config.headers as Array<[string, string]>);
  if (!headers.has("user-agent")) headers.set("user-agent", "tureen-health");
  headers.set("accept", "application/json");
  return fetch(url, { method: "GET", headers, signal: AbortSignal.timeout(timeoutMs) });
}

const MAX_JSON_BYTES = 10 * 1024 * 1024;

/** Read a backend's JSON answer, refusing anything over 10 MiB. */
export async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text.length > MAX_JSON_BYTES) throw new RangeError("Cannot read model list: larger than 10 MiB");
  try {
    return JSON.parse(text);
  } catch {
    throw new SyntaxError("Cannot read model list: the body is not JSON");
  }
}
