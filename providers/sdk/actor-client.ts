// Calls from a provider to an actor (protocol.md §6.4): an Invocation from the provider entity
// of the actor's link (provider key, contract, link name) to the actor, signed with HostData's
// invocation seed, sent to `wasmbus.rpc.{lattice}.{actorId}` through lattice/rpc.ts (chunking and
// timeouts as the host has them). Failures are re-told in the actor's terms as ActorCallError.

import type { ChunkStore } from '../../lattice/chunking.ts';
import { rpcTimeoutFor } from '../../lattice/chunking.ts';
import { DecodeError, errorMessage } from '../../lattice/errors.ts';
import { actorEntity, providerEntity } from '../../lattice/invocation.ts';
import type { InvocationSigner } from '../../lattice/invocation-signer.ts';
import type { NatsConnection } from '../../lattice/nats.ts';
import { RpcRemoteError, RpcTransportError, sendInvocation } from '../../lattice/rpc.ts';
import type { LatticeSubjects } from '../../lattice/subjects.ts';
import { ProviderError } from './errors.ts';
import type { LinkTable } from './link-table.ts';

export class ActorCallError extends ProviderError {}

export interface CallActorOptions {
  /** Default: HostData's `default_rpc_timeout_ms` (raised for large payloads, as the host does). */
  timeoutMs?: number;
}

interface FailedCall {
  actorId: string;
  operation: string;
  timeoutMs: number;
}

/** The shared RPC layer's error, said about this actor call. */
function describeFailure(error: unknown, { actorId, operation, timeoutMs }: FailedCall): ActorCallError {
  const options = { cause: error };
  if (error instanceof RpcRemoteError && error.code === 'ACTOR_QUEUE_FULL') {
    // The host refused at once: the actor's queue is full; the caller may retry later.
    return new ActorCallError(
      'ACTOR_QUEUE_FULL',
      `actor ${actorId} is busy (${operation}): ${error.message}`,
      options,
    );
  }
  if (error instanceof RpcRemoteError) {
    return new ActorCallError(
      'ACTOR_ERROR',
      `actor ${actorId} failed ${operation}: ${error.message}`,
      options,
    );
  }
  if (error instanceof RpcTransportError && error.code === 'RPC_NO_RESPONDERS') {
    return new ActorCallError(
      'ACTOR_UNREACHABLE',
      `no host is running actor ${actorId} (${operation})`,
      options,
    );
  }
  if (error instanceof RpcTransportError && error.code === 'RPC_TIMEOUT') {
    const message = `actor ${actorId} did not answer ${operation} within ${timeoutMs} ms`;
    return new ActorCallError('ACTOR_CALL_TIMEOUT', message, options);
  }
  if (error instanceof DecodeError) {
    const message = `actor ${actorId} sent an unreadable reply to ${operation}: ${error.message}`;
    return new ActorCallError('ACTOR_REPLY_INVALID', message, options);
  }
  const message = `calling ${operation} on actor ${actorId} failed: ${errorMessage(error)}`;
  return new ActorCallError('ACTOR_CALL_FAILED', message, options);
}

export class ActorClient {
  readonly #nc: NatsConnection;
  readonly #subjects: LatticeSubjects;
  readonly #signer: InvocationSigner | undefined;
  readonly #chunks: ChunkStore;
  readonly #links: LinkTable;
  readonly #providerKey: string;
  readonly #timeoutMs: number;

  constructor(options: {
    nc: NatsConnection;
    subjects: LatticeSubjects;
    signer: InvocationSigner | undefined;
    chunks: ChunkStore;
    links: LinkTable;
    providerKey: string;
    timeoutMs: number;
  }) {
    this.#nc = options.nc;
    this.#subjects = options.subjects;
    this.#signer = options.signer;
    this.#chunks = options.chunks;
    this.#links = options.links;
    this.#providerKey = options.providerKey;
    this.#timeoutMs = options.timeoutMs;
  }

  /** Calls `operation` on a linked actor; resolves with its reply payload, rejects with ActorCallError. */
  async call(
    actorId: string,
    operation: string,
    payload: Uint8Array,
    options: CallActorOptions = {},
  ): Promise<Uint8Array> {
    const link = this.#links.get(actorId);
    if (link === undefined) {
      throw new ActorCallError(
        'ACTOR_NOT_LINKED',
        `cannot call ${operation} on actor ${actorId}: it has no link to provider ${this.#providerKey}`,
      );
    }
    if (this.#signer === undefined) {
      throw new ActorCallError(
        'NO_INVOCATION_SEED',
        `cannot call actor ${actorId}: the host sent no invocation_seed to sign invocations with`,
      );
    }
    const invocation = this.#signer.sign({
      origin: providerEntity(this.#providerKey, link.contract_id, link.link_name),
      target: actorEntity(actorId),
      operation,
      msg: payload,
      content_length: payload.length, // as wasmbus-rpc sends it, chunked or not
    });
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    try {
      return await sendInvocation(this.#nc, this.#subjects.rpc.actor(actorId), invocation, {
        timeoutMs,
        chunks: this.#chunks,
      });
    } catch (error) {
      throw describeFailure(error, {
        actorId,
        operation,
        timeoutMs: rpcTimeoutFor(payload.length, timeoutMs),
      });
    }
  }
}
