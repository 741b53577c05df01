/**
 * Await a promise that must reject with a proxy error (a ProxyError, or a Failure from
 * below http/), and return it as the client would see it.
 */
import { expect } from "bun:test";
import { asProxyError, type ProxyError } from "../../src/http/errors.ts";

export async function rejection(promise: Promise<unknown>): Promise<ProxyError> {
  try {
    await promise;
  } catch (error) {
    const known = asProxyError(error);
    expect(known).not.toBeNull();
    return known!;
  }
  throw new Error("expected a proxy error, but the promise resolved");
}
