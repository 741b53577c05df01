/**
 * Shared set-up of the client-compatibility suite: one DMR with a chat model and an embedding
 * model, and the real Tureen server (under TUREEN_TEST_RUNTIME) in front of it. The DMR is the
 * emulator, or with TUREEN_TEST_BACKEND=real a real Docker Model Runner and llama-server on a tiny
 * random-weight model (tests/real/), whose text is gibberish: `expectText` and
 * `expectCompletionTokens` check exact values only against the emulator.
 * 1 s health intervals keep "endpoint unhealthy" and Retry-After waits near a second; timeouts
 * as long, so a probe slowed by a loaded machine leaves the endpoint neither busy nor offline.
 */
import { expect } from "bun:test";
import { type RecordedRequest, startDmr } from "../emulators/dmr.ts";
import { type DmrApisEmulator, startDmrApis } from "../emulators/dmr_apis.ts";
import { startRealDmr } from "../real/_backends.ts";
import { REAL_ENABLED } from "../real/_enabled.ts";
import { recordingRelay } from "../real/_relay.ts";
import { dmrConfig, type ServerUnderTest, startServer } from "../_server.ts";

export const CHAT_MODEL = "ai/smollm2";
export const EMBEDDING_MODEL = "ai/mxbai-embed-large";
/** Length of every vector: the emulator's (tests/emulators/_dmr_engine.ts `embed`), or the tiny model's n_embd. */
export const EMBEDDING_DIMENSIONS = REAL_ENABLED ? 128 : 8;
/** The emulator's default generation, token by token. */
export const TOKENS = ["Hello", " from", " DMR"] as const;
export const TEXT = TOKENS.join("");
/** Whether the backend is a real DMR (tests that need the emulator's fault injection skip then). */
export const REAL_BACKEND = REAL_ENABLED;

/** Generated text: the emulator's exactly; a real model's is some string (empty, or null in an SDK, when EOS came first). */
export function expectText(text: string | null | undefined): void {
  if (REAL_BACKEND) expect(typeof (text ?? "")).toBe("string");
  else expect(text).toBe(TEXT);
}

/** Generated token count: the emulator's exactly; a real model's is a count. */
export function expectCompletionTokens(count: number | undefined): void {
  if (REAL_BACKEND) expect(count).toBeGreaterThanOrEqual(0);
  else expect(count).toBe(TOKENS.length);
}

/** Streamed deltas: the emulator's tokens exactly; a real model's add up to its text. */
export function expectDeltas(deltas: string[], text: string): void {
  if (REAL_BACKEND) expect(deltas.join("")).toBe(text);
  else expect(deltas).toEqual([...TOKENS]);
}

/** Generous enough for a cold Deno start on a 2-core machine, or a real DMR's first model load. */
export const SETUP_TIMEOUT_MS = REAL_BACKEND ? 60_000 : 30_000;

/** What the suite needs of its DMR: where it is, what it received, and how to stop it. */
export interface CompatDmr {
  readonly url: string;
  readonly requests: RecordedRequest[];
  stop(): Promise<void>;
}

async function startCompatDmr(): Promise<CompatDmr> {
  if (REAL_BACKEND) return recordingRelay(await startRealDmr("alpha", { embedding: [EMBEDDING_MODEL] }));
  return startDmr({
    models: [{ tag: "docker.io/ai/smollm2:latest" }, { tag: "docker.io/ai/mxbai-embed-large:latest" }],
  });
}

export interface CompatStack {
  dmr: CompatDmr;
  server: ServerUnderTest;
  /** What a client is configured with: `${server.url}/olla/dmr/engines/v1`. */
  baseURL: string;
  stop(): Promise<void>;
}

export async function startStack(): Promise<CompatStack> {
  const dmr = await startCompatDmr();
  let server: ServerUnderTest;
  try {
    server = await startServer(
      dmrConfig([{ url: dmr.url, name: "dmr", check_interval: "1s", check_timeout: "1s" }], {
        logging: { level: "info" },
      }),
    );
  } catch (error) {
    await dmr.stop();
    throw error;
  }
  // The first probe also reads the model list; wait for it so the first test does not race it.
  await server.waitForLog((l) => l.msg === "endpoint healthy");
  return {
    dmr,
    server,
    baseURL: `${server.url}/olla/dmr/engines/v1`,
    async stop() {
      await server.stop();
      await dmr.stop();
    },
  };
}

/** The parsed JSON body of the last request the DMR saw on a path ending with `suffix`. */
export function lastBody(dmr: CompatDmr, suffix: string): Record<string, any> {
  const hit = dmr.requests.findLast((r) => r.method === "POST" && r.path.endsWith(suffix));
  if (!hit) throw new Error(`the emulator saw no POST ending with ${suffix}`);
  return JSON.parse(new TextDecoder().decode(hit.body));
}

/** The rejection of `promise` (any error, as the client library raised it), failing the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

export interface AnthropicStack {
  /** Speaks Anthropic natively, holds ai/smollm2. */
  native: DmrApisEmulator;
  /** Speaks only chat completions (anthropic_support: false), holds ai/qwen3. */
  chatOnly: DmrApisEmulator;
  server: ServerUnderTest;
  stop(): Promise<void>;
}

/** Two DMR-like backends, one per Anthropic leg (passthrough, translation), behind Tureen with `anthropic` config. */
export async function startAnthropicStack(anthropic: Record<string, unknown>): Promise<AnthropicStack> {
  const native = await startDmrApis({ models: [{ tag: "docker.io/ai/smollm2:latest" }] });
  const chatOnly = await startDmrApis({ anthropic: false, models: [{ tag: "docker.io/ai/qwen3:latest" }] });
  const stop = async () => {
    await server?.stop();
    await native.stop();
    await chatOnly.stop();
  };
  let server: ServerUnderTest | undefined;
  try {
    server = await startServer(
      dmrConfig([
        { url: native.url, name: "native", check_interval: "1s", check_timeout: "1s" },
        { url: chatOnly.url, name: "chat-only", anthropic_support: false, check_interval: "1s", check_timeout: "1s" },
      ], { logging: { level: "info" }, anthropic }),
    );
    await server.waitForLog((l) => l.msg === "endpoint healthy" && l.endpoint === "native");
    await server.waitForLog((l) => l.msg === "endpoint healthy" && l.endpoint === "chat-only");
  } catch (error) {
    await stop();
    throw error;
  }
  return { native, chatOnly, server, stop };
}
