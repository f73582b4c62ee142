// What every scaler is (wadm.md §4: one per trait, its id a hash of what it runs): given the picture
// of the lattice, the commands that bring it closer to the trait's wish and a status a person can
// read. Scalers hold no state of their own; the gate (scaler-gate.ts) remembers what is in flight
// and what failed, and hands the failures back here so the status can say why.

import type { StatusInfo } from '../../lattice/wadm-api.ts';
import type { Command } from './commands.ts';
import type { LatticeState } from './lattice-state.ts';
import type { CommandFailure } from './scaler-gate.ts';

export interface PlanContext {
  state: LatticeState;
  /** The failures of this scaler's last batch (empty once one succeeded). */
  failures: readonly CommandFailure[];
}

export interface ScalerPlan {
  /** What to send now: at most one command per host; empty when there is nothing to do. */
  commands: Command[];
  status: StatusInfo;
}

export interface Scaler {
  /** A hash of what the scaler runs (annotations.ts): the `wasmcloud.dev/scaler` annotation. */
  readonly id: string;
  /** wadm's kind names (SpreadScaler, DaemonScaler, ProviderSpreadScaler, ProviderDaemonScaler, LinkScaler), and our AutoScaler. */
  readonly kind: string;
  /** The component it scales, or the link it keeps. */
  readonly name: string;
  plan(context: PlanContext): ScalerPlan;
}

const IMAGE_MISSING = /no such file|not found|manifest unknown|name unknown|404/i;

/**
 * One line for what failed: `image not found: <image> (<host's reason>)` when the host could not
 * find the image, else the command and the reason. Repeated reasons (the same on every host) once.
 */
export function describeFailures(failures: readonly CommandFailure[]): string {
  const lines = new Set<string>();
  for (const { command, reason } of failures) {
    const image =
      command.kind === 'startActor' || command.kind === 'startProvider' ? command.image : undefined;
    if (image !== undefined && IMAGE_MISSING.test(reason)) lines.add(`image not found: ${image} (${reason})`);
    else if (image !== undefined) lines.add(`could not start ${image}: ${reason}`);
    else lines.add(reason);
  }
  return [...lines].join('; ');
}

/** `1 instance` / `3 instances`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * The status of a scaler that has `commands` to send: failed with the reasons when it has failed
 * (or cannot be satisfied), reconciling with `progress` while it works, deployed with `done` else.
 */
export function scalerStatus(options: {
  unsatisfiable: readonly string[];
  failures: readonly CommandFailure[];
  pending: boolean;
  progress: string;
  done: string;
}): StatusInfo {
  const reasons = [...options.unsatisfiable];
  if (options.pending && options.failures.length > 0) reasons.push(describeFailures(options.failures));
  if (reasons.length > 0) return { type: 'failed', message: reasons.join('; ') };
  if (options.pending) return { type: 'reconciling', message: options.progress };
  return { type: 'deployed', message: options.done };
}
