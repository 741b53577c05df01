/**
 * Await a promise that must reject with a ProxyError, and return the error.
 */
import { expect } from "bun:test";
import { ProxyError } from "../../src/http/errors.ts";

export async function rejection(promise: Promise<unknown>): Promise<ProxyError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProxyError);
    return error as ProxyError;
  }
  throw new Error("expected a ProxyError, but the promise resolved");
}
