import { describe, expect, test } from "bun:test";
import { batchedWriter } from "../../../src/log/batch.ts";

describe("batchedWriter()", () => {
  test("batchedWriter() joins the lines of one turn into a single write, in order", () => {
    const writes: string[] = [];
    const scheduled: Array<() => void> = [];
    const writer = batchedWriter((text) => writes.push(text), (flush) => scheduled.push(flush));
    writer.write("a\n");
    writer.write("b\n");
    writer.write("c\n");
    expect(writes).toEqual([]);
    expect(scheduled).toHaveLength(1);
    scheduled[0]!();
    expect(writes).toEqual(["a\nb\nc\n"]);
    writer.write("d\n");
    expect(scheduled).toHaveLength(2);
    scheduled[1]!();
    expect(writes).toEqual(["a\nb\nc\n", "d\n"]);
  });

  test("batchedWriter().flush() writes what is pending at once and the scheduled flush then writes nothing", () => {
    const writes: string[] = [];
    const scheduled: Array<() => void> = [];
    const writer = batchedWriter((text) => writes.push(text), (flush) => scheduled.push(flush));
    writer.write("last words\n");
    writer.flush();
    expect(writes).toEqual(["last words\n"]);
    scheduled[0]!();
    expect(writes).toEqual(["last words\n"]);
  });
});
