// Why an invocation or a load failed. Each error has a code for programs and a message for people.

import type { LatticeErrorCode } from '../../lattice/errors.ts';
import { HostError, type HostErrorCode } from '../errors.ts';

/** The actor could not be loaded: bad bytes, bad claims, a memory need above the cap, a compile error. */
export class ActorLoadError extends HostError {}

/** The invocation failed: the actor returned an error, trapped, timed out, or was not there. */
export class InvocationFailedError extends HostError {}

/** The codes of a failed invocation by what happened (host/errors.ts says what each means). */
export const INVOCATION_ERROR_CODES = {
  actorError: 'ACTOR_ERROR',
  trap: 'ACTOR_TRAP',
  timeout: 'ACTOR_TIMEOUT',
  workerRestarted: 'WORKER_RESTARTED',
  notLoaded: 'ACTOR_NOT_LOADED',
  unknownOperation: 'UNKNOWN_OPERATION',
  payloadTooLarge: 'PAYLOAD_TOO_LARGE',
  badPayload: 'BAD_PAYLOAD',
  closed: 'RUNTIME_CLOSED',
  /** The actor's bounded queue is full (lattice/rpc.ts QUEUE_FULL: the code is on the wire). */
  queueFull: 'ACTOR_QUEUE_FULL',
} as const satisfies Record<string, HostErrorCode | LatticeErrorCode>;

export type InvocationErrorCode = (typeof INVOCATION_ERROR_CODES)[keyof typeof INVOCATION_ERROR_CODES];

/** A call refused for its payload's size, wherever it is run on this host (main thread or worker). */
export function payloadTooLargeError(bytes: number, limit: number): InvocationFailedError {
  return new InvocationFailedError(
    INVOCATION_ERROR_CODES.payloadTooLarge,
    `a payload of ${bytes} bytes exceeds the limit of ${limit} bytes`,
  );
}
