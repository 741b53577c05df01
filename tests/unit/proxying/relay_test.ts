import { describe, expect, test } from "bun:test";
import { type RelayEnd, relayBody } from "../../../src/proxying/relay.ts";
import { FakeClock, tick } from "../_fake_clock.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

/** An upstream body the test feeds by hand. */
function upstream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const state = { pulls: 0, cancelledWith: undefined as unknown, cancelled: false };
  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull() {
        state.pulls++;
      },
      cancel(reason) {
        state.cancelled = true;
        state.cancelledWith = reason;
      },
    },
    { highWaterMark: 0 },
  );
  return {
    stream,
    state,
    push: (chunk: Uint8Array) => controller.enqueue(chunk),
    close: () => controller.close(),
    fail: (error: unknown) => controller.error(error),
  };
}

function observed(idleTimeoutMs = 0, clock = new FakeClock()) {
  const calls = {
    firstByte: 0,
    ends: [] as Array<{ end: RelayEnd; bytes: number; error?: unknown }>,
    aborts: [] as string[],
  };
  const options = {
    onFirstByte: () => void calls.firstByte++,
    onEnd: (end: RelayEnd, count: number, error?: unknown) => void calls.ends.push({ end, bytes: count, error }),
    abortUpstream: (reason: string) => void calls.aborts.push(reason),
    idleTimeoutMs,
    clock,
  };
  return { calls, options, clock };
}

