import { describe, expect, test } from "bun:test";
import { FakeClock, tick } from "./_fake_clock.ts";

describe("FakeClock (test helper)", () => {
  test("FakeClock.advance() fires due timers in due-time order, ties in scheduling order, with now() at each due time", async () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 30);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`late@${clock.now()}`), 31);
    await clock.advance(30);
    expect(fired).toEqual(["a@10", "b@10", "c@30"]);
    expect(clock.now()).toBe(30);
    expect(clock.pending).toBe(1);
  });

  test("FakeClock.clearTimeout() stops a timer from firing", async () => {
    const clock = new FakeClock(0);
    let fired = false;
    const handle = clock.setTimeout(() => (fired = true), 5);
    clock.clearTimeout(handle);
    await clock.advance(100);
    expect(fired).toBe(false);
    expect(clock.pending).toBe(0);
  });

  test("FakeClock.advance() fires timers re-armed after an await within the same advance", async () => {
    const clock = new FakeClock(0);
    const at: number[] = [];
    const loop = async () => {
      await Promise.resolve();
      at.push(clock.now());
      clock.setTimeout(() => void loop(), 100);
    };
    clock.setTimeout(() => void loop(), 100);
    await clock.advance(350);
    expect(at).toEqual([100, 200, 300]);
  });

  test("tick() lets pending promise chains settle", async () => {
    let done = false;
    void Promise.resolve().then(() => Promise.resolve()).then(() => (done = true));
    await tick();
    expect(done).toBe(true);
  });
});
