// Inside a worker: the listeners of the built-in httpserver (wasmcloud+builtin://httpserver). Every
// worker opens each link's listener itself on the same address (SO_REUSEPORT: the kernel spreads
// connections over the workers) with the httpserver provider's own code (lattice/httpserver/), and
// calls the actor in this thread when it has an instance here: no NATS, no signing, no postMessage.
// The capability claim is checked as a provider's invocation is (§3.3 step 7), with the same words.
// An actor this host does not run is called over the lattice from this worker's NATS connection,
// signed with the cluster key, exactly as the httpserver provider process calls it.

import type { ChunkStore } from '../../lattice/chunking.ts';
import { DecodeError, errorMessage } from '../../lattice/errors.ts';
import { ActorListener } from '../../lattice/httpserver/actor-listener.ts';
import type { CallFailure } from '../../lattice/httpserver/forwarding.ts';
import { HANDLE_REQUEST } from '../../lattice/httpserver/http-contract.ts';
import { describeAddress, loadSettings } from '../../lattice/httpserver/settings.ts';
import { actorEntity, providerEntity } from '../../lattice/invocation.ts';
import type { InvocationSigner } from '../../lattice/invocation-signer.ts';
import { InvocationMissingCapabilityError } from '../../lattice/invocation-validation.ts';
import { missingCapabilityText } from '../../lattice/missing-capability.ts';
import type { NatsConnection } from '../../lattice/nats.ts';
import { RpcRemoteError, RpcTransportError, sendInvocation } from '../../lattice/rpc.ts';
import type { LatticeSubjects } from '../../lattice/subjects.ts';
import { INVOCATION_ERROR_CODES, InvocationFailedError } from './errors.ts';
import type { InvocationEvents } from './invocation-events.ts';
import type { ActorLogLevel, BuiltinHttpLink } from './types.ts';
import type { UnseenCalls } from './unseen-calls.ts';

/** This worker's actors: their claims and a way to run them here. */
export interface LocalActors {
  capsOf(actorId: string): readonly string[] | undefined;
  execute(actorId: string, operation: string, payload: Uint8Array, deadline: number): Promise<Uint8Array>;
  /**
   * The count of calls this worker is running that the main thread cannot see (shared with the
   * RPC server): while it is above 0 the main thread pings the worker and replaces it when an actor
   * without yield points keeps it from answering past the timeout.
   */
  busy: UnseenCalls;
  /** Where the calls served here are reported (invocation events); none without a NATS connection. */
  events?: InvocationEvents | undefined;
}

/** The lattice as this worker reaches it: its own NATS connection and the cluster key's signer. */
export interface LatticeRoute {
  connection(): Promise<{ nc: NatsConnection; chunks: ChunkStore }>;
  signer: InvocationSigner;
  subjects: LatticeSubjects;
}

export type WorkerLog = (actorId: string, level: ActorLogLevel, text: string) => void;

/** How long a closed link's requests in flight may finish before their connections are dropped. */
const CLOSE_GRACE_MS = 500;

/**
 * The call errors of both routes in the terms of the shared HTTP mapping, told in the words the
 * provider process's SDK uses (providers/sdk/actor-client.ts), so the log reads the same either way.
 */
function classify(error: unknown, actorId: string, timeoutMs: number): CallFailure | undefined {
  const detail = errorMessage(error);
  const timeout: CallFailure = {
    kind: 'timeout',
    message: `actor ${actorId} did not answer ${HANDLE_REQUEST} within ${timeoutMs} ms`,
  };
  const unreachable: CallFailure = {
    kind: 'unreachable',
    message: `no host is running actor ${actorId} (${HANDLE_REQUEST})`,
  };
  const failed: CallFailure = {
    kind: 'actor-error',
    message: `actor ${actorId} failed ${HANDLE_REQUEST}: ${detail}`,
  };
  const overloaded: CallFailure = { kind: 'overloaded', message: `actor ${actorId} is busy: ${detail}` };
  if (error instanceof RpcRemoteError && error.code === 'ACTOR_QUEUE_FULL') return overloaded;
  if (error instanceof InvocationMissingCapabilityError || error instanceof RpcRemoteError) return failed;
  if (error instanceof InvocationFailedError) {
    if (error.code === INVOCATION_ERROR_CODES.timeout) return timeout;
    if (error.code === INVOCATION_ERROR_CODES.queueFull) return overloaded;
    if (error.code === INVOCATION_ERROR_CODES.notLoaded) return unreachable;
    return failed;
  }
  if (error instanceof RpcTransportError && error.code === 'RPC_NO_RESPONDERS') return unreachable;
  if (error instanceof RpcTransportError && error.code === 'RPC_TIMEOUT') return timeout;
  if (error instanceof DecodeError)
    return {
      kind: 'invalid-reply',
      message: `actor ${actorId} sent an unreadable reply to ${HANDLE_REQUEST}: ${detail}`,
    };
  return undefined;
}

