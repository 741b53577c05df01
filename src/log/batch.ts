/**
 * @module
 * Coalesce log lines into one write per event-loop turn: under load, one write call per
 * access line costs a quarter of the proxy's throughput (bench/results, c=64).
 */

export interface BatchedWriter {
  write(line: string): void;
  /** Write what is pending now (before exit). */
  flush(): void;
}

/**
 * @param write the underlying sink, called with one or more whole lines
 * @param schedule runs the flush after the current turn (default: a 0 ms timer)
 */
export function batchedWriter(
  write: (text: string) => void,
  schedule: (flush: () => void) => void = (flush) => setTimeout(flush, 0),
): BatchedWriter {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.length === 1 ? pending[0]! : pending.join("");
    pending = [];
    write(text);
  };
  return {
    write(line) {
      pending.push(line);
      if (!scheduled) {
        scheduled = true;
        schedule(flush);
      }
    },
    flush,
  };
}
