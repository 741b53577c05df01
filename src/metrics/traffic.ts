/**
 * @module
 * The `tureen_*` traffic metrics Olla lacks: duration, first byte and first token as
 * histograms, tokens, failovers, cold loads and refusals. Written once per finished request
 * (a stream when it ends) and by a few one-line hooks; read by `/internal/metrics` and the
 * dashboard. Also keeps what the dashboard shows beyond Prometheus: recent windows per model
 * for percentiles and the last errors with their request ids.
 */
import { LatencyWindow } from "./latency.ts";
import { type Cell, type HistogramCell, Registry } from "./registry.ts";
import type { TokenUsage } from "./usage.ts";

/** Seconds: sub-10 ms answers from cache up to a five-minute cold load. */
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const TOKENS_PER_SECOND = [1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000];

/** How one proxied request ended, as the access log saw it. */
export interface FinishedRequest {
  readonly id: string;
  /** The API route kind, e.g. `chat`, `completions`, `embeddings`. */
  readonly route: string;
  readonly model: string | undefined;
  readonly endpoint: string | undefined;
  readonly status: number;
  readonly outcome: "success" | "failure" | "client_closed";
  readonly startedAt: number;
  readonly endedAt: number;
  readonly firstByteAt: number | null;
  readonly firstTokenAt: number | null;
  readonly bytes: number;
  readonly usage: TokenUsage | null;
  /** Why it failed, for the dashboard's error list. */
  readonly error?: string;
  readonly path: string;
}

export interface RecentError {
  readonly at: number;
  readonly request_id: string;
  readonly status: number;
  readonly model: string | null;
  readonly endpoint: string | null;
  readonly path: string;
  readonly message: string;
}

/** Recent samples per model, for the dashboard's percentiles. */
export class ModelWindows {
  readonly duration = new LatencyWindow(256);
  readonly ttft = new LatencyWindow(256);
  readonly tokensPerSecond = new LatencyWindow(256);
  tokensIn = 0;
  tokensOut = 0;
}

const MAX_RECENT_ERRORS = 20;

/**
 * The cells one (route, model, endpoint) writes, found with one lookup per finished request
 * instead of one per family. Cells are created on first use, so the exposition shows exactly
 * the label sets that were counted.
 */
interface Series {
  readonly duration: HistogramCell;
  ttfb: HistogramCell | null;
  ttft: HistogramCell | null;
  /** tureen_requests_total by `code outcome`. */
  readonly requests: Map<string, Cell>;
  readonly windows: ModelWindows | null;
  promptTokens: Cell | null;
  completionTokens: Cell | null;
  tokensPerSecond: HistogramCell | null;
}

export class TrafficMetrics {
  readonly registry = new Registry();
  readonly requests = this.registry.counter(
    "tureen_requests_total",
    "Proxied requests by route, model, endpoint, HTTP status and outcome, counted when the answer (a stream: its last byte) has gone",
    ["route", "model", "endpoint", "code", "outcome"],
  );
  readonly duration = this.registry.histogram(
    "tureen_request_duration_seconds",
    "Time from request to the last byte of the answer",
    ["route", "model", "endpoint"],
    SECONDS,
  );
  readonly ttfb = this.registry.histogram(
    "tureen_time_to_first_byte_seconds",
    "Time from request to the first byte of the answer sent to the client",
    ["route", "model", "endpoint"],
    SECONDS,
  );
  readonly ttft = this.registry.histogram(
    "tureen_time_to_first_token_seconds",
    "Streams only: time from request to the first chunk carrying generated text",
    ["route", "model", "endpoint"],
    SECONDS,
  );
  readonly promptTokens = this.registry.counter(
    "tureen_prompt_tokens_total",
    "Input tokens the backends reported (usage, timings or eval counts)",
    ["endpoint", "model"],
  );
  readonly completionTokens = this.registry.counter(
    "tureen_completion_tokens_total",
    "Output tokens the backends reported (usage, timings or eval counts)",
    ["endpoint", "model"],
  );
  readonly tokensPerSecond = this.registry.histogram(
    "tureen_output_tokens_per_second",
    "Generation speed per request: the backend's own figure, else output tokens over the time after the first token",
    ["endpoint", "model"],
    TOKENS_PER_SECOND,
  );
  readonly failovers = this.registry.counter(
    "tureen_failovers_total",
    "Attempts given up on an endpoint (the request moved to the next candidate, if any), by reason",
    ["endpoint", "reason"],
  );
  readonly coldLoads = this.registry.counter(
    "tureen_cold_loads_total",
    "Requests sent for a model not loaded on the endpoint, which makes it load",
    ["endpoint", "model"],
  );
  readonly coldLoadsJoined = this.registry.counter(
    "tureen_cold_loads_joined_total",
    "Requests that arrived while the model was already loading on the endpoint and waited for that load",
    ["endpoint", "model"],
  );
  readonly authRefusals = this.registry.counter(
    "tureen_auth_refusals_total",
    "Requests refused by authentication, by reason",
    ["reason"],
  );
  readonly rateLimitRefusals = this.registry.counter(
    "tureen_rate_limit_refusals_total",
    "Requests refused by rate limiting, by limit",
    ["scope"],
  );
  /** Bytes sent to clients per endpoint (Olla's traffic figures). */
  readonly trafficBytes = new Map<string, number>();
  readonly byModel = new Map<string, ModelWindows>();
  /** 413s: bodies over `server.request_limits.max_body_size` (Olla's size-limit violations). */
  sizeLimitRefusals = 0;
  readonly #errors: RecentError[] = [];
  readonly #series = new Map<string, Series>();

