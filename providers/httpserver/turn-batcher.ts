// Starts actor calls in batches, one batch per turn of the event loop. Requests that arrive while
// one turn's I/O is handled are each in their own callback, and nats.js flushes its buffer at the
// microtask checkpoint after each, so every call would cost a socket write of its own. Started
// together in the turn's check phase, their publishes leave in one write. Under load that is the
// largest cost of a call after signing (bench/http.bench.ts); idle, it delays a call by one phase.

export class TurnBatcher {
  #queue: Array<() => void> = [];
  #scheduled = false;

  readonly #drain = (): void => {
    const queue = this.#queue;
    this.#queue = [];
    this.#scheduled = false;
    for (const start of queue) start();
  };

  /** Runs `start` in this turn's check phase, together with the others queued in this turn. */
  run<T>(start: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push(() => {
        try {
          start().then(resolve, reject);
        } catch (error) {
          reject(error);
        }
      });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(this.#drain);
      }
    });
  }
}
