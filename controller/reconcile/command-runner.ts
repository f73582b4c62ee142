// Runs commands and tells how each ended: done (the lattice shows its effect), failed (the host
// refused it, a failure event named it, or nothing happened within the timeout). The waiter is in
// place before the command is sent, so an outcome event that overtakes the ack is not missed.

import type { ControlClient } from '../../lattice/control-client.ts';
import { errorMessage } from '../../lattice/errors.ts';
import type { CloudEvent } from '../../lattice/events.ts';
import type { Logger } from '../../lattice/log.ts';
import { type Command, commandDone, commandFailure, describeCommand, sendCommand } from './commands.ts';
import type { LatticeState } from './lattice-state.ts';

export type CommandOutcome = { ok: true } | { ok: false; reason: string };

interface Waiter {
  command: Command;
  settle: (outcome: CommandOutcome) => void;
}

export interface CommandRunnerOptions {
  client: ControlClient;
  state: LatticeState;
  log: Logger;
  timeoutMs: number;
}

export class CommandRunner {
  readonly #options: CommandRunnerOptions;
  readonly #waiters = new Set<Waiter>();
  #closed = false;

  constructor(options: CommandRunnerOptions) {
    this.#options = options;
  }

  /** Sends `command` and resolves with its outcome; never rejects. */
  run(command: Command): Promise<CommandOutcome> {
    const { client, state, log, timeoutMs } = this.#options;
    if (this.#closed) return Promise.resolve({ ok: false, reason: 'the reconciler is closed' });
    const what = describeCommand(command);
    return new Promise<CommandOutcome>((resolve) => {
      const timer = setTimeout(
        () =>
          settle({ ok: false, reason: `no outcome within ${Math.round(timeoutMs / 1000)} s of: ${what}` }),
        timeoutMs,
      );
      const waiter: Waiter = { command, settle: (outcome) => settle(outcome) };
      const settle = (outcome: CommandOutcome) => {
        if (!this.#waiters.delete(waiter)) return;
        clearTimeout(timer);
        if (outcome.ok) log.debug(`done: ${what}`);
        else log.info(`failed: ${what}: ${outcome.reason}`);
        resolve(outcome);
      };
      this.#waiters.add(waiter);
      log.info(`command: ${what}`);
      sendCommand(client, command).then(
        () => {
          if (commandDone(command, state)) settle({ ok: true });
        },
        (error: unknown) => settle({ ok: false, reason: errorMessage(error) }),
      );
    });
  }

  /** Settles the commands whose effect the lattice now shows; call after the picture changed. */
  checkDone(): void {
    for (const waiter of this.#waiters)
      if (commandDone(waiter.command, this.#options.state)) waiter.settle({ ok: true });
  }

  /** Settles the commands that `event` says failed. */
  onEvent(event: CloudEvent): void {
    for (const waiter of this.#waiters) {
      const reason = commandFailure(waiter.command, event);
      if (reason !== undefined) waiter.settle({ ok: false, reason });
    }
  }

  /** Settles every waiting command as failed; later runs fail at once. */
  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiters) waiter.settle({ ok: false, reason: 'the reconciler is closed' });
  }
}
