/**
 * Where the DMR emulator (dmr.ts) deliberately differs from a real Docker Model Runner v1.2.9 in
 * front of llama.cpp's llama-server, as tests/real/parity_test.ts observes them on the wire. Each
 * entry names a probe of that test, the differences it shows (prefixes of the test's difference
 * lines: "status 200 vs 404", "+a.b" a key only the real one sends, "-a.b" one only the emulator
 * sends) and why the emulator keeps them. A difference not listed here fails the parity test: fix
 * the emulator, or list it here with the reason.
 *
 * Values are not compared, only shapes; the value differences worth knowing are listed in
 * VALUE_DIFFERENCES below.
 */
export interface DeliberateDifference {
  readonly differences: readonly string[];
  readonly why: string;
}

const GGUF_METADATA = "+[].config.gguf.";
const NOT_SERVED = ["status 200 vs 404", "content-type application/json vs text/plain", "body "];

export const DELIBERATE_DIFFERENCES: Record<string, DeliberateDifference> = {
  "GET /models": {
    differences: [GGUF_METADATA],
    why: "DMR copies every GGUF metadata key of the file; the emulator's models have no file, so it reports a fixed subset",
  },
  "GET /models/{name}": {
    differences: ["+config.gguf."],
    why: "as GET /models",
  },
  "anthropic messages": {
    differences: NOT_SERVED,
    why: "DMR serves the Anthropic Messages API at /anthropic/v1/messages; Tureen proxies only the eight seed routes, so the emulator leaves it out",
  },
  "responses API": {
    differences: NOT_SERVED,
    why: "DMR serves OpenAI's Responses API at /v1/responses (/engines/v1/responses); not a seed route, left out",
  },
  "Ollama API tags": {
    differences: NOT_SERVED,
    why: "DMR serves an Ollama-compatible API under /api/; not a seed route, left out",
  },
};

/** Value differences the shape comparison cannot see, each kept on purpose. */
export const VALUE_DIFFERENCES: readonly string[] = [
  // Tests assert on the model name they sent; responseModel "file" or "digest" gives the other forms.
  "`model` in engine answers: real llama-server names the file it loaded (DMR's bundle path ending in model.gguf); the emulator echoes the request's model unless `responseModel` says otherwise",
  // Fixed strings keep emulator tests exact.
  "generated text, token counts, embedding values and ids: real ones come from a random-weight model; the emulator's are fixed (\"Hello from DMR\", 8-dimensional vectors)",
  "`llama.cpp` engine status: a self-built llama-server reports \"Running: llama.cpp unknown\"; the emulator reports a release version",
];
