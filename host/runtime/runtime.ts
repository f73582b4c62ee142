// The actor runtime: load signed actors (wasmbus modules and components) and invoke their
// operations with msgpack payloads. The lattice host feeds it invocations; it never touches
// NATS on the main thread: every call out goes through the `hostCall` function the host supplies.
// Given `rpc`, each worker holds its own NATS connection and serves its actors' RPC subjects.

import { availableParallelism } from 'node:os';
import { ReplayGuard, replayGuardCapacity, replayWindowFor } from '../../lattice/replay-guard.ts';
import { HostError } from '../errors.ts';
import type { InvocationMetricsSnapshot } from '../telemetry/invocation-metrics.ts';
import { forgetCompiledExcept, prepareActor } from './actor-loader.ts';
import type { BuiltinCapabilityLink } from './builtin-links.ts';
import { INVOCATION_ERROR_CODES, InvocationFailedError, payloadTooLargeError } from './errors.ts';
import type { ActorCallLoad } from './load-counters.ts';
import { WASM_PAGE_BYTES } from './memory-cap.ts';
import type { RouteChange } from './route-table.ts';
import type {
  ActorLogEntry,
  BuiltinHttpLink,
  LoadedActor,
  LoadOptions,
  RuntimeOptions,
  WorkerRpcSettings,
} from './types.ts';
import { WorkerPool } from './worker-pool.ts';

export const DEFAULT_INVOCATION_TIMEOUT_MS = 2_000;
export const DEFAULT_MAX_MEMORY_BYTES = 128 * 1024 * 1024;
export const DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_CONCURRENCY = 8;
/** Calls of one actor that may wait for an instance in each worker, unless told otherwise. */
export const DEFAULT_ACTOR_QUEUE_SIZE = 100;

/**
 * One replay guard table for all the workers (a copy of an invocation may reach any of them),
 * sized for their number; replacement workers get the same table.
 */
function withReplayGuard(rpc: WorkerRpcSettings, workers: number, timeoutMs: number): WorkerRpcSettings {
  const replayWindow = rpc.replayWindow ?? replayWindowFor(timeoutMs);
  const guard = ReplayGuard.create({
    window: replayWindow,
    capacity: replayGuardCapacity(workers, replayWindow),
  });
  return { ...rpc, replayWindow, replayGuard: guard.buffer };
}

function logToStderr(entry: ActorLogEntry): void {
  process.stderr.write(`[${entry.actorId}] ${entry.level}: ${entry.text}\n`);
}

export class ActorRuntime {
  readonly #pool: WorkerPool;
  readonly #timeoutMs: number;
  readonly #maxPages: number;
  readonly #maxPayloadBytes: number;
  readonly #actors = new Map<string, LoadedActor>();
  readonly #serves: boolean;
  readonly #yieldPoints: boolean;

