/**
 * A DMR-shaped backend whose inference routes misbehave on demand, for fault-injection
 * tests: its model list is always healthy, its inference is whatever `mode` says.
 */

export type FaultMode = "ok" | "503" | "hang" | "reset_mid_stream" | "slow" | "held";

export interface FaultyBackend {
  url: string;
  port: number;
  mode: FaultMode;
  /** Delay before answering in "slow" mode. */
  slowMs: number;
  inferenceCount: number;
  inFlight: number;
  models: string[];
  /** Let every request held so far (mode "held") answer; later ones wait for the next call. */
  release(): void;
  stop(): Promise<void>;
}

export async function startFaulty(options: { models?: string[]; mode?: FaultMode; port?: number; name?: string } = {}): Promise<FaultyBackend> {
  const encoder = new TextEncoder();
  const state = {
    mode: options.mode ?? "ok",
    slowMs: 300,
    inferenceCount: 0,
    inFlight: 0,
    models: options.models ?? ["docker.io/ai/smollm2:latest"],
  } as FaultyBackend;
  const name = options.name ?? "faulty";
  // "held" requests wait on this gate, so a test decides when they answer instead of guessing a delay.
  let openGate = () => {};
  let gate = new Promise<void>((resolve) => (openGate = resolve));
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    idleTimeout: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (req.method === "GET" && path.endsWith("/v1/models")) {
        return Response.json({ object: "list", data: state.models.map((id) => ({ id, object: "model", created: 1, owned_by: "docker" })) });
      }
      // A warm DMR: its first model is loaded, so loaded-first routing treats peers as equals.
      if (req.method === "GET" && path === "/engines/ps") {
        return Response.json(state.models.slice(0, 1).map((model_name) => ({ backend_name: "llama.cpp", model_name, mode: "completion" })));
      }
      // Like an older DMR: no /engines/status or /models.
      if (req.method !== "POST") return new Response("not found\n", { status: 404 });
      state.inferenceCount++;
      state.inFlight++;
      const done = () => state.inFlight--;
      const body = await req.json().catch(() => ({}));
      switch (state.mode) {
        case "503":
          done();
          return new Response("service unavailable\n", { status: 503, headers: { "content-type": "text/plain" } });
        case "hang":
          await new Promise<void>((resolve) => req.signal.addEventListener("abort", () => resolve(), { once: true }));
          done();
          return new Response(null, { status: 499 });
        case "slow":
          await Bun.sleep(state.slowMs);
          break;
        case "held":
          await gate;
          break;
      }
      if (!body.stream) {
        done();
        return Response.json({ object: "chat.completion", served_by: name, choices: [{ index: 0, message: { role: "assistant", content: "ok" } }] });
      }
      let sent = 0;
      const reset = state.mode === "reset_mid_stream";
      return new Response(
        new ReadableStream({
          async pull(controller) {
            await Bun.sleep(20);
            if (reset && sent === 2) {
              done();
              controller.error(new Error("simulated connection reset"));
              return;
            }
            if (sent === 5) {
              controller.enqueue(encoder.encode("data: [DONE]\n\n"));
              controller.close();
              done();
              return;
            }
            controller.enqueue(encoder.encode(`data: {"served_by":"${name}","n":${sent++}}\n\n`));
          },
          cancel: done,
        }, { highWaterMark: 0 }),
        { headers: { "content-type": "text/event-stream" } },
      );
    },
  });
  return Object.assign(state, {
    url: `http://127.0.0.1:${server.port}`,
    port: server.port!,
    release() {
      openGate();
      gate = new Promise<void>((resolve) => (openGate = resolve));
    },
    stop: () => server.stop(true),
  });
}
