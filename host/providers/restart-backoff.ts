// The waits between restarts of a provider that keeps dying: 0.5 s, 1 s, 2 s, … up to 30 s, and
// back to the start once a run lasted a minute (it was a crash, not a crash loop).

import type { RestartPolicy } from './provider-types.ts';

export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 };

export class RestartBackoff {
  readonly #policy: RestartPolicy;
  #attempt = 0;

  constructor(policy: Partial<RestartPolicy> = {}) {
    this.#policy = { ...DEFAULT_RESTART_POLICY, ...policy };
  }

  /** The wait before the next restart, for a process that ran `uptimeMs` before dying. */
  next(uptimeMs: number): number {
    if (uptimeMs >= this.#policy.resetAfterMs) this.#attempt = 0;
    const wait = Math.min(this.#policy.initialMs * 2 ** this.#attempt, this.#policy.maxMs);
    if (wait < this.#policy.maxMs) this.#attempt++;
    return wait;
  }
}
