// How every `wash app` command reaches the application controller: the connection flags of
// wash ctl (connection-options.ts), a WadmClient on that connection, and the controller's answers
// turned into results or coded one-line errors: a `{"result":"error"}` reply is WASH_APP_REFUSED,
// a `notfound` WASH_APP_NOT_FOUND; no controller, no reply in time and a malformed reply keep the
// lattice's WADM_* codes (wadm-client.ts). `-o json` carries the code.

import type { Command } from 'commander';
import { DEFAULT_WADM_TIMEOUT_MS, WadmClient, WadmRequestError } from '../../../lattice/wadm-client.ts';
import {
  addConnectionOptions,
  type ConnectionFlags,
  type LatticeConnection,
  openConnection,
  resolveConnection,
} from '../../connection-options.ts';
import { WashError } from '../../errors.ts';

/** A controller's message on one line: a validation error may list several problems. */
export function oneLine(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('; ');
}

/** Application names are letters, digits, `-` and `_` (wadm.md §2c): checked before connecting. */
export function appNameArgument(text: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) {
    throw new WashError(
      'WASH_BAD_ARGUMENT',
      `invalid application name ${JSON.stringify(text)}: only letters, digits, - and _ are allowed`,
    );
  }
  return text;
}

/** The controller said no: its message (or `fallback` when it gave none) as a coded error. */
export function controllerRefusal(result: string, message: string, fallback: string): WashError {
  const text = oneLine(message) || fallback;
  return new WashError(result === 'notfound' ? 'WASH_APP_NOT_FOUND' : 'WASH_APP_REFUSED', text);
}

/**
 * The connection for app commands: as wash ctl's, except that without -t (or
 * WASMCLOUD_CTL_TIMEOUT_MS) the wait is the controller's default, longer than a host ping's:
 * a put or deploy writes to JetStream before it answers.
 */
function appConnection(flags: ConnectionFlags): LatticeConnection {
  const fromEnv = process.env.WASMCLOUD_CTL_TIMEOUT_MS;
  const timeoutGiven = flags.timeoutMs !== undefined || (fromEnv !== undefined && fromEnv !== '');
  return resolveConnection(timeoutGiven ? flags : { ...flags, timeoutMs: String(DEFAULT_WADM_TIMEOUT_MS) });
}

/** wash ctl's connection flags, with -t describing the controller's wait. */
export function addAppConnectionOptions(command: Command): Command {
  addConnectionOptions(command);
  const timeout = command.options.find((option) => option.long === '--timeout-ms');
  if (timeout) {
    timeout.description = `how long to wait for the controller's reply (env WASMCLOUD_CTL_TIMEOUT_MS, default ${DEFAULT_WADM_TIMEOUT_MS})`;
  }
  return command;
}

/** Adds what to do to the client's "no controller" error; every other error passes through. */
function withHint(error: unknown): unknown {
  if (error instanceof WadmRequestError && error.code === 'WADM_NO_CONTROLLER') {
    return new WadmRequestError(error.code, `${error.message}; start one with wash up`, { cause: error });
  }
  return error;
}

/** Connects, runs `work` with a WadmClient, and always closes the connection. */
export async function withWadmClient<T>(
  flags: ConnectionFlags,
  work: (client: WadmClient, connection: LatticeConnection) => Promise<T>,
): Promise<T> {
  const connection = appConnection(flags);
  const nc = await openConnection(connection);
  const client = new WadmClient(nc, {
    latticePrefix: connection.latticePrefix,
    timeoutMs: connection.timeoutMs,
  });
  try {
    return await work(client, connection);
  } catch (error) {
    throw withHint(error);
  } finally {
    // Closing after the answer is in: a failure to close changes nothing for the user.
    await nc.close().catch(() => undefined);
  }
}