describe("relayBody()", () => {
  test("relayBody() forwards each chunk unchanged, as the same object, in order, then ends complete with the byte count", async () => {
    const source = upstream();
    const { calls, options } = observed();
    const chunks = [bytes(1, 2, 3), bytes(4), bytes(5, 6)];
    for (const chunk of chunks) source.push(chunk);
    source.close();
    const received: Uint8Array[] = [];
    for await (const chunk of relayBody(source.stream, options)) received.push(chunk);
    expect(received).toHaveLength(3);
    received.forEach((chunk, i) => {
      expect(chunk).toBe(chunks[i]!);
      expect([...chunk]).toEqual([...chunks[i]!]);
    });
    expect(calls.ends).toEqual([{ end: "complete", bytes: 6, error: undefined }]);
    expect(calls.firstByte).toBe(1);
    expect(calls.aborts).toEqual([]);
  });

  test("relayBody() does not read upstream before the client asks (no read-ahead)", async () => {
    const source = upstream();
    const { options } = observed();
    const relayed = relayBody(source.stream, options);
    await tick();
    expect(source.state.pulls).toBe(0);
    const reader = relayed.getReader();
    const read = reader.read();
    await tick();
    expect(source.state.pulls).toBe(1);
    source.push(bytes(1));
    expect((await read).value).toEqual(bytes(1));
  });

  test("relayBody() calls onFirstByte once, when the first chunk is handed over, not before", async () => {
    const source = upstream();
    const { calls, options } = observed();
    const reader = relayBody(source.stream, options).getReader();
    const first = reader.read();
    await tick();
    expect(calls.firstByte).toBe(0);
    source.push(bytes(1, 2));
    await first;
    expect(calls.firstByte).toBe(1);
    source.push(bytes(3));
    await reader.read();
    source.close();
    expect((await reader.read()).done).toBe(true);
    expect(calls.firstByte).toBe(1);
    expect(calls.ends).toEqual([{ end: "complete", bytes: 3, error: undefined }]);
  });

  test("relayBody() of an empty body ends complete with 0 bytes and never calls onFirstByte", async () => {
    const source = upstream();
    const { calls, options } = observed();
    source.close();
    const reader = relayBody(source.stream, options).getReader();
    expect((await reader.read()).done).toBe(true);
    expect(calls.firstByte).toBe(0);
    expect(calls.ends).toEqual([{ end: "complete", bytes: 0, error: undefined }]);
  });

  test("relayBody() on client cancel ends client_closed with bytes so far, aborts upstream and cancels its body", async () => {
    const source = upstream();
    const { calls, options } = observed();
    const reader = relayBody(source.stream, options).getReader();
    source.push(bytes(1, 2, 3, 4));
    await reader.read();
    await reader.cancel("client went away");
    await tick();
    expect(calls.ends).toEqual([{ end: "client_closed", bytes: 4, error: undefined }]);
    expect(calls.aborts).toEqual(["client closed the connection"]);
    expect(source.state.cancelled).toBe(true);
    expect(source.state.cancelledWith).toBe("client went away");
  });

  test("relayBody() reports only one end when the upstream errors after the client cancelled", async () => {
    const source = upstream();
    const { calls, options } = observed();
    const reader = relayBody(source.stream, options).getReader();
    await reader.cancel();
    source.fail(new Error("late"));
    await tick();
    expect(calls.ends.map((e) => e.end)).toEqual(["client_closed"]);
  });

  test("relayBody() on an upstream error ends upstream_error with the error and errors the client stream", async () => {
    const source = upstream();
    const { calls, options } = observed();
    const reader = relayBody(source.stream, options).getReader();
    source.push(bytes(9, 9));
    await reader.read();
    const failure = new Error("connection reset by backend");
    source.fail(failure);
    await expect(reader.read()).rejects.toBe(failure);
    expect(calls.ends).toEqual([{ end: "upstream_error", bytes: 2, error: failure }]);
    expect(calls.aborts).toEqual([]);
  });

  test("relayBody() with idleTimeoutMs ends idle_timeout after that much silence, aborting upstream and erroring the stream", async () => {
    const source = upstream();
    const { calls, options, clock } = observed(1_000);
    const reader = relayBody(source.stream, options).getReader();
    const read = reader.read();
    const outcome = read.then(
      () => "resolved",
      (error: Error) => error,
    );
    await clock.advance(999);
    expect(calls.ends).toEqual([]);
    await clock.advance(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe("IdleTimeoutError");
    expect((error as Error).message).toContain("1000ms");
    expect(calls.ends).toHaveLength(1);
    expect(calls.ends[0]!.end).toBe("idle_timeout");
    expect(calls.ends[0]!.bytes).toBe(0);
    expect(calls.aborts).toEqual(["idle timeout"]);
  });

  test("relayBody() restarts the idle timer on every chunk and clears it when a chunk arrives", async () => {
    const source = upstream();
    const { calls, options, clock } = observed(1_000);
    const reader = relayBody(source.stream, options).getReader();
    for (let i = 0; i < 3; i++) {
      const read = reader.read();
      await clock.advance(900);
      source.push(bytes(i));
      expect((await read).value).toEqual(bytes(i));
      await tick();
      expect(clock.pending).toBe(0);
    }
    expect(calls.ends).toEqual([]);
    const last = reader.read().catch((error: Error) => error.name);
    await clock.advance(1_000);
    expect(await last).toBe("IdleTimeoutError");
    expect(calls.ends[0]).toMatchObject({ end: "idle_timeout", bytes: 3 });
  });

  test("relayBody() with idleTimeoutMs 0 sets no timer and waits through any silence", async () => {
    const source = upstream();
    const { calls, options, clock } = observed(0);
    const reader = relayBody(source.stream, options).getReader();
    const read = reader.read();
    await clock.advance(24 * 3_600_000);
    expect(clock.pending).toBe(0);
    expect(calls.ends).toEqual([]);
    source.push(bytes(7));
    expect((await read).value).toEqual(bytes(7));
  });
});

describe("relayBody() first byte", () => {
  test("relayBody() calls onFirstByte once even when the first chunk is empty", async () => {
    const source = upstream();
    const { calls, options } = observed();
    source.push(bytes());
    source.push(bytes(1));
    source.close();
    for await (const _ of relayBody(source.stream, options)) { /* drain */ }
    expect(calls.firstByte).toBe(1);
  });
});

describe("relayBody() metrics tap", () => {
  test("onChunk sees each chunk the client gets, the same bytes", async () => {
    const up = upstream();
    const { options } = observed();
    const seen: Uint8Array[] = [];
    const body = relayBody(up.stream, { ...options, onChunk: (chunk) => void seen.push(chunk.slice()) });
    const reader = body.getReader();
    up.push(bytes(1, 2, 3));
    const first = reader.read();
    up.push(bytes(4));
    expect((await first).value).toEqual(bytes(1, 2, 3));
    expect((await reader.read()).value).toEqual(bytes(4));
    up.close();
    expect((await reader.read()).done).toBe(true);
    expect(seen).toEqual([bytes(1, 2, 3), bytes(4)]);
  });
});
