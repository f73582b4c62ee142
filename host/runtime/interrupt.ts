// The `wasmcloud_ts.yield` import that yield-points.ts wires into a wasmbus module: called every
// FUEL_PER_YIELD loop iterations and function entries. Past the call's deadline it throws, ending
// the call with ACTOR_TIMEOUT (the instance is then discarded, as after a trap). Otherwise, once
// the call has run for a slice since it last yielded, it suspends the call (JSPI) until the
// worker's event loop has gone round once, so the worker keeps serving other calls while an actor
// computes or loops: a call holds the worker thread for about a slice at a time.

import { HostError } from '../errors.ts';

/**
 * How long a call runs before it lets the worker serve others. bench/runaway.bench.ts: with two
 * loops running, echo p50 on the same worker was 1.7 ms at 1 ms, 2.9 ms at 2 ms, 5.3 ms at 4 ms.
 */
export const YIELD_SLICE_MS = 1;

/** The call ran past its deadline and was stopped at a yield point. */
export class ActorTimeoutError extends HostError {}

/** One instance's clock: the deadline of the call it runs, and when it last let others run. */
export class CallClock {
  /** On the performance.now() timeline. */
  #deadline = Number.POSITIVE_INFINITY;
  #sliceEnd = Number.POSITIVE_INFINITY;
  /** Set when a yield point stopped the running call. */
  interrupted: ActorTimeoutError | undefined;
  /** The function to import as `wasmcloud_ts.yield`. */
  readonly import: WebAssembly.Suspending;

  constructor() {
    // Not async: a call that need not yield gets `undefined` back and is not suspended at all.
    this.import = new WebAssembly.Suspending((() => this.#yield()) as () => Promise<void>);
  }

  /** Starts timing a call that must end by `deadline` (ms since the epoch). */
  start(deadline: number): void {
    const now = performance.now();
    this.#deadline = now + (deadline - Date.now());
    this.#sliceEnd = now + YIELD_SLICE_MS;
    this.interrupted = undefined;
  }

  stop(): void {
    this.#deadline = Number.POSITIVE_INFINITY;
    this.#sliceEnd = Number.POSITIVE_INFINITY;
  }

  #yield(): Promise<void> | undefined {
    const now = performance.now();
    if (now >= this.#deadline) {
      this.interrupted ??= new ActorTimeoutError(
        'ACTOR_TIMEOUT',
        'the call was still running at its deadline and was stopped',
      );
      throw this.interrupted;
    }
    if (now < this.#sliceEnd) return undefined;
    return new Promise((resolve) =>
      setImmediate(() => {
        this.#sliceEnd = performance.now() + YIELD_SLICE_MS;
        resolve();
      }),
    );
  }
}
