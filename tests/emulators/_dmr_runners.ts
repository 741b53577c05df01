// Runner bookkeeping of the DMR emulator: lazy loads shared by concurrent
// requests, in-use refcounts and keep-alive expiry (docs/DMR.md §1c, §5, §8, §10).

export type Mode = "completion" | "embedding" | "reranking";

export interface RunnerSpec {
  /** "<canonical tag>|<mode>", as reported by `DmrEmulator.loaded()`. */
  key: string;
  /** Canonical tag of the model. */
  tag: string;
  mode: Mode;
  backend: string;
  /** Ref string of the request that loaded it (`model_name` in /engines/ps). */
  modelName: string;
}

export interface Runner extends RunnerSpec {
  loading: boolean;
  inUse: number;
  lastUsed: number;
  ready?: Promise<LoadOutcome>;
  cancelLoad?: () => void;
}

type LoadOutcome = "ready" | "cancelled" | { error: string };

export interface RunnerSettings {
  loadDelayMs: number;
  keepAliveMs: number;
  failLoad: string | null;
}

const ZERO_TIME = "0001-01-01T00:00:00Z"; // Go's zero time.Time: `last_used` while in use (§1c)

export const ABORTED = Symbol("aborted");

/** Resolves after `ms`, or as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  let onAbort = () => {};
  const aborted = new Promise<typeof ABORTED>((resolve) => {
    onAbort = () => resolve(ABORTED);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => signal.removeEventListener("abort", onAbort));
}

export class RunnerPool {
  private readonly runners = new Map<string, Runner>();

  /** `settings` is read at each use, so tests may change options at run time. */
  constructor(private readonly settings: () => RunnerSettings) {}

  /**
   * Get a ready runner, loading it if needed; concurrent callers share one load.
   * The load runs under the triggering request's context (§5, inferred), so if that
   * client disconnects the load is cancelled and the remaining waiters start over.
   * The caller must `release` the runner when its response ends.
   */
  async acquire(spec: RunnerSpec, signal: AbortSignal): Promise<Runner | typeof ABORTED | { error: string }> {
    for (;;) {
      if (signal.aborted) return ABORTED;
      this.pruneExpired();
      let runner = this.runners.get(spec.key);
      const triggered = runner === undefined;
      runner ??= this.startLoad(spec);
      runner.inUse++;
      if (!runner.loading) return runner;
      const outcome = await raceAbort(runner.ready!, signal);
      if (outcome === "ready") return runner;
      runner.inUse--;
      if (outcome === ABORTED) {
        if (triggered) runner.cancelLoad?.();
        return ABORTED;
      }
      if (outcome !== "cancelled") return outcome;
    }
  }

  release(runner: Runner): void {
    runner.inUse = Math.max(0, runner.inUse - 1);
    runner.lastUsed = Date.now();
    this.pruneExpired();
  }

  /** Keys of ready (not loading) runners. */
  loadedKeys(): string[] {
    this.pruneExpired();
    return [...this.runners.values()].filter((r) => !r.loading).map((r) => r.key);
  }

  /** `GET /engines/ps` entries: loaded and loading runners (§1c). */
  ps(): Record<string, unknown>[] {
    this.pruneExpired();
    return [...this.runners.values()].map((r) => {
      const busy = r.inUse > 0 || r.loading;
      return {
        backend_name: r.backend,
        model_name: r.modelName,
        mode: r.mode,
        last_used: busy ? ZERO_TIME : new Date(r.lastUsed).toISOString(),
        ...(busy ? { in_use: true } : {}),
        ...(r.loading ? { loading: true } : {}),
      };
    });
  }

  /** `POST /engines/unload`: evicts matching runners that are not handling a request (§1c). */
  unloadIdle(filter: { all: boolean; backend?: string; tags: readonly string[] }): number {
    this.pruneExpired();
    let count = 0;
    for (const [key, r] of this.runners) {
      if (r.loading || r.inUse > 0) continue;
      if (filter.backend && filter.backend !== r.backend) continue;
      if (!filter.all && !filter.tags.includes(r.tag)) continue;
      this.runners.delete(key);
      count++;
    }
    return count;
  }

  /** Test helper: drop every ready runner, busy or not; loads in progress go on. */
  unloadReady(): void {
    for (const [key, r] of this.runners) if (!r.loading) this.runners.delete(key);
  }

  /** Cancel loads in progress and forget everything (server shutdown). */
  clear(): void {
    for (const r of this.runners.values()) r.cancelLoad?.();
    this.runners.clear();
  }

  private pruneExpired(): void {
    const now = Date.now();
    const keepAliveMs = this.settings().keepAliveMs;
    for (const [key, r] of this.runners) {
      if (!r.loading && r.inUse === 0 && now - r.lastUsed >= keepAliveMs) this.runners.delete(key);
    }
  }

  private startLoad(spec: RunnerSpec): Runner {
    const controller = new AbortController();
    const runner: Runner = { ...spec, loading: true, inUse: 0, lastUsed: 0 };
    const forget = () => {
      if (this.runners.get(spec.key) === runner) this.runners.delete(spec.key);
    };
    runner.cancelLoad = () => controller.abort();
    runner.ready = sleep(this.settings().loadDelayMs, controller.signal).then((): LoadOutcome => {
      if (controller.signal.aborted) {
        forget();
        return "cancelled";
      }
      const failLoad = this.settings().failLoad;
      if (failLoad !== null) {
        forget();
        return { error: `unable to load runner: error waiting for runner to be ready: ${failLoad}` };
      }
      runner.loading = false;
      runner.ready = undefined;
      runner.cancelLoad = undefined;
      runner.lastUsed = Date.now();
      return "ready";
    });
    this.runners.set(spec.key, runner);
    return runner;
  }
}