  constructor(options: RuntimeOptions) {
    this.#timeoutMs = options.invocationTimeoutMs ?? DEFAULT_INVOCATION_TIMEOUT_MS;
    this.#maxPages = Math.floor((options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES) / WASM_PAGE_BYTES);
    this.#maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    const workers = options.workers ?? availableParallelism();
    this.#pool = new WorkerPool(workers, {
      hostCall: options.hostCall,
      log: options.log ?? logToStderr,
      rpc: options.rpc && withReplayGuard(options.rpc, workers, this.#timeoutMs),
      stuckAfterMs: this.#timeoutMs,
      maxPayloadBytes: this.#maxPayloadBytes,
      answerCall: options.answerCall,
      runaway: options.onRunaway,
      queueSize: options.actorQueueSize ?? DEFAULT_ACTOR_QUEUE_SIZE,
      wake: options.onWake,
      metrics: options.metrics,
    });
    this.#yieldPoints = options.yieldPoints ?? true;
    this.#serves = options.rpc !== undefined;
  }

  /** Verifies, compiles (once per module hash) and loads an actor into every worker. */
  async load(bytes: Uint8Array, options: LoadOptions = {}): Promise<LoadedActor> {
    if (options.serve && !this.#serves)
      throw new HostError('RUNTIME_NO_RPC', 'serving RPC needs the runtime to be given `rpc`');
    const { actor, definition } = await prepareActor(
      bytes,
      this.#maxPages,
      this.#yieldPoints,
      options.verified,
    );
    await this.#pool.load({
      type: 'load',
      actorId: actor.id,
      definition,
      caps: actor.claims.wascap.caps ?? [],
      maxConcurrency: options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY,
      serve: options.serve ?? false,
    });
    this.#actors.set(actor.id, actor);
    this.#forgetUnused();
    return actor;
  }

  /** Drops compiled modules no loaded actor runs (a live update's old version, a stopped actor). */
  #forgetUnused(): void {
    forgetCompiledExcept(new Set([...this.#actors.values()].map((actor) => actor.hash)));
  }

  /** How many workers run actors: each runs up to an actor's instance count of its calls at once. */
  get workerCount(): number {
    return this.#pool.size;
  }

  /** Calls served and made, with their timings, summed over the workers (invocation-metrics.ts). */
  invocationMetrics(): Promise<InvocationMetricsSnapshot> {
    return this.#pool.invocationMetrics();
  }

  /** Calls queued and in flight per actor, and how many it has taken (load-counters.ts). */
  callLoad(): Map<string, ActorCallLoad> {
    return this.#pool.callLoad();
  }

  /**
   * Lets more (or fewer, down to 0: dormant) calls of a loaded actor run at once, in place: nothing is
   * fetched or compiled again, and calls waiting in its queue stay there.
   */
  setConcurrency(actorId: string, maxConcurrency: number): void {
    this.#pool.resize(actorId, maxConcurrency);
  }

  unload(actorId: string): void {
    this.#actors.delete(actorId);
    this.#pool.unload(actorId);
    this.#forgetUnused();
  }

  get actors(): LoadedActor[] {
    return [...this.#actors.values()];
  }

  actor(actorId: string): LoadedActor | undefined {
    return this.#actors.get(actorId);
  }

  /** Runs `operation` on a loaded actor; rejects with an InvocationFailedError saying why. */
  invoke(actorId: string, operation: string, payload: Uint8Array): Promise<Uint8Array> {
    if (!this.#actors.has(actorId)) {
      return Promise.reject(
        new InvocationFailedError(INVOCATION_ERROR_CODES.notLoaded, `actor ${actorId} is not loaded`),
      );
    }
    if (payload.length > this.#maxPayloadBytes) {
      return Promise.reject(payloadTooLargeError(payload.length, this.#maxPayloadBytes));
    }
    return this.#pool.invoke(actorId, operation, payload, this.#timeoutMs);
  }

  /**
   * Mirrors changes of the host's links and call aliases into every worker (route-table.ts). From the
   * first call on, workers route their actors' calls out themselves (local-calls.ts) instead of asking
   * the `hostCall` given at construction.
   */
  updateRoutes(changes: RouteChange[]): void {
    this.#pool.updateRoutes(changes);
  }

  /** Opens a built-in httpserver link's listener in every worker (runtime/builtin-http.ts). */
  httpListen(link: BuiltinHttpLink): Promise<void> {
    return this.#pool.httpListen(link);
  }

  /** Closes it in every worker; resolves once the address is let go. */
  httpClose(listenerId: string): Promise<void> {
    return this.#pool.httpClose(listenerId);
  }

  /** Opens a built-in keyvalue/messaging link in every worker (runtime/builtin-links.ts). */
  capabilityLink(link: BuiltinCapabilityLink): Promise<void> {
    return this.#pool.capabilityLink(link);
  }

  capabilityUnlink(linkId: string): Promise<void> {
    return this.#pool.capabilityUnlink(linkId);
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}
