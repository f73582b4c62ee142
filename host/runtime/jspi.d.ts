// JavaScript Promise Integration (Node ≥ 24.21): not yet in TypeScript's lib.
declare namespace WebAssembly {
  class Suspending {
    constructor(fn: (...args: never[]) => Promise<unknown>);
  }
  function promising<F extends (...args: never[]) => unknown>(
    fn: F,
  ): (...args: Parameters<F>) => Promise<ReturnType<F>>;
}