  /** Count one finished request in every family it touches. */
  finished(request: FinishedRequest): void {
    const model = request.model ?? "";
    const endpoint = request.endpoint ?? "";
    const series = this.#seriesOf(request.route, model, endpoint);
    const codeOutcome = `${request.status} ${request.outcome}`;
    let count = series.requests.get(codeOutcome);
    if (!count) {
      count = this.requests.cell([request.route, model, endpoint, String(request.status), request.outcome]);
      series.requests.set(codeOutcome, count);
    }
    count.value++;
    const durationMs = request.endedAt - request.startedAt;
    series.duration.observe(durationMs / 1000);
    if (request.firstByteAt !== null) {
      series.ttfb ??= this.ttfb.cell([request.route, model, endpoint]);
      series.ttfb.observe((request.firstByteAt - request.startedAt) / 1000);
    }
    if (request.firstTokenAt !== null) {
      series.ttft ??= this.ttft.cell([request.route, model, endpoint]);
      series.ttft.observe((request.firstTokenAt - request.startedAt) / 1000);
    }
    if (request.endpoint) this.trafficBytes.set(endpoint, (this.trafficBytes.get(endpoint) ?? 0) + request.bytes);
    if (request.status === 413) this.sizeLimitRefusals++;
    const { windows } = series;
    if (windows && request.outcome !== "client_closed") windows.duration.record(durationMs);
    if (windows && request.firstTokenAt !== null) windows.ttft.record(request.firstTokenAt - request.startedAt);
    if (request.usage && request.endpoint && windows) this.#tokens(request, series, windows);
    if (request.status >= 400 || request.outcome === "failure") this.#error(request);
  }

  failover(endpoint: string, reason: string): void {
    this.failovers.inc([endpoint, reason]);
  }

  /** A request is about to be sent for a model that is not loaded there; `joined` when a load is already under way. */
  coldLoad(endpoint: string, model: string, joined: boolean): void {
    (joined ? this.coldLoadsJoined : this.coldLoads).inc([endpoint, model]);
  }

  /** For the auth middleware: a request refused for `reason` (e.g. `missing_key`, `unknown_key`). */
  authRefused(reason: string): void {
    this.authRefusals.inc([reason]);
  }

  /** For the rate limiter: a request refused by the `scope` limit (e.g. `global`, `ip`, `key`). */
  rateLimited(scope: string): void {
    this.rateLimitRefusals.inc([scope]);
  }

  /** The last errors, newest first. */
  recentErrors(): readonly RecentError[] {
    return [...this.#errors].reverse();
  }

  #seriesOf(route: string, model: string, endpoint: string): Series {
    // Label values never hold \u0001 (registry.ts), so the key is unambiguous.
    const key = `${route}\u0001${model}\u0001${endpoint}`;
    let series = this.#series.get(key);
    if (series) return series;
    series = {
      duration: this.duration.cell([route, model, endpoint]),
      ttfb: null,
      ttft: null,
      requests: new Map(),
      windows: model ? this.#windows(model) : null,
      promptTokens: null,
      completionTokens: null,
      tokensPerSecond: null,
    };
    this.#series.set(key, series);
    return series;
  }

  #tokens(request: FinishedRequest, series: Series, windows: ModelWindows): void {
    const usage = request.usage!;
    const labels = [request.endpoint!, request.model!];
    if (usage.input !== null) {
      (series.promptTokens ??= this.promptTokens.cell(labels)).value += usage.input;
      windows.tokensIn += usage.input;
    }
    if (usage.output === null) return;
    (series.completionTokens ??= this.completionTokens.cell(labels)).value += usage.output;
    windows.tokensOut += usage.output;
    const speed = usage.outputPerSecond ?? measuredSpeed(request, usage.output);
    if (speed !== null) {
      (series.tokensPerSecond ??= this.tokensPerSecond.cell(labels)).observe(speed);
      windows.tokensPerSecond.record(speed);
    }
  }

  #windows(model: string): ModelWindows {
    let found = this.byModel.get(model);
    if (!found) this.byModel.set(model, found = new ModelWindows());
    return found;
  }

  #error(request: FinishedRequest): void {
    this.#errors.push({
      at: request.endedAt,
      request_id: request.id,
      status: request.status,
      model: request.model ?? null,
      endpoint: request.endpoint ?? null,
      path: request.path,
      message: request.error ?? `HTTP ${request.status}`,
    });
    if (this.#errors.length > MAX_RECENT_ERRORS) this.#errors.shift();
  }
}

/**
 * A route label from a proxied path, for routes that do not set one: the API after `/v1/`
 * (`chat` for chat/completions, `messages`, `responses`, ...), else the last segment (`rerank`).
 */
export function routeOfPath(path: string): string {
  const v1 = path.lastIndexOf("/v1/");
  const rest = v1 === -1 ? path.slice(path.lastIndexOf("/") + 1) : path.slice(v1 + 4).split("/")[0]!;
  return rest || "other";
}

/** Output tokens over the generation time: after the first token for a stream, the whole request otherwise. */
function measuredSpeed(request: FinishedRequest, output: number): number | null {
  if (output <= 1) return null;
  const from = request.firstTokenAt ?? request.startedAt;
  const seconds = (request.endedAt - from) / 1000;
  return seconds > 0 ? output / seconds : null;
}
