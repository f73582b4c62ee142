/// <reference lib="esnext.disposable" />
// What the host has acquired, to release in reverse order on every path: `Host.start` defers the
// release of each part (a NATS connection, the temp folder, the worker pool, …) right after it
// acquires it, so a start that fails part-way releases exactly what exists, and `stop` releases
// the rest the same way. Built on the platform's AsyncDisposableStack, which runs every release
// even when one throws; each failure is logged with the step's name as it happens, and they are
// reported together afterwards as one coded error.

import { errorFields, errorMessage } from '../lattice/errors.ts';
import type { Logger } from '../lattice/log.ts';
import { HostError } from './errors.ts';

/** One or more releases failed (the others still ran); `errors` holds each failure. */
export class ReleaseError extends HostError {
  readonly errors: unknown[];
  constructor(errors: unknown[]) {
    super(
      'RELEASE_FAILED',
      `${errors.length} release step${errors.length === 1 ? '' : 's'} failed: ${errors.map(errorMessage).join('; ')}`,
      { cause: errors.length === 1 ? errors[0] : new AggregateError(errors) },
    );
    this.errors = errors;
  }
}

/** The failures a SuppressedError chain holds, earliest first (AsyncDisposableStack nests them). */
function unwrapSuppressed(error: unknown): unknown[] {
  const failures: unknown[] = [];
  let current = error;
  while (current instanceof SuppressedError) {
    failures.unshift(current.error);
    current = current.suppressed;
  }
  failures.unshift(current);
  return failures;
}

export class ReleaseStack {
  readonly #log: Logger;
  readonly #stack = new AsyncDisposableStack();

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Runs `release` when the stack is released (after everything deferred later). */
  defer(step: string, release: () => void | Promise<void>): void {
    this.#stack.defer(async () => {
      try {
        await release();
      } catch (error) {
        this.#log.error(`releasing ${step} failed: ${errorMessage(error)}`, errorFields(error));
        throw error;
      }
    });
  }

  /**
   * Runs every release, last deferred first, each even when earlier ones throw; rejects with a
   * ReleaseError listing the failures (already logged one by one). A second call does nothing.
   */
  async release(): Promise<void> {
    try {
      await this.#stack.disposeAsync();
    } catch (error) {
      throw new ReleaseError(unwrapSuppressed(error));
    }
  }
}
