// Inside a worker: an actor's calls out (after actor-context.ts has checked its capability claims),
// routed without the host's main thread once the host has mirrored its routes here (route-table.ts).
// Another actor, by key or call alias, runs in this thread when this worker has a free instance of it,
// or goes to another worker of this host that has one over their direct channel (peer-workers.ts);
// otherwise — and every provider call that no built-in in this worker answers — it is a signed
// invocation sent on this worker's own NATS connection, as the main thread would send it
// (host/rpc/outbound.ts). Until routes are mirrored (a runtime without a host), calls go to the main
// thread as before. A call served here is reported as an invocation event, as its callee would report
// a call from NATS.

import { actorEntity, providerEntity, type WasmCloudEntity } from '../../lattice/invocation.ts';
import { sendInvocation } from '../../lattice/rpc.ts';
import type { LatticeRoute } from './builtin-http.ts';
import { INVOCATION_ERROR_CODES, InvocationFailedError, payloadTooLargeError } from './errors.ts';
import type { InvocationEvents } from './invocation-events.ts';
import { noTargetError, notLinkedError, type RouteTable } from './route-table.ts';
import type { HostCallRequest } from './types.ts';

/**
 * Runs an actor call in another worker of this host (peer-workers.ts): the reply, or undefined when
 * no other worker can take it now; rejects as the caller should see it (the peer wrapped the error).
 */
export type PeerCall = (
  originActorId: string,
  actorId: string,
  operation: string,
  payload: Uint8Array,
  deadline: number,
) => Promise<Uint8Array | undefined>;

export interface LocalCallRoutes {
  /** The mirrored table; undefined until the host has sent it (calls then go to the main thread). */
  routes(): RouteTable | undefined;
  /**
   * Runs the call on an instance of `actorId` in this worker when one is free or may be made;
   * undefined when this worker has none (not loaded here, or every instance busy).
   */
  runHere(
    actorId: string,
    operation: string,
    payload: Uint8Array,
    deadline: number,
  ): Promise<Uint8Array> | undefined;
  /** Whether the actor runs on this host (this worker has it loaded: every worker loads every actor). */
  runsHere(actorId: string): boolean;
  /** The other workers of this host, over their direct channels; none in a one-worker runtime. */
  peers?: PeerCall | undefined;
  /** This worker's NATS connection and the cluster key's signer; none without RPC settings. */
  lattice: LatticeRoute | undefined;
  events: InvocationEvents | undefined;
  /** The main thread's router (host/rpc/outbound.ts), for a worker without routes or a connection. */
  mainThread(request: HostCallRequest): Promise<Uint8Array>;
  /** The invocation timeout: a call run here must end this long after it starts. */
  timeoutMs: number;
  /** A call to an actor of this host with a larger payload is refused, as the runtime refuses it. */
  maxPayloadBytes: number;
}

/**
 * The error a call run on this host gives its caller, in the words the main thread's router gives it
 * (worker-pool.ts: the operation and actor, then what failed; a timeout names the timeout).
 */
function asCallerSees(error: unknown, operation: string, actorId: string, timeoutMs: number): unknown {
  if (!(error instanceof InvocationFailedError)) return error;
  if (error.code === INVOCATION_ERROR_CODES.timeout)
    return new InvocationFailedError(
      error.code,
      `${operation} on ${actorId} timed out after ${timeoutMs} ms`,
    );
  return new InvocationFailedError(error.code, `${operation} on ${actorId}: ${error.message}`, {
    cause: error,
  });
}

export class LocalCallRouter {
  readonly #parts: LocalCallRoutes;

  constructor(parts: LocalCallRoutes) {
    this.#parts = parts;
  }

  route(request: HostCallRequest): Promise<Uint8Array> {
    const routes = this.#parts.routes();
    if (routes === undefined) return this.#parts.mainThread(request);
    if (request.target === 'provider') {
      const link = routes.linkFor(request.actorId, request.namespace, request.linkName);
      if (!link) return Promise.reject(notLinkedError(request.actorId, request.namespace, request.linkName));
      const target = providerEntity(link.providerId, link.contractId, link.linkName);
      return this.#overLattice(request, target, (subjects) =>
        subjects.rpc.provider(link.providerId, link.linkName),
      );
    }
    const actorId = routes.resolveActor(request.namespace);
    if (!actorId) return Promise.reject(noTargetError(request.namespace));
    // What this host would run is refused as the runtime's invoke refused it on the main thread.
    const limit = this.#parts.maxPayloadBytes;
    if (request.payload.length > limit && this.#parts.runsHere(actorId))
      return Promise.reject(payloadTooLargeError(request.payload.length, limit));
    const deadline = Date.now() + this.#parts.timeoutMs;
    const here = this.runHere(request.actorId, actorId, request.operation, request.payload, deadline);
    if (here) return here;
    const peers = this.#parts.peers;
    if (peers) return this.#viaPeers(peers, request, actorId, deadline);
    return this.#overLattice(request, actorEntity(actorId), (subjects) => subjects.rpc.actor(actorId));
  }

  /**
   * Runs an actor call in this worker when it has a free instance of the actor (undefined when not):
   * errors as the caller sees them, and its invocation event. Also serves the calls of peer workers.
   */
  runHere(
    originActorId: string,
    actorId: string,
    operation: string,
    payload: Uint8Array,
    deadline: number,
  ): Promise<Uint8Array> | undefined {
    const running = this.#parts.runHere(actorId, operation, payload, deadline);
    return running && this.#served(originActorId, actorId, operation, payload.length, running);
  }

  async #viaPeers(
    peers: PeerCall,
    request: HostCallRequest,
    actorId: string,
    deadline: number,
  ): Promise<Uint8Array> {
    const reply = await peers(request.actorId, actorId, request.operation, request.payload, deadline);
    return (
      reply ?? this.#overLattice(request, actorEntity(actorId), (subjects) => subjects.rpc.actor(actorId))
    );
  }

  async #served(
    originActorId: string,
    actorId: string,
    operation: string,
    bytes: number,
    running: Promise<Uint8Array>,
  ): Promise<Uint8Array> {
    let succeeded = false;
    try {
      const reply = await running;
      succeeded = true;
      return reply;
    } catch (error) {
      throw asCallerSees(error, operation, actorId, this.#parts.timeoutMs);
    } finally {
      this.#parts.events?.report({
        origin: actorEntity(originActorId),
        target: actorEntity(actorId),
        operation,
        bytes,
        succeeded,
      });
    }
  }

  /** A signed invocation on this worker's connection (the callee reports it); the main thread's without one. */
  async #overLattice(
    request: HostCallRequest,
    target: WasmCloudEntity,
    subjectOf: (subjects: LatticeRoute['subjects']) => string,
  ): Promise<Uint8Array> {
    const lattice = this.#parts.lattice;
    if (lattice === undefined) return this.#parts.mainThread(request);
    const { nc, chunks } = await lattice.connection();
    const invocation = lattice.signer.sign({
      origin: actorEntity(request.actorId),
      target,
      operation: request.operation,
      msg: request.payload,
    });
    // Events waiting go first, in the same socket write.
    this.#parts.events?.flush();
    return sendInvocation(nc, subjectOf(lattice.subjects), invocation, {
      timeoutMs: this.#parts.timeoutMs,
      chunks,
    });
  }
}
