// Serves invocations addressed to the actors on this host (protocol.md §3.1, §3.3): one queue
// subscription per actor on `wasmbus.rpc.{lattice}.{actorKey}` (every host running the actor joins
// the same group, so NATS spreads calls across hosts). Each call is decoded, de-chunked, validated
// (signature, time, hash, issuer, URLs, then the actor's capability claim for a provider caller),
// run in the worker pool, and answered; the outcome is published as an invocation event.

import type { ChunkStore } from '../../lattice/chunking.ts';
import { errorMessage } from '../../lattice/errors.ts';
import type { Invocation } from '../../lattice/invocation.ts';
import { checkActorCapability, validateInvocation } from '../../lattice/invocation-validation.ts';
import type { Msg, NatsConnection, Subscription } from '../../lattice/nats.ts';
import { invocationErrorReply, invocationReply, receiveInvocation } from '../../lattice/rpc.ts';
import type { LatticeSubjects } from '../../lattice/subjects.ts';
import type { EventPublisher } from '../events.ts';
import type { Logger } from '../log.ts';

/** What serving an actor needs from the rest of the host. */
export interface ActorRpcContext {
  nc: NatsConnection;
  subjects: LatticeSubjects;
  chunks: ChunkStore;
  clusterIssuers: ReadonlySet<string>;
  /** The capability claims of a running actor; undefined when it is not running here. */
  capsOf(actorId: string): readonly string[] | undefined;
  invoke(actorId: string, operation: string, payload: Uint8Array): Promise<Uint8Array>;
  events: EventPublisher;
  log: Logger;
}

export class ActorRpcServer {
  readonly #context: ActorRpcContext;

  constructor(context: ActorRpcContext) {
    this.#context = context;
  }

  /** Joins the actor's queue group; unsubscribe (drain) when its last instance stops. */
  subscribe(actorId: string): Subscription {
    const subject = this.#context.subjects.rpc.actor(actorId);
    return this.#context.nc.subscribe(subject, {
      queue: this.#context.subjects.rpc.actorQueueGroup(actorId),
      callback: (error, msg) => {
        if (error) return this.#context.log.warn(`rpc subscription for ${actorId}: ${error.message}`);
        void this.#serve(actorId, msg);
      },
    });
  }

  async #serve(actorId: string, msg: Msg): Promise<void> {
    let invocation: Invocation | undefined;
    let reply: Uint8Array;
    try {
      invocation = await receiveInvocation(msg.data, this.#context.chunks);
      this.#check(actorId, invocation);
      const result = await this.#context.invoke(actorId, invocation.operation, invocation.msg);
      reply = await invocationReply(invocation.id, result, this.#context.chunks);
      this.#publish(invocation, 'invocation_succeeded');
    } catch (error) {
      const message = invocation ? errorMessage(error) : `deser error: ${errorMessage(error)}`;
      reply = invocationErrorReply(invocation?.id ?? '', message);
      if (invocation) this.#publish(invocation, 'invocation_failed');
      this.#context.log.debug(`invocation for ${actorId} failed: ${message}`);
    }
    if (msg.reply) msg.respond(reply);
  }

  #check(actorId: string, invocation: Invocation): void {
    validateInvocation(invocation, { clusterIssuers: this.#context.clusterIssuers });
    if (invocation.target.public_key !== actorId) {
      throw new Error(`invocation ${invocation.id} is for ${invocation.target.public_key}, not ${actorId}`);
    }
    const caps = this.#context.capsOf(actorId);
    if (caps === undefined) throw new Error(`actor ${actorId} is not running on this host`);
    checkActorCapability(invocation, caps);
  }

  #publish(invocation: Invocation, name: 'invocation_succeeded' | 'invocation_failed'): void {
    const { origin, target, operation, msg } = invocation;
    const entity = ({ public_key, contract_id, link_name }: typeof origin) => ({
      public_key,
      contract_id,
      link_name,
    });
    this.#context.events.publish(name, {
      source: entity(origin),
      dest: entity(target),
      operation,
      bytes: msg.length,
    });
  }
}
