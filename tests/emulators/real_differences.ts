/**
 * Where the DMR emulator (dmr.ts) deliberately differs from a real Docker Model Runner v1.2.9 in
 * front of llama.cpp's llama-server, as tests/real/parity_test.ts observes them on the wire. Each
 * entry names a probe of that test, the differences it shows (prefixes of the test's difference
 * lines: "status 500 vs 400", "+a.b" only real, "-a.b" only emulator) and why the emulator keeps
 * them. A difference not listed here fails the parity test: fix the emulator or list it, with why.
 */
export interface DeliberateDifference {
  readonly differences: readonly string[];
  readonly why: string;
}

export const DELIBERATE_DIFFERENCES: Record<string, DeliberateDifference> = {};
