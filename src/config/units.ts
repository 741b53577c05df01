/**
 * @module
 * Parsing of the human units Olla's config accepts: Go-style durations ("1m30s") and
 * docker/go-units byte sizes ("100MB", binary multiples as in Olla).
 */

const DURATION_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

const DURATION_PART = /(\d+\.?\d*|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/**
 * Parse a Go-style duration ("10s", "1m30s", "500ms", "0") into milliseconds.
 *
 * @param text the duration as written in config
 * @returns milliseconds, or `undefined` when the text is not a duration
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim().replace(/^\+/, "");
  if (trimmed === "0") return 0;
  if (trimmed === "") return undefined;
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < trimmed.length) {
    const start = DURATION_PART.lastIndex;
    const match = DURATION_PART.exec(trimmed);
    if (!match || match.index !== start) return undefined;
    total += Number(match[1]) * DURATION_UNITS_MS[match[2]!]!;
  }
  return total;
}

/** Render milliseconds the way the config writes them back ("1m30s", "250ms"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [["h", 3_600_000], ["m", 60_000], ["s", 1_000]] as const) {
    const whole = Math.floor(rest / size);
    if (whole > 0) parts.push(`${whole}${unit}`);
    rest -= whole * size;
  }
  if (rest > 0) parts.push(`${rest}ms`);
  return parts.join("");
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
  p: 1024 ** 5,
  pb: 1024 ** 5,
  pib: 1024 ** 5,
};

/**
 * Parse a byte size ("100MB", "512KiB", 1048576) into bytes. Units are binary, as
 * docker/go-units' RAMInBytes reads them in Olla, so "100MB" is 104857600.
 *
 * @returns bytes, or `undefined` when the text is not a size
 */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!match) return undefined;
  const unit = SIZE_UNITS[match[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  return Math.floor(Number(match[1]) * unit);
}
