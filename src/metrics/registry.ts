/**
 * @module
 * A small Prometheus registry: counters, gauges and fixed-bucket histograms keyed by label
 * values, written out in the text exposition format (version 0.0.4). Hand-written rather
 * than prom-client: the runtime dependencies stay hono, zod and yaml, and the hot path is
 * one Map lookup and an add per observation.
 */

export type MetricType = "counter" | "gauge" | "histogram";

/** One metric family: a name, its help text, its label names and how it renders. */
export interface Family {
  readonly name: string;
  render(out: string[]): void;
}

/** The content type Prometheus scrapes. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

abstract class Labelled<T> implements Family {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  protected readonly children = new Map<string, { values: readonly string[]; data: T }>();

  constructor(name: string, help: string, labelNames: readonly string[]) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  protected child(values: readonly string[], create: () => T): T {
    // Label values never hold \u0001, so the join is unambiguous.
    const key = values.length === 1 ? values[0]! : values.join("\u0001");
    let found = this.children.get(key);
    if (!found) this.children.set(key, found = { values: [...values], data: create() });
    return found.data;
  }

  abstract render(out: string[]): void;

  protected header(out: string[], type: MetricType): void {
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${type}`);
  }
}

/** One labelled value: a hot path can hold on to it and skip the label lookup. */
export interface Cell {
  value: number;
}

/** A value that only goes up. */
export class Counter extends Labelled<Cell> {
  inc(values: readonly string[] = [], by = 1): void {
    this.cell(values).value += by;
  }

  /** The value for these labels, created at 0; add to `value` only. */
  cell(values: readonly string[]): Cell {
    return this.child(values, () => ({ value: 0 }));
  }

  /** The current value for these labels (0 when never incremented). */
  get(values: readonly string[] = []): number {
    return this.children.get(values.join("\u0001"))?.data.value ?? 0;
  }

  /** The sum over every label set. */
  total(): number {
    let sum = 0;
    for (const { data } of this.children.values()) sum += data.value;
    return sum;
  }

  render(out: string[]): void {
    this.header(out, "counter");
    for (const { values, data } of this.children.values()) {
      out.push(`${this.name}${labels(this.labelNames, values)} ${formatValue(data.value)}`);
    }
  }
}

/** A value read or set at scrape time. */
export class Gauge extends Labelled<{ value: number }> {
  set(values: readonly string[], value: number): void {
    this.child(values, () => ({ value: 0 })).value = value;
  }

  render(out: string[]): void {
    this.header(out, "gauge");
    for (const { values, data } of this.children.values()) {
      out.push(`${this.name}${labels(this.labelNames, values)} ${formatValue(data.value)}`);
    }
  }
}

/** One labelled histogram: a hot path can hold on to it and skip the label lookup. */
export class HistogramCell {
  /** Observations per bucket, not cumulative; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly buckets: readonly number[]) {
    this.counts = new Float64Array(buckets.length + 1);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.buckets.length && value > this.buckets[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** Observations counted into fixed upper bounds, plus their sum and count. */
export class Histogram extends Labelled<HistogramCell> {
  readonly buckets: readonly number[];
  readonly #bounds: readonly string[];

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    super(name, help, labelNames);
    this.buckets = [...buckets].sort((a, b) => a - b);
    this.#bounds = [...this.buckets.map(formatValue), "+Inf"];
  }

  observe(values: readonly string[], value: number): void {
    this.cell(values).observe(value);
  }

  /** The histogram for these labels, created empty. */
  cell(values: readonly string[]): HistogramCell {
    return this.child(values, () => new HistogramCell(this.buckets));
  }

  render(out: string[]): void {
    this.header(out, "histogram");
    const bucketLabels = [...this.labelNames, "le"];
    for (const { values, data } of this.children.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        cumulative += data.counts[i]!;
        out.push(`${this.name}_bucket${labels(bucketLabels, [...values, this.#bounds[i]!])} ${cumulative}`);
      }
      const plain = labels(this.labelNames, values);
      out.push(`${this.name}_sum${plain} ${formatValue(data.sum)}`, `${this.name}_count${plain} ${data.count}`);
    }
  }
}

/** Families in the order they were added; `render` writes the whole exposition. */
export class Registry {
  readonly #families: Family[] = [];

  add<F extends Family>(family: F): F {
    if (this.#families.some((f) => f.name === family.name)) throw new Error(`metric ${family.name} registered twice`);
    this.#families.push(family);
    return family;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }

  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }

  render(): string {
    const out: string[] = [];
    for (const family of this.#families) family.render(out);
    out.push("");
    return out.join("\n");
  }
}

function labels(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return "";
  let text = "{";
  for (let i = 0; i < names.length; i++) {
    if (i > 0) text += ",";
    text += `${names[i]}="${escapeLabel(values[i] ?? "")}"`;
  }
  return text + "}";
}

/** Label values escape backslash, double quote and newline (exposition format spec). */
export function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\\\"));
}

/** Go-style float text: integers plainly, NaN and infinities by name. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
