import { describe, expect, test } from "bun:test";
import { tapEvents } from "../../../src/proxying/event_tap.ts";

const encoder = new TextEncoder();

function source(parts: string[]) {
  let cancelled: unknown = null;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) controller.enqueue(encoder.encode(part));
      controller.close();
    },
    cancel: (reason) => void (cancelled = reason ?? "cancelled"),
  });
  return { body, cancelled: () => cancelled };
}

describe("tapEvents", () => {
  test("passes every byte through unchanged and stops watching when asked", async () => {
    const parts = ['event: a\ndata: {"n":', '1}\n\ndata: {"n":2}\n\n', 'data: {"n":3}\n\n'];
    const seen: string[] = [];
    const tapped = tapEvents(source(parts).body, (payload) => {
      seen.push(payload);
      return seen.length < 2;
    });
    expect(await new Response(tapped).text()).toBe(parts.join(""));
    expect(seen).toEqual(['{"n":1}', '{"n":2}']);
  });

  test("cancelling the tapped stream cancels the source", async () => {
    const src = source(["data: x\n\n"]);
    const tapped = tapEvents(src.body, () => true);
    await tapped.cancel("client left");
    expect(src.cancelled()).toBe("client left");
  });
});
