import { describe, expect, test } from "bun:test";
import { escapeLabel, formatValue, Registry } from "../../../src/metrics/registry.ts";

describe("Registry", () => {
  test("counters render HELP, TYPE and one line per label set, in insertion order", () => {
    const r = new Registry();
    const c = r.counter("x_total", "Things\nwith a \\ newline", ["a", "b"]);
    c.inc(["1", "2"]);
    c.inc(["1", "2"], 2);
    c.inc(["3", "4"]);
    expect(r.render()).toBe(
      '# HELP x_total Things\\nwith a \\\\ newline\n# TYPE x_total counter\nx_total{a="1",b="2"} 3\nx_total{a="3",b="4"} 1\n',
    );
    expect(c.get(["1", "2"])).toBe(3);
    expect(c.total()).toBe(4);
  });

  test("label values escape backslash, quote and newline", () => {
    expect(escapeLabel('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const r = new Registry();
    r.gauge("g", "g", ["model"]).set(['we"ird\n'], 1);
    expect(r.render()).toContain('g{model="we\\"ird\\n"} 1');
  });

  test("histogram buckets are cumulative, upper bounds inclusive, with +Inf, sum and count", () => {
    const r = new Registry();
    const h = r.histogram("d_seconds", "d", ["route"], [1, 0.1, 0.5]);
    for (const v of [0.05, 0.1, 0.3, 2]) h.observe(["chat"], v);
    const lines = r.render().split("\n");
    expect(lines).toContain('d_seconds_bucket{route="chat",le="0.1"} 2');
    expect(lines).toContain('d_seconds_bucket{route="chat",le="0.5"} 3');
    expect(lines).toContain('d_seconds_bucket{route="chat",le="1"} 3');
    expect(lines).toContain('d_seconds_bucket{route="chat",le="+Inf"} 4');
    expect(lines).toContain('d_seconds_sum{route="chat"} 2.45');
    expect(lines).toContain('d_seconds_count{route="chat"} 4');
  });

  test("a family without labels renders bare; a name registered twice is a bug", () => {
    const r = new Registry();
    r.gauge("up", "up").set([], 1);
    expect(r.render()).toContain("\nup 1\n");
    expect(() => r.gauge("up", "again")).toThrow("registered twice");
  });

  test("values use Prometheus' spelling of special floats", () => {
    expect(formatValue(NaN)).toBe("NaN");
    expect(formatValue(Infinity)).toBe("+Inf");
    expect(formatValue(-Infinity)).toBe("-Inf");
    expect(formatValue(0.25)).toBe("0.25");
  });

  test("a cell held by a hot path is the same series the labelled calls write, and appears only once used", () => {
    const r = new Registry();
    const requests = r.counter("req_total", "requests", ["route"]);
    const duration = r.histogram("dur_seconds", "duration", ["route"], [1]);
    const cell = requests.cell(["chat"]);
    cell.value += 2;
    requests.inc(["chat"]);
    expect(requests.get(["chat"])).toBe(3);
    duration.cell(["chat"]).observe(0.5);
    duration.observe(["chat"], 2);
    const text = r.render();
    expect(text).toContain('req_total{route="chat"} 3\n');
    expect(text).toContain('dur_seconds_bucket{route="chat",le="1"} 1\n');
    expect(text).toContain('dur_seconds_count{route="chat"} 2\n');
    expect(text.match(/req_total\{/g)!.length).toBe(1);
  });
});
