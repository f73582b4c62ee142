// How wash answers: text for people, `-o json` for scripts (wash 0.1x shape: the result map
// plus "success": true on stdout; {"success":false,"error":…} on stderr and exit 1 on failure, with
// "code" too when the error has one).
// Every command's action runs through `runAction`, so no error ever reaches a user as a stack trace.

import type { Command } from 'commander';
import { LatticeError } from '../lattice/errors.ts';

export type OutputKind = 'text' | 'json';

/** What a command returns: the JSON map, and the lines a person reads. */
export interface CommandResult {
  json: Record<string, unknown>;
  text: string;
}

/** A failure the user can act on; its message is printed as is. */
export class WashError extends Error {
  override name = 'WashError';
}

export function outputKindOf(command: Command): OutputKind {
  const output = command.optsWithGlobals().output;
  if (output === undefined || output === 'text') return 'text';
  if (output === 'json') return 'json';
  throw new WashError(`unknown output kind "${String(output)}": use text or json`);
}

function messageOf(error: unknown): string {
  if (error instanceof WashError || error instanceof LatticeError) return error.message;
  if (error instanceof Error) {
    // Node's file-system errors already say what and where (ENOENT: no such file …).
    return error.message;
  }
  return String(error);
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
    const message = messageOf(error);
    if (kind === 'json') {
      // A coded error (LatticeError) carries its code, so scripts need not match on the message.
      const code = error instanceof LatticeError ? { code: error.code } : {};
      process.stderr.write(`${JSON.stringify({ success: false, error: message, ...code })}\n`);
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
