// Inside a worker: serves the invocations addressed to its actors straight from NATS (protocol.md
// §3.1, §3.3), so a call goes NATS → worker → wasm → NATS without visiting the host's main thread
// (design.md: the main-thread hop costs as much as the wasm call and the NATS hop together).
//
// Every worker of every host running an actor joins the actor's queue group, so NATS spreads the
// calls. Each call is decoded, de-chunked, validated (signature, time and `iat` window, hash,
// issuer, URLs, then the actor's capability claim for a provider caller), checked against the
// host's replay guard (shared by its workers), run, answered, and reported as an invocation event
// on `wasmbus.rpcevt.{lattice}` (unless the host's invocation events are `off`: invocation-events.ts).

import { ChunkStore } from '../../lattice/chunking.ts';
import { errorMessage } from '../../lattice/errors.ts';
import type { Invocation } from '../../lattice/invocation.ts';
import {
  checkActorCapability,
  checkNotReplayed,
  validateInvocation,
} from '../../lattice/invocation-validation.ts';
import { connectNats, type Msg, type NatsConnection, type Subscription } from '../../lattice/nats.ts';
import { ReplayGuard, type ReplayWindow } from '../../lattice/replay-guard.ts';
import { invocationErrorReply, invocationReply, receiveInvocation } from '../../lattice/rpc.ts';
import { type LatticeSubjects, latticeSubjects } from '../../lattice/subjects.ts';
import { incomingTraceContext, withTraceContext } from '../../lattice/telemetry/trace-context.ts';
import { HostError } from '../errors.ts';
import { NatsEventPublisher } from '../events.ts';
import { INVOCATION_ERROR_CODES, InvocationFailedError } from './errors.ts';
import type { InFlightCalls } from './inflight-calls.ts';
import { InvocationEvents, type ServedCall } from './invocation-events.ts';
import type { WorkerRpcSettings } from './types.ts';
import type { UnseenCalls } from './unseen-calls.ts';

/** What the worker lends the RPC server: its actors' claims and a way to run them. */
export interface WorkerActors {
  capsOf(actorId: string): readonly string[] | undefined;
  execute(actorId: string, operation: string, payload: Uint8Array, deadline: number): Promise<Uint8Array>;
  /** Told of every call served, on every path, whatever WASMCLOUD_INVOCATION_EVENTS says (metrics). */
  onServed?: ((call: ServedCall) => void) | undefined;
}

/** How calls are timed: each must end `timeoutMs` after it arrives, and is recorded in `calls` meanwhile. */
export interface CallWatch {
  calls: InFlightCalls;
  timeoutMs: number;
}

/**
 * The caller's error text: a timeout or a full queue names its code, so the caller can tell it from
 * other failures (a full queue is worth retrying later: lattice/rpc.ts QUEUE_FULL).
 */
function replyError(error: unknown): string {
  if (
    error instanceof InvocationFailedError &&
    (error.code === INVOCATION_ERROR_CODES.timeout || error.code === INVOCATION_ERROR_CODES.queueFull)
  ) {
    return `${error.code}: ${error.message}`;
  }
  return errorMessage(error);
}

export class WorkerRpcServer {
  readonly #actors: WorkerActors;
  readonly #subjects: LatticeSubjects;
  readonly #issuers: ReadonlySet<string>;
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #connection: Promise<{ nc: NatsConnection; chunks: ChunkStore }>;
  /** The events of every call this worker serves, whatever path it came by (once connected). */
  readonly invocationEvents: InvocationEvents;
  #eventPublisher: NatsEventPublisher | undefined;
  /** Calls being served now; the main thread reads it to know when to check this worker is alive. */
  readonly #busy: UnseenCalls;
  readonly #watch: CallWatch;
  /** The host's table of accepted invocations, shared with its other workers; none without one. */
  readonly #replayGuard: ReplayGuard | undefined;
  readonly #replayWindow: ReplayWindow | undefined;

