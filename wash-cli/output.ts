// How wash answers: text for people, `-o json` for scripts (wash 0.1x shape: the result map
// plus "success": true on stdout; {"success":false,"error":…} on stderr and exit 1 on failure, with
// "code" too when the error has one (wash-cli/errors.ts, docs/errors.md), and "host_code" when a
// host refused with a code of its own).
// Every command's action runs through `runAction`, so no error ever reaches a user as a stack trace.

import type { Command } from 'commander';
import { errorCode, errorMessage, LatticeError } from '../lattice/errors.ts';
import { WashError } from './errors.ts';

export type OutputKind = 'text' | 'json';

/** What a command returns: the JSON map, and the lines a person reads. */
export interface CommandResult {
  json: Record<string, unknown>;
  text: string;
}

export function outputKindOf(command: Command): OutputKind {
  const output = command.optsWithGlobals().output;
  if (output === undefined || output === 'text') return 'text';
  if (output === 'json') return 'json';
  throw new WashError('WASH_BAD_ARGUMENT', `unknown output kind "${String(output)}": use text or json`);
}

/** The codes of a failure as -o json prints them: its own, and the one a refusing host gave. */
function codesOf(error: unknown): { code?: string; host_code?: string } {
  const code = errorCode(error);
  // ControlRejectedError's hostCode, read by shape: importing control-client.ts here would load zod
  // and the NATS client into every command, even `wash --help` and `wash keys gen`.
  const hostCode =
    error instanceof LatticeError && 'hostCode' in error && typeof error.hostCode === 'string'
      ? error.hostCode
      : undefined;
  return {
    ...(code === undefined ? {} : { code }),
    ...(hostCode === undefined ? {} : { host_code: hostCode }),
  };
}

/** Prints the result in the chosen form, or the error and exits 1. */
export async function runAction(
  command: Command,
  action: () => Promise<CommandResult> | CommandResult,
): Promise<void> {
  let kind: OutputKind = 'text';
  try {
    kind = outputKindOf(command);
    const result = await action();
    if (kind === 'json') process.stdout.write(`${JSON.stringify({ ...result.json, success: true })}\n`);
    else process.stdout.write(result.text.endsWith('\n') ? result.text : `${result.text}\n`);
  } catch (error) {
    // Node's own errors (a file-system error) already say what and where (ENOENT: no such file …).
    const message = errorMessage(error);
    if (kind === 'json') {
      // A coded error carries its code, so scripts need not match on the message.
      process.stderr.write(`${JSON.stringify({ success: false, error: message, ...codesOf(error) })}\n`);
    } else process.stderr.write(`error: ${message}\n`);
    process.exitCode = 1;
  }
}

/** Prints a warning to stderr, where it never mixes with JSON on stdout. */
export function warn(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Lays out `label: value` rows with the values aligned, for text output. */
export function table(rows: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}
