/**
 * @module
 * A fixed window of recent latencies with percentiles: bounded memory however long the
 * process runs, and recent enough to show today's behaviour rather than last week's.
 */

export class LatencyWindow {
  readonly #samples: Float64Array;
  #next = 0;
  #count = 0;
  #min = Infinity;
  #max = 0;
  #sum = 0;
  #total = 0;

  constructor(size = 512) {
    this.#samples = new Float64Array(size);
  }

  record(ms: number): void {
    this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#samples.length;
    this.#count = Math.min(this.#count + 1, this.#samples.length);
    this.#min = Math.min(this.#min, ms);
    this.#max = Math.max(this.#max, ms);
    this.#sum += ms;
    this.#total++;
  }

  /** Nearest-rank percentile over the window, in ms; null before any sample. */
  percentile(p: number): number | null {
    if (this.#count === 0) return null;
    const sorted = Array.from(this.#samples.subarray(0, this.#count)).sort((a, b) => a - b);
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[rank]!;
  }

  summary(): { avg_ms: number | null; min_ms: number | null; max_ms: number | null; p50_ms: number | null; p95_ms: number | null; p99_ms: number | null } {
    if (this.#total === 0) return { avg_ms: null, min_ms: null, max_ms: null, p50_ms: null, p95_ms: null, p99_ms: null };
    return {
      avg_ms: round(this.#sum / this.#total),
      min_ms: round(this.#min),
      max_ms: round(this.#max),
      p50_ms: round(this.percentile(50)!),
      p95_ms: round(this.percentile(95)!),
      p99_ms: round(this.percentile(99)!),
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
