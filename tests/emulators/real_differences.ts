/**
 * Where the DMR emulators (dmr.ts, and dmr_apis.ts in front of it) differ from a real Docker Model Runner v1.2.9 in
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
    differences: ["+usage.cache_read_input_tokens"],
    why: "dmr_apis.ts answers Messages with the usage fields Tureen's translation reads; llama-server also reports prompt-cache reads. Found by this test, not yet matched",
  },
  "responses API": {
    differences: [
      "+error", "+incomplete_details", "+instructions", "+max_output_tokens", "+metadata", "+output_text",
      "+parallel_tool_calls", "+reasoning", "+reasoning_effort", "+store", "+temperature", "+tool_choice", "+tools",
      "+top_p", "+user", "-output[].content[].annotations",
    ],
    why: "dmr_apis.ts answers a Responses object with the fields Tureen reads (id, output, usage); DMR v1.2.9 echoes every request setting and has no `annotations` on output text. Found by this test, not yet matched",
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
  // Found through the Anthropic SDK (tests/real/dmr_sdk_apis_test.ts); Tureen's passthrough keeps the status and wording and answers in Anthropic's shape either way.
  "Anthropic Messages errors: real DMR (llama-server) answers invalid requests in OpenAI's error shape (`{\"error\":{\"code\":400,\"type\":\"invalid_request_error\"}}`, a missing `messages` even as 500 `server_error`) and accepts a string `messages`; dmr_apis.ts answers Anthropic's shape (`{\"type\":\"error\",...}`) and refuses a non-list",
  "`llama.cpp` engine status: a self-built llama-server reports \"Running: llama.cpp unknown\"; the emulator reports a release version",
];
