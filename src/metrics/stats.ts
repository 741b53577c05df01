/**
 * @module
 * Request counters per endpoint and per model, written once per finished request (never
 * per chunk), read by the status API.
 */
import { LatencyWindow } from "./latency.ts";

/** How one request ended, as the stats count it. */
export interface RequestResult {
  readonly model: string | undefined;
  readonly endpoint: string | undefined;
  readonly status: number;
  readonly durationMs: number;
  /** A client that left is neither a success nor a failure. */
  readonly outcome: "success" | "failure" | "client_closed";
  readonly at: number;
}

export class Counters {
  requests = 0;
  successes = 0;
  failures = 0;
  lastRequestAt: number | null = null;
  readonly latency = new LatencyWindow();

  add(result: RequestResult): void {
    this.requests++;
    if (result.outcome === "success") this.successes++;
    if (result.outcome === "failure") this.failures++;
    this.lastRequestAt = result.at;
    if (result.outcome !== "client_closed") this.latency.record(result.durationMs);
  }

  /** Successes over decided requests, as a percentage; null without traffic. */
  successRate(): number | null {
    const decided = this.successes + this.failures;
    return decided === 0 ? null : Math.round((this.successes / decided) * 1000) / 10;
  }
}

export class Stats {
  readonly total = new Counters();
  readonly byEndpoint = new Map<string, Counters>();
  readonly byModel = new Map<string, { counters: Counters; byEndpoint: Map<string, number> }>();
  readonly startedAt: number;

  constructor(startedAt: number) {
    this.startedAt = startedAt;
  }

  record(result: RequestResult): void {
    this.total.add(result);
    if (result.endpoint) counters(this.byEndpoint, result.endpoint).add(result);
    if (result.model) {
      let model = this.byModel.get(result.model);
      if (!model) this.byModel.set(result.model, model = { counters: new Counters(), byEndpoint: new Map() });
      model.counters.add(result);
      if (result.endpoint) model.byEndpoint.set(result.endpoint, (model.byEndpoint.get(result.endpoint) ?? 0) + 1);
    }
  }

  endpoint(name: string): Counters {
    return counters(this.byEndpoint, name);
  }
}

function counters(map: Map<string, Counters>, key: string): Counters {
  let found = map.get(key);
  if (!found) map.set(key, found = new Counters());
  return found;
}