export class WorkerHttpListeners {
  readonly #actors: LocalActors;
  readonly #route: LatticeRoute | undefined;
  readonly #defaultTimeoutMs: number;
  readonly #log: WorkerLog;
  readonly #listeners = new Map<string, ActorListener>();

  constructor(
    actors: LocalActors,
    route: LatticeRoute | undefined,
    defaultTimeoutMs: number,
    log: WorkerLog,
  ) {
    this.#actors = actors;
    this.#route = route;
    this.#defaultTimeoutMs = defaultTimeoutMs;
    this.#log = log;
  }

  /** Opens the link's listener in this worker; rejects with the reason (bad values, address in use). */
  async open(link: BuiltinHttpLink): Promise<void> {
    const open = this.#listeners.get(link.listenerId);
    if (open !== undefined) {
      // Changed values replace the listener (as the provider's SDK does on a put with new values).
      this.#listeners.delete(link.listenerId);
      await open.close(CLOSE_GRACE_MS);
    }
    const { settings } = loadSettings(link.values);
    const timeoutMs = settings.timeoutMs ?? this.#defaultTimeoutMs;
    const listener = await ActorListener.open({
      actorId: link.actorId,
      settings,
      reusePort: true,
      call: (payload) => this.#call(link, payload, timeoutMs),
      logFailure: (message) =>
        this.#log(
          link.actorId,
          'warn',
          `built-in provider ${link.providerId}: request for actor ${link.actorId}: ${message}`,
        ),
      classifyFailure: (error) => classify(error, link.actorId, timeoutMs),
    });
    this.#listeners.set(link.listenerId, listener);
  }

  async close(listenerId: string): Promise<void> {
    const listener = this.#listeners.get(listenerId);
    if (listener === undefined) return;
    this.#listeners.delete(listenerId);
    await listener.close(CLOSE_GRACE_MS);
  }

  async closeAll(): Promise<void> {
    const listeners = [...this.#listeners.values()];
    this.#listeners.clear();
    await Promise.all(listeners.map((listener) => listener.close(CLOSE_GRACE_MS)));
  }

  /** Where each open listener is, for messages. */
  addresses(): string[] {
    return [...this.#listeners.values()].map((listener) => describeAddress(listener.address));
  }

  #call(link: BuiltinHttpLink, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const caps = this.#actors.capsOf(link.actorId);
    if (caps === undefined) return this.#callOverLattice(link, payload, timeoutMs);
    if (!caps.includes(link.contractId)) {
      this.#report(link, payload, false);
      // The refusal a provider's invocation gets from worker-rpc.ts, in the same words.
      return Promise.reject(
        new InvocationMissingCapabilityError(
          'INVOCATION_MISSING_CAPABILITY',
          `call from built-in provider ${link.providerId} rejected: ${missingCapabilityText(link.actorId, link.contractId)}`,
        ),
      );
    }
    return this.#runHere(link, payload, timeoutMs);
  }

  async #runHere(link: BuiltinHttpLink, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const busy = this.#actors.busy;
    busy.enter();
    let succeeded = false;
    try {
      const reply = await this.#actors.execute(link.actorId, HANDLE_REQUEST, payload, Date.now() + timeoutMs);
      succeeded = true;
      return reply;
    } finally {
      busy.leave();
      this.#report(link, payload, succeeded);
    }
  }

  /** The invocation event of a call served in this worker, as the callee of a NATS call reports it. */
  #report(link: BuiltinHttpLink, payload: Uint8Array, succeeded: boolean): void {
    this.#actors.events?.report({
      origin: providerEntity(link.providerId, link.contractId, link.linkName),
      target: actorEntity(link.actorId),
      operation: HANDLE_REQUEST,
      bytes: payload.length,
      succeeded,
    });
  }

  async #callOverLattice(link: BuiltinHttpLink, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const route = this.#route;
    if (route === undefined)
      throw new InvocationFailedError(
        INVOCATION_ERROR_CODES.notLoaded,
        `actor ${link.actorId} is not running on this host, and this worker has no lattice connection`,
      );
    const { nc, chunks } = await route.connection();
    const invocation = route.signer.sign({
      origin: providerEntity(link.providerId, link.contractId, link.linkName),
      target: actorEntity(link.actorId),
      operation: HANDLE_REQUEST,
      msg: payload,
      content_length: payload.length,
    });
    // Events waiting go first, in the same socket write.
    this.#actors.events?.flush();
    return sendInvocation(nc, route.subjects.rpc.actor(link.actorId), invocation, { timeoutMs, chunks });
  }
}
