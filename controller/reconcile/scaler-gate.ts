// wadm's back-off wrapper, per scaler: while a scaler's commands are out (at most one per host, sent
// together), it issues nothing more, so a slow OCI pull is not started twice; after a batch with a
// failure it waits before trying again, twice as long after each failure in a row (base, 2×base, …
// up to a maximum), so a missing image costs a few commands, not a storm. The failure reasons of the
// last batch stay until a batch succeeds or the scaler has nothing left to do: they are its status.

import type { CommandOutcome, CommandRunner } from './command-runner.ts';
import { type Command, commandHost } from './commands.ts';

export interface BackoffTimings {
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export interface CommandFailure {
  reason: string;
  command: Command;
  hostId: string | undefined;
}

export class ScalerGate {
  readonly #timings: BackoffTimings;
  /** Called when its batch settled (the pass that follows also schedules the retry after a back-off). */
  readonly #wake: () => void;
  #busy = false;
  #failuresInARow = 0;
  #retryAt = 0;
  #failures: CommandFailure[] = [];

  constructor(timings: BackoffTimings, wake: () => void) {
    this.#timings = timings;
    this.#wake = wake;
  }

  get busy(): boolean {
    return this.#busy;
  }

  /** The failures of the last batch, until one succeeds. */
  get failures(): readonly CommandFailure[] {
    return this.#failures;
  }

  /** When the next batch may go (0: now). */
  get retryAt(): number {
    return this.#retryAt;
  }

  canRun(now: number): boolean {
    return !this.#busy && now >= this.#retryAt;
  }

  /** The scaler has nothing to do: whatever failed before no longer matters. */
  reset(): void {
    this.#failuresInARow = 0;
    this.#retryAt = 0;
    this.#failures = [];
  }

  /** Sends `commands` together; the gate stays closed until every one has settled. */
  run(commands: readonly Command[], runner: CommandRunner): Promise<void> {
    this.#busy = true;
    return Promise.all(commands.map((command) => runner.run(command))).then((outcomes) =>
      this.#settled(commands, outcomes),
    );
  }

  #settled(commands: readonly Command[], outcomes: CommandOutcome[]): void {
    this.#busy = false;
    const failures: CommandFailure[] = [];
    outcomes.forEach((outcome, index) => {
      const command = commands[index];
      if (!outcome.ok && command !== undefined)
        failures.push({ reason: outcome.reason, command, hostId: commandHost(command) });
    });
    if (failures.length === 0) {
      this.reset();
      this.#wake();
      return;
    }
    this.#failures = failures;
    this.#failuresInARow += 1;
    const delay = Math.min(
      this.#timings.backoffBaseMs * 2 ** (this.#failuresInARow - 1),
      this.#timings.backoffMaxMs,
    );
    this.#retryAt = Date.now() + delay;
    // At once, so the status says what failed without waiting out the back-off.
    this.#wake();
  }
}
