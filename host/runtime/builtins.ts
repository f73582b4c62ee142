// The capabilities the host provides itself, with no provider and no link (protocol.md §13):
// wasmcloud:builtin:logging and wasmcloud:builtin:numbergen. They run inside the worker.

import { randomInt, randomUUID } from 'node:crypto';
import { decodePayload, encodePayload } from '../../lattice/payload.ts';
import { HostError } from '../errors.ts';
import type { ActorLogLevel } from './types.ts';

export const LOGGING_CONTRACT = 'wasmcloud:builtin:logging';
export const NUMBERGEN_CONTRACT = 'wasmcloud:builtin:numbergen';

const LEVELS = new Set<ActorLogLevel>(['trace', 'debug', 'info', 'warn', 'error']);

export function logLevel(level: string): ActorLogLevel {
  const lower = level.toLowerCase();
  if (lower === 'warning') return 'warn';
  return LEVELS.has(lower as ActorLogLevel) ? (lower as ActorLogLevel) : 'info';
}

export function randomInRange(min: number, max: number): number {
  if (!Number.isInteger(min) || !Number.isInteger(max) || min > max) {
    throw new HostError(
      'BUILTIN_BAD_ARGUMENT',
      `NumberGen.RandomInRange: min (${min}) must be an integer no greater than max (${max})`,
    );
  }
  return min === max ? min : randomInt(min, max + 1);
}

export function random32(): number {
  return randomInt(0, 2 ** 32);
}

/** Runs a built-in operation arriving as msgpack (from a wasmbus module). Throws for unknown ones. */
export function runBuiltin(
  contract: string,
  operation: string,
  payload: Uint8Array,
  log: (level: ActorLogLevel, text: string) => void,
): Uint8Array {
  const input = decodePayload(payload, `${operation} input`) as Record<string, unknown> | undefined;
  switch (`${contract}#${operation}`) {
    case `${LOGGING_CONTRACT}#Logging.WriteLog`:
      log(logLevel(String(input?.level ?? 'info')), String(input?.text ?? ''));
      return encodePayload(undefined);
    case `${NUMBERGEN_CONTRACT}#NumberGen.GenerateGuid`:
      return encodePayload(randomUUID());
    case `${NUMBERGEN_CONTRACT}#NumberGen.RandomInRange`:
      return encodePayload(randomInRange(Number(input?.min ?? 0), Number(input?.max ?? 0)));
    case `${NUMBERGEN_CONTRACT}#NumberGen.Random32`:
      return encodePayload(random32());
    default:
      throw new HostError('BUILTIN_UNKNOWN_OPERATION', `${contract} has no operation ${operation}`);
  }
}
