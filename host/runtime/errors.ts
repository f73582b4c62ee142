// Why an invocation or a load failed. Each error has a code for programs and a message for people.

import { LatticeError } from '../../lattice/errors.ts';

/** The actor could not be loaded: bad bytes, bad claims, a memory need above the cap, a compile error. */
export class ActorLoadError extends LatticeError {}

/** The invocation failed: the actor returned an error, trapped, timed out, or was not there. */
export class InvocationFailedError extends LatticeError {}

export const INVOCATION_ERROR_CODES = {
  /** The actor answered with an error of its own. */
  actorError: 'ACTOR_ERROR',
  /** The actor trapped (unreachable, out-of-bounds access, stack overflow…). */
  trap: 'ACTOR_TRAP',
  /** The invocation did not finish in time; a stuck actor's worker was replaced. */
  timeout: 'ACTOR_TIMEOUT',
  /** The worker running the call was replaced because another actor on it was stuck. */
  workerRestarted: 'WORKER_RESTARTED',
  /** No actor with that key is loaded here. */
  notLoaded: 'ACTOR_NOT_LOADED',
  /** The actor does not handle that operation. */
  unknownOperation: 'UNKNOWN_OPERATION',
  /** The payload is larger than the runtime accepts. */
  payloadTooLarge: 'PAYLOAD_TOO_LARGE',
  /** The payload does not have the shape the contract says. */
  badPayload: 'BAD_PAYLOAD',
  /** The runtime was closed. */
  closed: 'RUNTIME_CLOSED',
} as const;

export type InvocationErrorCode = (typeof INVOCATION_ERROR_CODES)[keyof typeof INVOCATION_ERROR_CODES];
