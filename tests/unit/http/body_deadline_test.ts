import { describe, expect, test } from "bun:test";
import { BodyDeadline } from "../../../src/http/body.ts";
import { deferred, FakeClock } from "../_fake_clock.ts";

describe("BodyDeadline", () => {
  test("a read that finishes in time gives its value, and the shared timer stops when nothing is pending", async () => {
    const clock = new FakeClock();
    const deadline = new BodyDeadline(1000, clock);
    const read = deferred<string>();
    const result = deadline.within(read.promise, () => new Error("late"));
    expect(clock.pending).toBe(1);
    read.resolve("body");
    expect(await result).toBe("body");
    await clock.advance(250);
    expect(clock.pending).toBe(0);
  });

  test("a stalled read is refused after the timeout, never before, and at most a quarter of it late", async () => {
    const clock = new FakeClock();
    const deadline = new BodyDeadline(1000, clock);
    let refused = 0;
    const outcome = deadline.within(new Promise<string>(() => {}), () => new Error("late")).catch((error: Error) => {
      refused = clock.now();
      return error.message;
    });
    const started = clock.now();
    await clock.advance(999);
    expect(refused).toBe(0);
    await clock.advance(250);
    expect(await outcome).toBe("late");
    expect(refused - started).toBeGreaterThanOrEqual(1000);
    expect(refused - started).toBeLessThanOrEqual(1250);
    expect(clock.pending).toBe(0);
  });

  test("one timer for many reads; each is judged by its own start", async () => {
    const clock = new FakeClock();
    const deadline = new BodyDeadline(400, clock);
    const first = deadline.within(new Promise<string>(() => {}), () => new Error("first")).catch((e: Error) => e.message);
    await clock.advance(200);
    const late = deferred<string>();
    const second = deadline.within(late.promise, () => new Error("second"));
    expect(clock.pending).toBe(1);
    await clock.advance(300);
    expect(await first).toBe("first");
    late.resolve("in time");
    expect(await second).toBe("in time");
  });
});
