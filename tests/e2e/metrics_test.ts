/**
 * `/internal/metrics` read by Prometheus' own parser: Olla's families are there, the
 * `tureen_*` counters are exact (N requests in, N counted; a stream when it ends), tokens
 * match what the backend reported, and the access line carries tokens and TTFT.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type DmrEmulator, startDmr } from "../emulators/dmr.ts";
import { type FaultyBackend, startFaulty } from "../emulators/faulty.ts";
import { promcheck, promcheckBinary, promcheckUnavailable, type PromReport, total } from "../_promcheck.ts";
import { dmrConfig, type ServerUnderTest, startServer, until } from "../_server.ts";

let dmr: DmrEmulator;
let faulty: FaultyBackend;
let server: ServerUnderTest;

beforeAll(async () => {
  if (promcheckUnavailable) return;
  promcheckBinary();
  dmr = await startDmr({ models: [{ tag: "docker.io/ai/smollm2:latest" }, { tag: "docker.io/ai/qwen3:latest" }] });
  // A higher-priority backend for qwen3 only that answers 503: every qwen3 request fails over to dmr.
  faulty = await startFaulty({ name: "flaky", mode: "503", models: ["docker.io/ai/qwen3:latest"] });
  server = await startServer(
    dmrConfig([{ url: dmr.url, name: "dmr", priority: 50 }, { url: faulty.url, name: "flaky", priority: 100 }], {
      proxy: { circuit_breaker: { failure_threshold: 100 } },
    }),
  );
  await until(async () => {
    const res = await fetch(`${server.url}/internal/status/endpoints`);
    return (await res.json()).routable_count === 2;
  });
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await dmr?.stop();
  await faulty?.stop();
});

const post = (path: string, body: object) =>
  fetch(`${server.url}/olla/dmr/engines/v1/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

async function scrape(): Promise<{ res: Response; report: PromReport; text: string }> {
  const res = await fetch(`${server.url}/internal/metrics`);
  const text = await res.text();
  return { res, report: await promcheck(text), text };
}

describe.skipIf(promcheckUnavailable !== null)("/internal/metrics", () => {
  test("Prometheus' parser reads it; lint problems only in Olla's own names", async () => {
    const { res, report, text } = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    expect(report.parse_error).toBeUndefined();
    expect(report.families).toBeGreaterThan(25);
    // Olla's names (olla_*_percent, olla_*_ms) predate Prometheus' naming rules; ours follow them.
    expect(report.lint.filter((p) => !p.metric.startsWith("olla_"))).toEqual([]);
    for (const name of [
      "olla_info", "olla_system_status", "olla_endpoints_total", "olla_endpoints_healthy", "olla_requests_total",
      "olla_endpoint_up", "olla_endpoint_requests_total", "olla_endpoint_connections", "olla_endpoint_priority",
      "olla_endpoint_models_count", "olla_model_requests_total", "tureen_requests_in_flight", "tureen_queue_depth",
      "tureen_endpoint_circuit_breaker_state", "tureen_request_duration_seconds", "tureen_time_to_first_token_seconds",
    ]) expect(text).toContain(`# TYPE ${name} `);
    expect(total(report, "olla_endpoints_total")).toBe(2);
    expect(total(report, "olla_endpoint_priority", { endpoint: "flaky", status: "healthy" })).toBe(100);
    expect(total(report, "olla_endpoint_up", { endpoint: "dmr" })).toBe(1);
    expect(report.samples.find((s) => s.name === "olla_info")?.labels).toMatchObject({ engine: "tureen", balancer: "priority" });
  });

  test("N requests in, N counted, with tokens exactly as the backend reported them", async () => {
    const before = (await scrape()).report;
    let promptTokens = 0;
    let completionTokens = 0;
    for (let i = 0; i < 4; i++) {
      const res = await post("chat/completions", { model: "smollm2", messages: [{ role: "user", content: `hello ${i}` }] });
      const body = await res.json();
      promptTokens += body.usage.prompt_tokens;
      completionTokens += body.usage.completion_tokens;
    }
    for (let i = 0; i < 3; i++) {
      const res = await post("chat/completions", {
        model: "smollm2",
        messages: [{ role: "user", content: "stream please" }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const text = await res.text();
      const usage = text.split("\n\n").map((e) => e.slice(6)).filter((d) => d.includes('"usage"')).map((d) => JSON.parse(d).usage);
      promptTokens += usage[0].prompt_tokens;
      completionTokens += usage[0].completion_tokens;
    }
    const missing = await post("chat/completions", { model: "no-such-model", messages: [] });
    expect(missing.status).toBe(404);
    await missing.text();
    const after = (await scrape()).report;
    const delta = (name: string, match: Record<string, string> = {}) => total(after, name, match) - total(before, name, match);
    expect(delta("tureen_requests_total")).toBe(8);
    expect(delta("tureen_requests_total", { route: "chat", model: "ai/smollm2", endpoint: "dmr", code: "200", outcome: "success" })).toBe(7);
    expect(delta("tureen_requests_total", { code: "404" })).toBe(1);
    expect(delta("tureen_request_duration_seconds")).toBe(8);
    expect(delta("tureen_time_to_first_token_seconds", { model: "ai/smollm2" })).toBe(3);
    expect(delta("tureen_prompt_tokens_total", { endpoint: "dmr", model: "ai/smollm2" })).toBe(promptTokens);
    expect(delta("tureen_completion_tokens_total", { endpoint: "dmr", model: "ai/smollm2" })).toBe(completionTokens);
    expect(delta("tureen_output_tokens_per_second", { model: "ai/smollm2" })).toBe(7);
    expect(delta("olla_requests_total")).toBe(8);
    expect(delta("olla_model_requests_total", { model: "ai/smollm2" })).toBe(7);
  });

  test("a stream is counted when it ends, and is in flight until then", async () => {
    // ~1.5 s of stream, so the scrape below lands inside it even on a loaded machine.
    dmr.options.chunkDelayMs = 300;
    const before = (await scrape()).report;
    const res = await post("chat/completions", { model: "smollm2", messages: [{ role: "user", content: "slow" }], stream: true });
    const reader = res.body!.getReader();
    await reader.read();
    const during = (await scrape()).report;
    expect(total(during, "tureen_requests_in_flight")).toBeGreaterThanOrEqual(2); // the stream and the scrape
    expect(total(during, "tureen_requests_total") - total(before, "tureen_requests_total")).toBe(0);
    while (!(await reader.read()).done);
    dmr.options.chunkDelayMs = 0;
    let after = (await scrape()).report;
    await until(async () => {
      after = (await scrape()).report;
      return total(after, "tureen_requests_total") - total(before, "tureen_requests_total") === 1;
    });
    // Without include_usage the llama-server timings on the last chunk still give the counts.
    expect(total(after, "tureen_completion_tokens_total") - total(before, "tureen_completion_tokens_total")).toBe(3);
  });

  test("concurrent requests are all counted, a client that leaves mid-stream as client_closed", async () => {
    const before = (await scrape()).report;
    const requests = Array.from({ length: 24 }, (_, i) =>
      post("chat/completions", { model: "smollm2", messages: [{ role: "user", content: `c${i}` }], stream: i % 2 === 0 })
        .then((res) => res.text())
    );
    await Promise.all(requests);
    dmr.options.chunkDelayMs = 200;
    const controller = new AbortController();
    const res = await fetch(`${server.url}/olla/dmr/engines/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "smollm2", messages: [{ role: "user", content: "leave" }], stream: true }),
      signal: controller.signal,
    });
    await res.body!.getReader().read();
    controller.abort();
    dmr.options.chunkDelayMs = 0;
    let after = before;
    await until(async () => {
      after = (await scrape()).report;
      return total(after, "tureen_requests_total") - total(before, "tureen_requests_total") === 25;
    });
    const delta = (match: Record<string, string>) =>
      total(after, "tureen_requests_total", match) - total(before, "tureen_requests_total", match);
    expect(delta({ outcome: "success" })).toBe(24);
    expect(delta({ outcome: "client_closed" })).toBe(1);
    expect(total(after, "tureen_requests_in_flight")).toBe(1); // the scrape itself
  });

  test("failovers are counted by endpoint and reason", async () => {
    const before = (await scrape()).report;
    const res = await post("chat/completions", { model: "qwen3", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-olla-endpoint")).toBe("dmr");
    await res.text();
    const after = (await scrape()).report;
    const delta = (name: string, match: Record<string, string>) => total(after, name, match) - total(before, name, match);
    expect(delta("tureen_failovers_total", { endpoint: "flaky", reason: "status" })).toBe(1);
    expect(delta("tureen_requests_total", { model: "ai/qwen3", endpoint: "dmr", outcome: "success" })).toBe(1);
  });

  test("the access line carries tokens_in, tokens_out and ttft_ms", async () => {
    const res = await post("chat/completions", {
      model: "smollm2",
      messages: [{ role: "user", content: "log me" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const id = res.headers.get("x-olla-request-id");
    await res.text();
    const line = await server.waitForLog((l) => l.msg === "request" && l.request_id === id);
    expect(line.tokens_out).toBe(3);
    expect(line.tokens_in).toBeGreaterThan(0);
    expect(typeof line.ttft_ms).toBe("number");
    expect(line.ttft_ms as number).toBeLessThanOrEqual(line.duration_ms as number);
  });

  test("the dashboard's traffic view lists models, tokens and the last errors with request ids", async () => {
    const res = await fetch(`${server.url}/internal/stats/traffic`);
    const body = await res.json();
    const model = body.models.find((m: { name: string }) => m.name === "ai/smollm2");
    expect(model.tokens_out).toBeGreaterThan(0);
    expect(model.ttft_p50_ms).not.toBeNull();
    expect(body.recent_errors[0]).toMatchObject({ status: 404, model: "ai/no-such-model" });
    expect(body.recent_errors[0].request_id).toBeString();
  });

  test("the dashboard page is served whole, with nothing loaded from elsewhere", async () => {
    const redirect = await fetch(`${server.url}/internal/ui`, { redirect: "manual" });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get("location")).toBe("/internal/ui/");
    const res = await fetch(`${server.url}/internal/ui/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/html");
    const html = await res.text();
    expect(html).toContain("<script>");
    expect(html).not.toMatch(/(src|href)="https?:/);
  });
});