  constructor(settings: WorkerRpcSettings, actors: WorkerActors, busy: UnseenCalls, watch: CallWatch) {
    this.#actors = actors;
    this.#busy = busy;
    this.#watch = watch;
    this.#subjects = latticeSubjects(settings.latticePrefix);
    this.#issuers = new Set(settings.clusterIssuers);
    this.#replayGuard = settings.replayGuard && new ReplayGuard(settings.replayGuard);
    this.#replayWindow = settings.replayWindow;
    this.invocationEvents = new InvocationEvents(
      () => this.#eventPublisher,
      settings.invocationEvents,
      actors.onServed,
    );
    this.#connection = connectNats(settings.nats).then((nc) => {
      this.#eventPublisher = new NatsEventPublisher(nc, this.#subjects, settings.hostId);
      return {
        nc,
        chunks: new ChunkStore(nc, this.#subjects, settings.jsDomain, { setting: settings.jsReplicas }),
      };
    });
    this.#connection.catch(() => undefined); // reported by `serve`
  }

  /** This worker's NATS connection and object store (the built-in providers call out on it). */
  connection(): Promise<{ nc: NatsConnection; chunks: ChunkStore }> {
    return this.#connection;
  }

  /** Joins the actor's queue group (once; a reload of the same actor keeps its subscription). */
  async serve(actorId: string): Promise<void> {
    if (this.#subscriptions.has(actorId)) return;
    const { nc, chunks } = await this.#connection;
    if (this.#subscriptions.has(actorId)) return;
    const subject = this.#subjects.rpc.actor(actorId);
    const subscription = nc.subscribe(subject, {
      queue: this.#subjects.rpc.actorQueueGroup(actorId),
      callback: (error, msg) => {
        if (!error) void this.#handle(chunks, actorId, msg);
      },
    });
    this.#subscriptions.set(actorId, subscription);
    await nc.flush();
  }

  /** Leaves the queue group; messages already delivered here are still answered (drain). */
  async stopServing(actorId: string): Promise<void> {
    const subscription = this.#subscriptions.get(actorId);
    if (!subscription) return;
    this.#subscriptions.delete(actorId);
    // Fails only when the connection is closed already: then nothing is left to drain.
    await subscription.drain().catch(() => undefined);
  }

  async #handle(chunks: ChunkStore, actorId: string, msg: Msg): Promise<void> {
    this.#busy.enter();
    const deadline = Date.now() + this.#watch.timeoutMs;
    let invocation: Invocation | undefined;
    let reply: Uint8Array;
    let succeeded = false;
    // Recorded while it runs, so the main thread can answer it if this worker gets stuck.
    let tracked = -1;
    try {
      invocation = await receiveInvocation(msg.data, chunks);
      this.#check(actorId, invocation);
      if (msg.reply) {
        tracked = this.#watch.calls.track({
          replySubject: msg.reply,
          invocationId: invocation.id,
          actorId,
          operation: invocation.operation,
          deadline,
        });
      }
      const called = invocation;
      // The caller's trace continues here (headers, else the invocation's traceContext).
      const result = await withTraceContext(incomingTraceContext(msg.headers, called.traceContext), () =>
        this.#actors.execute(actorId, called.operation, called.msg, deadline),
      );
      reply = await invocationReply(invocation.id, result, chunks);
      succeeded = true;
    } catch (error) {
      const message = invocation ? replyError(error) : `deser error: ${errorMessage(error)}`;
      reply = invocationErrorReply(invocation?.id ?? '', message);
    } finally {
      this.#busy.leave();
    }
    // Not when the main thread has answered for this call already.
    if (msg.reply && this.#watch.calls.finish(tracked)) msg.respond(reply);
    // Earlier calls' events leave in the same socket write as this reply.
    this.invocationEvents.flush();
    if (invocation)
      this.invocationEvents.report({
        origin: invocation.origin,
        target: invocation.target,
        operation: invocation.operation,
        bytes: invocation.msg.length,
        succeeded,
      });
  }

  #check(actorId: string, invocation: Invocation): void {
    validateInvocation(invocation, { clusterIssuers: this.#issuers, replayWindow: this.#replayWindow });
    if (invocation.target.public_key !== actorId) {
      throw new HostError(
        'INVOCATION_WRONG_ACTOR',
        `invocation ${invocation.id} is for ${invocation.target.public_key}, not ${actorId}`,
      );
    }
    const caps = this.#actors.capsOf(actorId);
    if (caps === undefined)
      throw new HostError('ACTOR_NOT_RUNNING', `actor ${actorId} is not running on this host`);
    checkActorCapability(invocation, caps);
    // Last, so only invocations that would run are remembered.
    if (this.#replayGuard) checkNotReplayed(invocation, this.#replayGuard);
  }

  async close(): Promise<void> {
    const { nc } = await this.#connection;
    this.invocationEvents.flush();
    // Fails only when the connection is closed already: then nothing is left to drain.
    await nc.drain().catch(() => undefined);
  }
}
