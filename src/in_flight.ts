/**
 * @module
 * Counts requests that have not finished, a relayed stream until its last byte, so a
 * graceful shutdown knows when it may exit and how many it cut at the deadline.
 */
export class InFlight {
  #count = 0;
  #waiters: Array<() => void> = [];

  /** Requests (streams included) that started and have not finished. */
  get count(): number {
    return this.#count;
  }

  /** A request started; call the returned function (once; later calls do nothing) when it has finished. */
  begin(): () => void {
    this.#count++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#count--;
      if (this.#count === 0) for (const wake of this.#waiters.splice(0)) wake();
    };
  }

  /** Resolves when no request is in flight. */
  idle(): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
