/**
 * @module
 * Pick the runtime adapter by feature check, the only place that asks which runtime runs.
 */
import type { Runtime } from "./contract.ts";

/** Load the adapter for the runtime executing this process. */
export async function detectRuntime(): Promise<Runtime> {
  if ("Bun" in globalThis) return (await import("./bun.ts")).bunRuntime;
  if ("Deno" in globalThis) return (await import("./deno.ts")).denoRuntime;
  throw new Error("Cannot start Tureen: run it with Bun or Deno (see README)");
}
