// The one way tests wait for something to happen: poll a check until it holds, with a deadline and
// a message naming what never happened. Chosen over vitest's `expect.poll` because helpers and
// benchmarks (which run outside vitest) wait too, because it hands back the value it waited for,
// and because a check may be a plain condition or a block of `expect(...)` calls (retried until
// they pass, the last failure reported on timeout, so no assertion is loosened by polling).

import { errorMessage } from '../../lattice/errors.ts';

export interface EventuallyOptions {
  /** What is awaited, in words: "the link of M…", "provider 123 to exit". */
  what: string;
  /** Give up after this long (default 10 s; the machine is shared and slow at times). */
  timeoutMs?: number;
  /** Time between checks (default 25 ms). */
  intervalMs?: number;
}

/**
 * Calls `check` until it returns something other than `undefined`/`false` without throwing, and
 * resolves with that value. Rejects after the deadline with `what` and the last error the check
 * threw. `options` may be just `what` (then `timeoutMs` is the third argument).
 */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: EventuallyOptions | string,
  timeoutMs?: number,
): Promise<T> {
  const {
    what,
    timeoutMs: limit = timeoutMs ?? 10_000,
    intervalMs = 25,
  } = typeof options === 'string' ? { what: options } : options;
  const deadline = Date.now() + limit;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError === undefined ? '' : `; last check: ${errorMessage(lastError)}`;
      throw new Error(`timed out after ${limit} ms waiting for ${what}${reason}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs)); // between checks, not a wait for an outcome
  }
}

/** Retries `assertions` (a block of `expect` calls) until they all pass; rejects like `eventually`. */
export async function eventuallyPasses(
  assertions: () => void | Promise<void>,
  options: EventuallyOptions | string,
): Promise<void> {
  await eventually(async () => {
    await assertions();
    return true;
  }, options);
}
