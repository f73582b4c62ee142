// The calls a worker runs that the main thread did not post to it (from NATS, the built-in
// httpserver, a peer worker): a count in memory the worker shares with the main thread
// (worker-pool.ts). While it is above 0 the main thread checks the worker is alive. While every
// worker's count is 0 and no posted call is out, the main thread's check sleeps, and the first
// call to start wakes it (Atomics.notify): an idle host has no timer waking it several times a
// second (docs/host.md, "What an idle host costs").

export function createUnseenCallsBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
}

export class UnseenCalls {
  readonly #count: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.#count = new Int32Array(buffer);
  }

  /** In the worker: a call starts. The first after none wakes the main thread if it sleeps. */
  enter(): void {
    if (Atomics.add(this.#count, 0, 1) === 0) Atomics.notify(this.#count, 0);
  }

  /** In the worker: that call has ended. */
  leave(): void {
    Atomics.sub(this.#count, 0, 1);
  }

  get count(): number {
    return Atomics.load(this.#count, 0);
  }

  /**
   * In the main thread: resolves once a call starts (at once when one is running). The wait keeps
   * no process alive; stopWaiting() ends it without a call.
   */
  started(): Promise<void> {
    const waiting = Atomics.waitAsync(this.#count, 0, 0);
    return waiting.async ? waiting.value.then(() => undefined) : Promise.resolve();
  }

  /** In the main thread: settles every started() of this count (its worker is gone). */
  stopWaiting(): void {
    Atomics.notify(this.#count, 0);
  }
}
