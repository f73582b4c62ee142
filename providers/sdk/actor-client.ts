// Calls from a provider to an actor (protocol.md §6.4): an Invocation from the provider entity
// of the actor's link (provider key, contract, link name) to the actor, signed with HostData's
// invocation seed, sent to `wasmbus.rpc.{lattice}.{actorId}`. Large payloads go through the object
// store both ways.

import {
  actorEntity,
  decodeInvocationResponse,
  encodeInvocation,
  isChunked,
  providerEntity,
} from '../../lattice/invocation.ts';
import type { InvocationSigner } from '../../lattice/invocation-signer.ts';
import type { NatsConnection } from '../../lattice/nats.ts';
import type { LatticeSubjects } from '../../lattice/subjects.ts';
import { CHUNK_EXTRA_TIME_MS, CHUNK_THRESHOLD_BYTES, type ChunkStore } from './chunk-store.ts';
import type { LinkTable } from './link-table.ts';
import { natsErrorCode } from './nats-error.ts';

export class ActorCallError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = 'ActorCallError';
  }
}

export interface CallActorOptions {
  /** Default: HostData's `default_rpc_timeout_ms` (plus 13 s for a payload sent in chunks). */
  timeoutMs?: number;
}

const EMPTY = new Uint8Array(0);

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
    });
    let timeout = options.timeoutMs ?? this.#timeoutMs;
    invocation.content_length = payload.length;
    if (payload.length > CHUNK_THRESHOLD_BYTES) {
      // The token hashes the whole payload; only the envelope travels without it.
      await this.#chunks.put(this.#subjects.chunking.requestObject(invocation.id), payload);
      invocation.msg = EMPTY;
      timeout += CHUNK_EXTRA_TIME_MS;
    }
    let replyData: Uint8Array;
    try {
      const reply = await this.#nc.request(this.#subjects.rpc.actor(actorId), encodeInvocation(invocation), {
        timeout,
      });
      replyData = reply.data;
    } catch (error) {
      const code = natsErrorCode(error);
      if (code === '503') {
        throw new ActorCallError('ACTOR_UNREACHABLE', `no host is running actor ${actorId} (${operation})`);
      }
      if (code === 'TIMEOUT') {
        throw new ActorCallError(
          'ACTOR_CALL_TIMEOUT',
          `actor ${actorId} did not answer ${operation} within ${timeout} ms`,
        );
      }
      throw new ActorCallError(
        'ACTOR_CALL_FAILED',
        `calling ${operation} on actor ${actorId} failed: ${(error as Error).message}`,
      );
    }
    let response: ReturnType<typeof decodeInvocationResponse>;
    try {
      response = decodeInvocationResponse(replyData);
    } catch (error) {
      throw new ActorCallError(
        'ACTOR_REPLY_INVALID',
        `actor ${actorId} sent an unreadable reply to ${operation}: ${(error as Error).message}`,
      );
    }
    if (response.error !== undefined && response.error !== '') {
      throw new ActorCallError('ACTOR_ERROR', `actor ${actorId} failed ${operation}: ${response.error}`);
    }
    if (isChunked(response)) {
      return this.#chunks.take(
        this.#subjects.chunking.responseObject(invocation.id),
        response.content_length!,
      );
    }
    return response.msg;
  }
}
