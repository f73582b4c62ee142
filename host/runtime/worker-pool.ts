// The main thread's side of the workers: spreads invocations over them, answers their host
// calls, enforces the invocation timeout, and replaces a worker that an actor has stuck
// (a worker that does not answer a ping after a timeout), replaying its actors. A NATS call
// still running past its deadline is answered from here (inflight-calls.ts), so its caller gets
// ACTOR_TIMEOUT at the timeout even when the worker cannot answer.

import { MessageChannel, Worker } from 'node:worker_threads';
import { errorCode, errorMessage } from '../../lattice/errors.ts';
import { HostError } from '../errors.ts';
import { leaveYoungGenerationToWorkers, WORKER_YOUNG_GENERATION_MB } from '../memory-settings.ts';
import {
  emptySnapshot,
  type InvocationMetricsSnapshot,
  mergeSnapshots,
} from '../telemetry/invocation-metrics.ts';
import type { BuiltinCapabilityLink } from './builtin-links.ts';
import { CallSlots, createSlotBuffer } from './call-slots.ts';
import { INVOCATION_ERROR_CODES, type InvocationErrorCode, InvocationFailedError } from './errors.ts';
import { createInFlightBuffer, InFlightCalls, type TrackedCall } from './inflight-calls.ts';
import { type ActorCallLoad, createLoadCountersBuffer, LoadCounters, sumLoads } from './load-counters.ts';
import { type RouteChange, RouteTable } from './route-table.ts';
import type {
  ActorLogEntry,
  BuiltinHttpLink,
  HostCallRequest,
  RunawayReport,
  UnansweredCall,
  WorkerRpcSettings,
} from './types.ts';
import { createUnseenCallsBuffer, UnseenCalls } from './unseen-calls.ts';
import { type FromWorker, ownBytes, type ToWorker } from './worker-protocol.ts';

// Compiled (host/build.ts), this code is in dist/ and the worker is dist/worker.js beside it.
const WORKER_ENTRY = new URL(
  import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js',
  import.meta.url,
);
/** While a worker has calls in flight it is pinged this often, to notice when it is stuck. */
const LIVENESS_INTERVAL_MS = 25;
/** A worker whose ping has gone unanswered this long gets no new calls. */
const SUSPECT_AFTER_MS = 50;
/** How long a worker has to answer a ping after one of its calls timed out, before it is replaced. */
const PING_GRACE_MS = 250;
/** How long past its deadline a NATS call may go unanswered by its worker before it is answered from here. */
const ANSWER_GRACE_MS = 30;
/** Calls answered from here that a worker is remembered for (to name the actors if it is replaced). */
const OVERDUE_KEPT = 16;

interface PendingCall {
  slot: number;
  actorId: string;
  operation: string;
  payload: Uint8Array;
  deadline: number;
  resolve: (payload: Uint8Array) => void;
  reject: (error: InvocationFailedError) => void;
  timer: NodeJS.Timeout;
}

export interface PoolHooks {
  hostCall: (request: HostCallRequest) => Promise<Uint8Array>;
  log: (entry: ActorLogEntry) => void;
  /** Given, every worker serves its actors' RPC subjects from NATS itself. */
  rpc?: WorkerRpcSettings | undefined;
  /** A busy worker that has not answered a ping for this long (plus a grace) is replaced. */
  stuckAfterMs: number;
  /** The largest payload a call run on this host may carry (workers check their actors' calls). */
  maxPayloadBytes?: number | undefined;
  /** Answers a NATS call whose worker did not (without it, such callers time out). */
  answerCall?: ((call: UnansweredCall) => void) | undefined;
  /** Told when a call is stopped at its timeout, or a worker is replaced for one. */
  runaway?: ((report: RunawayReport) => void) | undefined;
  /** Calls of one actor that may wait for an instance in each worker (actor-slot.ts). */
  queueSize: number;
  /** Workers count calls for the host's metrics (host/telemetry/invocation-metrics.ts). */
  metrics?: boolean | undefined;
  /** A call came for a dormant actor (0 instances): start one (each worker asks once per dormancy). */
  wake?: ((actorId: string) => void) | undefined;
}

/** How long a worker may take to close its NATS connection before it is terminated anyway. */
const CLOSE_GRACE_MS = 1_000;
/** How long workers may take to join an actor's RPC queue group. */
const SERVE_TIMEOUT_MS = 10_000;
/** How long workers may take to open or close a built-in httpserver listener. */
const LISTEN_TIMEOUT_MS = 10_000;
/** The request ID of listens replayed into a replacement worker: failures are only logged. */
const REPLAYED = -1;

/** A listen or close sent to every worker, waiting for each to answer. */
interface WorkerRound {
  waiting: Set<WorkerHandle>;
  answered: (handle: WorkerHandle, error?: { message: string; code: string | undefined }) => void;
}

class WorkerHandle {
  readonly worker: Worker;
  /** Names this worker to the others, over their direct channels (peer-workers.ts). */
  readonly peerId: number;
  readonly slots: CallSlots;
  readonly calls = new Map<number, PendingCall>();
  /** Calls the worker is serving from NATS, the built-in httpserver or a peer (it counts them; we only read). */
  readonly unseen: UnseenCalls;
  /** The liveness check's wait for this worker's next unseen call, while the check sleeps. */
  waking: Promise<void> | undefined;
  /** Those calls' reply subjects and deadlines. */
  readonly inflight: InFlightCalls;
  /** NATS calls answered from here because they ran past their deadline. */
  readonly overdue: TrackedCall[] = [];
  closed: (() => void) | undefined;
  /** The ping sent and not yet answered, if any. Messages are handled in order, so a call
   * posted after an unanswered ping has certainly not started. */
  ping: { id: number; sentAt: number } | undefined;
  constructor(
    worker: Worker,
    peerId: number,
    slots: CallSlots,
    unseen: UnseenCalls,
    inflight: InFlightCalls,
  ) {
    this.worker = worker;
    this.peerId = peerId;
    this.slots = slots;
    this.unseen = unseen;
    this.inflight = inflight;
  }
  get busy(): boolean {
    return this.calls.size > 0 || this.unseen.count > 0;
  }
  post(message: ToWorker): void {
    this.worker.postMessage(message);
  }
  get suspect(): boolean {
    return this.ping !== undefined && Date.now() - this.ping.sentAt > SUSPECT_AFTER_MS;
  }
  sendPing(id: number): void {
    this.ping = { id, sentAt: Date.now() };
    this.post({ type: 'ping', id });
  }
}

export class WorkerPool {
  readonly #hooks: PoolHooks;
  readonly #workers: WorkerHandle[] = [];
  /** Every load still in force, replayed into replacement workers. */
  readonly #loads = new Map<string, Extract<ToWorker, { type: 'load' }>>();
  #liveness: NodeJS.Timeout | undefined;
  /** No liveness check is due: no worker had a call; the next call posted or started wakes it. */
  #livenessAsleep = false;
  /** Loads waiting for workers to say they serve the actor, by actor. */
  readonly #serving = new Map<string, { waiting: Set<WorkerHandle>; settle: (error?: string) => void }>();
  /** The built-in httpserver's listeners in force, by listener ID, replayed into replacement workers. */
  readonly #httpLinks = new Map<string, BuiltinHttpLink>();
  /** The built-in keyvalue/messaging links in force, by link ID, replayed into replacement workers. */
  readonly #capabilityLinks = new Map<string, BuiltinCapabilityLink>();
  readonly #rounds = new Map<number, WorkerRound>();
  /** Each worker's call counters (load-counters.ts); a replaced worker's go with it. */
  readonly #loadCounters = new Map<WorkerHandle, LoadCounters>();
  /** Each worker's last call counts for the metrics, and the counts of workers since replaced. */
  readonly #workerMetrics = new Map<WorkerHandle, InvocationMetricsSnapshot>();
  #replacedWorkersMetrics: InvocationMetricsSnapshot = emptySnapshot();
  readonly #metricsRequests = new Map<number, (snapshot: InvocationMetricsSnapshot) => void>();
  /** The host's routes as the workers hold them, replayed into replacement workers; none until given. */
  #routes: RouteTable | undefined;
  #nextId = 0;
  #closed = false;

  constructor(size: number, hooks: PoolHooks) {
    this.#hooks = hooks;
    leaveYoungGenerationToWorkers();
    for (let i = 0; i < size; i++) {
      const handle = this.#spawn();
      this.#connectPeers(handle);
      this.#workers.push(handle);
    }
    this.#liveness = setTimeout(this.#checkLiveness, LIVENESS_INTERVAL_MS);
    this.#liveness.unref();
  }

  /**
   * Checks every LIVENESS_INTERVAL_MS while a worker has calls (or an unanswered ping), and not at
   * all otherwise: it sleeps until a call is posted (#dispatch) or a worker starts one it was not
   * posted (unseen-calls.ts), so an idle host's main thread does not wake for it (its idle CPU).
   */
  readonly #checkLiveness = (): void => {
    this.#liveness = undefined;
    if (this.#closed) return;
    for (const handle of [...this.#workers]) {
      if (handle.busy && !handle.ping) handle.sendPing(this.#nextId++);
      if (handle.suspect) this.#takeBackQueued(handle);
      if (handle.unseen.count === 0) continue;
      // Calls served from NATS have no timer here: their deadlines are in the in-flight table.
      // (Posted calls are covered by their own timers and #checkAlive.)
      const overdue = this.#answerOverdue(handle);
      const silentFor = handle.ping ? Date.now() - handle.ping.sentAt : 0;
      if (
        (overdue > 0 && silentFor > PING_GRACE_MS) ||
        silentFor > this.#hooks.stuckAfterMs + PING_GRACE_MS
      ) {
        this.#replace(handle, `it did not answer for ${silentFor} ms (an actor did not return)`);
      }
    }
    if (this.#workers.some((handle) => handle.busy || handle.ping !== undefined)) {
      this.#liveness = setTimeout(this.#checkLiveness, LIVENESS_INTERVAL_MS);
      this.#liveness.unref();
    } else this.#sleep();
  };

  /** No check until a worker starts a call the main thread did not post, or one is posted. */
  #sleep(): void {
    this.#livenessAsleep = true;
    for (const handle of this.#workers) {
      if (handle.waking) continue; // a wait from an earlier sleep still stands
      handle.waking = handle.unseen.started().then(() => {
        handle.waking = undefined;
        this.#watchClosely();
      });
    }
  }

  /** A call was posted to or started in a worker: back to checking every LIVENESS_INTERVAL_MS from now. */
  #watchClosely(): void {
    if (!this.#livenessAsleep || this.#closed) return;
    this.#livenessAsleep = false;
    this.#liveness = setTimeout(this.#checkLiveness, LIVENESS_INTERVAL_MS);
    this.#liveness.unref();
  }

  get size(): number {
    return this.#workers.length;
  }

  /** Gives a worker a direct channel to every other worker (an actor call one cannot run, another may). */
  #connectPeers(handle: WorkerHandle): void {
    for (const other of this.#workers) {
      if (other === handle) continue;
      const { port1, port2 } = new MessageChannel();
      handle.worker.postMessage({ type: 'peer', peerId: other.peerId, port: port1 } satisfies ToWorker, [
        port1,
      ]);
      other.worker.postMessage({ type: 'peer', peerId: handle.peerId, port: port2 } satisfies ToWorker, [
        port2,
      ]);
    }
  }

  /** Answers the worker's NATS calls that are past their deadline; how many there were. */
  #answerOverdue(handle: WorkerHandle): number {
    const overdue = handle.inflight.takeOverdue(Date.now() - ANSWER_GRACE_MS);
    for (const call of overdue) {
      this.#answer(
        call,
        INVOCATION_ERROR_CODES.timeout,
        `${call.operation} on ${call.actorId} did not finish within its ${this.#hooks.stuckAfterMs} ms timeout`,
      );
      handle.overdue.push(call);
    }
    handle.overdue.splice(0, Math.max(0, handle.overdue.length - OVERDUE_KEPT));
    return overdue.length;
  }

  #answer(call: TrackedCall, code: InvocationErrorCode, message: string): void {
    this.#hooks.answerCall?.({
      replySubject: call.replySubject,
      invocationId: call.invocationId,
      actorId: call.actorId,
      operation: call.operation,
      error: `${code}: ${message}`,
    });
  }

  #spawn(): WorkerHandle {
    const buffer = createSlotBuffer();
    const busy = createUnseenCallsBuffer();
    const inflight = createInFlightBuffer();
    const loadCounters = createLoadCountersBuffer();
    const workerData = {
      loadCounters,
      slots: buffer,
      busy,
      inflight,
      timeoutMs: this.#hooks.stuckAfterMs,
      queueSize: this.#hooks.queueSize,
      maxPayloadBytes: this.#hooks.maxPayloadBytes,
      rpc: this.#hooks.rpc,
      metrics: this.#hooks.metrics,
    };
    const handle = new WorkerHandle(
      new Worker(WORKER_ENTRY, {
        workerData,
        // Small: an idle worker keeps what it has grown (memory-settings.ts).
        resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      }),
      this.#nextId++,
      new CallSlots(buffer),
      new UnseenCalls(busy),
      new InFlightCalls(inflight),
    );
    this.#loadCounters.set(handle, new LoadCounters(loadCounters));
    handle.worker.on('message', (message: FromWorker) => this.#onMessage(handle, message));
    handle.worker.on('error', (error) => this.#replace(handle, `its worker failed: ${error.message}`));
    handle.worker.on('exit', () => {
      if (!this.#closed && this.#workers.includes(handle)) this.#replace(handle, 'its worker exited');
    });
    if (this.#routes) handle.post({ type: 'routes', changes: this.#routes.snapshot() });
    for (const load of this.#loads.values()) handle.post(load);
    for (const link of this.#httpLinks.values())
      handle.post({ type: 'http-listen', requestId: REPLAYED, link });
    for (const link of this.#capabilityLinks.values())
      handle.post({ type: 'builtin-link', requestId: REPLAYED, link });
    return handle;
  }

  #onMessage(handle: WorkerHandle, message: FromWorker): void {
    switch (message.type) {
      case 'result': {
        const call = handle.calls.get(message.id);
        if (!call) return; // it timed out already
        handle.calls.delete(message.id);
        clearTimeout(call.timer);
        if (message.ok) call.resolve(message.payload);
        else
          call.reject(
            new InvocationFailedError(message.code, `${call.operation} on ${call.actorId}: ${message.error}`),
          );
        return;
      }
      case 'host-call':
        this.#hooks.hostCall(message.request).then(
          (payload) =>
            handle.post({ type: 'host-reply', callId: message.callId, ok: true, payload: ownBytes(payload) }),
          (error: unknown) =>
            handle.post({
              type: 'host-reply',
              callId: message.callId,
              ok: false,
              error: errorMessage(error),
              code: errorCode(error),
            }),
        );
        return;
      case 'log':
        this.#hooks.log(message.entry);
        return;
      case 'pong':
        if (handle.ping?.id === message.id) handle.ping = undefined;
        return;
      case 'metrics':
        this.#workerMetrics.set(handle, message.snapshot);
        this.#metricsRequests.get(message.id)?.(message.snapshot);
        return;
      case 'wake':
        this.#hooks.wake?.(message.actorId);
        return;
      case 'closed':
        handle.closed?.();
        return;
      case 'http-listening': {
        const error =
          message.error === undefined ? undefined : { message: message.error, code: message.code };
        if (message.requestId === REPLAYED) {
          const link = this.#httpLinks.get(message.listenerId);
          if (error !== undefined && link !== undefined)
            this.#hooks.log({
              actorId: link.actorId,
              level: 'error',
              text: `a replacement worker could not reopen the built-in httpserver listener of actor ${link.actorId}: ${error.message}`,
            });
          return;
        }
        this.#rounds.get(message.requestId)?.answered(handle, error);
        return;
      }
      case 'http-closed':
      case 'builtin-unlinked':
        this.#rounds.get(message.requestId)?.answered(handle);
        return;
      case 'builtin-linked': {
        const error =
          message.error === undefined ? undefined : { message: message.error, code: message.code };
        const link = this.#capabilityLinks.get(message.linkId);
        if (message.requestId === REPLAYED && error !== undefined && link !== undefined)
          this.#hooks.log({
            actorId: link.actorId,
            level: 'error',
            text: `a replacement worker could not reopen the built-in ${link.contractId} link of actor ${link.actorId}: ${error.message}`,
          });
        else this.#rounds.get(message.requestId)?.answered(handle, error);
        return;
      }
      case 'interrupted':
        this.#hooks.runaway?.({
          actorId: message.actorId,
          operation: message.operation,
          timeoutMs: message.timeoutMs,
          action: 'interrupted',
        });
        return;
      case 'serving': {
        const pending = this.#serving.get(message.actorId);
        if (!pending) return;
        if (message.error !== undefined) pending.settle(message.error);
        else {
          pending.waiting.delete(handle);
          if (pending.waiting.size === 0) pending.settle();
        }
        return;
      }
    }
  }

  /** Moves the calls a stuck worker has not started to other workers. */
  #takeBackQueued(handle: WorkerHandle): void {
    if (this.#workers.every((other) => other === handle || other.suspect)) return; // nowhere better to go
    // A copy: a call dispatched back into this very map would be visited again, and again (once
    // every worker is suspect, the one being emptied has the fewest calls and is picked).
    for (const [id, call] of [...handle.calls]) {
      if (!handle.slots.takeBack(call.slot, id)) continue;
      handle.calls.delete(id);
      clearTimeout(call.timer);
      this.#dispatch(call, handle);
    }
  }

  /**
   * Terminates a worker and puts a fresh one in its place. Calls it had not started go to
   * another worker; the others fail, as they may have run in part. `stuck` names the actor
   * whose posted call stuck it, if known; NATS calls answered for it from here name theirs.
   */
  #replace(handle: WorkerHandle, reason: string, stuck?: { actorId: string; operation: string }): void {
    const index = this.#workers.indexOf(handle);
    if (index < 0 || this.#closed) return;
    this.#reportReplaced(handle, stuck);
    this.#loadCounters.delete(handle);
    // Its counts so far stay in the totals (counters must not go down when a worker goes).
    const lastCounts = this.#workerMetrics.get(handle);
    this.#workerMetrics.delete(handle);
    if (lastCounts) this.#replacedWorkersMetrics = mergeSnapshots([this.#replacedWorkersMetrics, lastCounts]);
    // Its other NATS calls cannot be answered by it any more: tell their callers now.
    for (const call of handle.inflight.takeOverdue(Number.POSITIVE_INFINITY)) {
      this.#answer(
        call,
        INVOCATION_ERROR_CODES.workerRestarted,
        `${call.operation} on ${call.actorId}: the worker running it was replaced (${reason}); the call may be retried`,
      );
    }
    const replacement = this.#spawn();
    this.#workers[index] = replacement;
    for (const other of this.#workers)
      if (other !== replacement) other.post({ type: 'peer-gone', peerId: handle.peerId });
    this.#connectPeers(replacement);
    // The replacement reopens the listeners itself (#spawn); a round waits no longer for the old one.
    for (const round of this.#rounds.values()) if (round.waiting.has(handle)) round.answered(handle);
    // A load waiting on the old worker now waits on the new one, which replays it.
    for (const pending of this.#serving.values()) {
      if (pending.waiting.delete(handle)) pending.waiting.add(replacement);
    }
    void handle.worker.terminate();
    // Its count will not change again; the replacement is waited on from the next check.
    handle.unseen.stopWaiting();
    this.#watchClosely();
    for (const [id, call] of handle.calls) {
      clearTimeout(call.timer);
      if (handle.slots.takeBack(call.slot, id) && call.deadline > Date.now()) {
        this.#dispatch(call);
        continue;
      }
      call.reject(
        new InvocationFailedError(
          INVOCATION_ERROR_CODES.workerRestarted,
          `${call.operation} on ${call.actorId}: the worker running it was replaced (${reason}); the call may be retried`,
        ),
      );
    }
    handle.calls.clear();
  }

  /** Reports each actor that stuck a worker about to be replaced (once per actor). */
  #reportReplaced(handle: WorkerHandle, stuck: { actorId: string; operation: string } | undefined): void {
    const seen = new Set<string>();
    for (const call of stuck ? [stuck, ...handle.overdue] : handle.overdue) {
      if (seen.has(call.actorId)) continue;
      seen.add(call.actorId);
      this.#hooks.runaway?.({
        actorId: call.actorId,
        operation: call.operation,
        timeoutMs: this.#hooks.stuckAfterMs,
        action: 'worker_replaced',
      });
    }
  }

  /** After a timeout: a worker that cannot answer a ping is stuck in wasm and is replaced. */
  #checkAlive(handle: WorkerHandle, actorId: string, operation: string): void {
    if (!handle.ping) handle.sendPing(this.#nextId++);
    const ping = handle.ping;
    setTimeout(() => {
      if (handle.ping === ping)
        this.#replace(handle, `actor ${actorId} did not return`, { actorId, operation });
    }, PING_GRACE_MS).unref();
  }

  /** The least busy worker not suspected of being stuck (any worker if all are). */
  /** The worker for a call: not suspect if one is, then the fewest calls; `avoid` only if alone. */
  #pick(avoid?: WorkerHandle): WorkerHandle {
    const candidates = this.#workers.filter((candidate) => candidate !== avoid);
    if (candidates.length === 0) return this.#workers[0]!;
    let best = candidates[0]!;
    for (const candidate of candidates) {
      const better =
        best.suspect !== candidate.suspect ? !candidate.suspect : candidate.calls.size < best.calls.size;
      if (better) best = candidate;
    }
    return best;
  }

  #dispatch(call: Omit<PendingCall, 'timer' | 'slot'>, avoid?: WorkerHandle): void {
    const handle = this.#pick(avoid);
    const id = this.#nextId++;
    const slot = handle.slots.reserve(id);
    const timer = setTimeout(
      () => {
        handle.calls.delete(id);
        handle.slots.takeBack(slot, id); // if it never started, it never will
        call.reject(
          new InvocationFailedError(
            INVOCATION_ERROR_CODES.timeout,
            `${call.operation} on ${call.actorId} timed out`,
          ),
        );
        this.#checkAlive(handle, call.actorId, call.operation);
      },
      Math.max(1, call.deadline - Date.now()),
    );
    handle.calls.set(id, { ...call, slot, timer });
    this.#watchClosely();
    handle.post({
      type: 'invoke',
      id,
      slot,
      actorId: call.actorId,
      operation: call.operation,
      payload: call.payload,
      deadline: call.deadline,
    });
  }

  /**
   * Loads an actor into every worker. With `serve`, resolves once every worker has joined the
   * actor's RPC queue group, so whoever hears the actor has started can call it at once.
   */
  load(message: Extract<ToWorker, { type: 'load' }>): Promise<void> {
    this.#loads.set(message.actorId, message);
    const served = message.serve ? this.#awaitServing(message.actorId) : Promise.resolve();
    for (const handle of this.#workers) handle.post(message);
    return served;
  }

  #awaitServing(actorId: string): Promise<void> {
    this.#serving.get(actorId)?.settle('superseded by a newer load');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => settle(`the workers did not join its RPC queue group within ${SERVE_TIMEOUT_MS} ms`),
        SERVE_TIMEOUT_MS,
      );
      const settle = (error?: string) => {
        clearTimeout(timer);
        if (this.#serving.get(actorId)?.settle === settle) this.#serving.delete(actorId);
        if (error === undefined) resolve();
        else reject(new HostError('ACTOR_SERVE_FAILED', `cannot serve actor ${actorId}: ${error}`));
      };
      this.#serving.set(actorId, { waiting: new Set(this.#workers), settle });
    });
  }

  /**
   * Opens a built-in httpserver link's listener in every worker (each binds the address with
   * SO_REUSEPORT). Rejects with the first worker's reason when any fails; the others then close it.
   */
  async httpListen(link: BuiltinHttpLink): Promise<void> {
    this.#httpLinks.set(link.listenerId, link);
    const failure = await this.#round((requestId) => ({ type: 'http-listen', requestId, link }));
    if (failure === undefined) return;
    this.#httpLinks.delete(link.listenerId);
    await this.#round((requestId) => ({ type: 'http-close', requestId, listenerId: link.listenerId }));
    throw new HostError(
      failure.code === 'HTTPSERVER_ADDRESS_IN_USE' ? 'BUILTIN_LISTEN_REFUSED' : 'BUILTIN_LINK_REFUSED',
      failure.message,
    );
  }

  /** Closes a listener in every worker; resolves once each has let the address go. */
  async httpClose(listenerId: string): Promise<void> {
    this.#httpLinks.delete(listenerId);
    await this.#round((requestId) => ({ type: 'http-close', requestId, listenerId }));
  }

  /**
   * Opens a built-in keyvalue/messaging link in every worker (builtin-links.ts). Rejects with the
   * first worker's reason when any fails; the others then close it.
   */
  async capabilityLink(link: BuiltinCapabilityLink): Promise<void> {
    this.#capabilityLinks.set(link.linkId, link);
    const failure = await this.#round((requestId) => ({ type: 'builtin-link', requestId, link }));
    if (failure === undefined) return;
    await this.capabilityUnlink(link.linkId);
    throw new HostError('BUILTIN_CAPABILITY_LINK_REFUSED', failure.message);
  }

  /** Closes a built-in keyvalue/messaging link in every worker. */
  async capabilityUnlink(linkId: string): Promise<void> {
    this.#capabilityLinks.delete(linkId);
    await this.#round((requestId) => ({ type: 'builtin-unlink', requestId, linkId }));
  }

  /** Sends one message to every worker and waits for each to answer; the first failure, if any. */
  #round(
    message: (requestId: number) => ToWorker,
  ): Promise<{ message: string; code: string | undefined } | undefined> {
    const requestId = this.#nextId++;
    const waiting = new Set(this.#workers);
    return new Promise((resolve) => {
      let failure: { message: string; code: string | undefined } | undefined;
      const finish = () => {
        clearTimeout(timer);
        this.#rounds.delete(requestId);
        resolve(failure);
      };
      const timer = setTimeout(() => {
        failure ??= { message: `the workers did not answer within ${LISTEN_TIMEOUT_MS} ms`, code: undefined };
        finish();
      }, LISTEN_TIMEOUT_MS);
      this.#rounds.set(requestId, {
        waiting,
        answered: (handle, error) => {
          if (!waiting.delete(handle)) return;
          failure ??= error;
          if (waiting.size === 0) finish();
        },
      });
      const posted = message(requestId);
      for (const handle of waiting) handle.post(posted);
    });
  }

  /** Changes every worker's routes (the first call gives the workers routes: they route calls themselves). */
  updateRoutes(changes: RouteChange[]): void {
    this.#routes ??= new RouteTable();
    for (const change of changes) this.#routes.apply(change);
    for (const handle of this.#workers) handle.post({ type: 'routes', changes });
  }

  /**
   * Gives a loaded actor another concurrency in every worker, in place: its instances and waiting
   * calls are kept (a replacement worker loads it with the new one).
   */
  resize(actorId: string, maxConcurrency: number): void {
    const current = this.#loads.get(actorId);
    if (!current) throw new InvocationFailedError('ACTOR_NOT_LOADED', `actor ${actorId} is not loaded`);
    this.#loads.set(actorId, { ...current, maxConcurrency });
    for (const handle of this.#workers) handle.post({ type: 'resize', actorId, maxConcurrency });
  }

  /**
   * The call counts of every worker, summed, with those of workers since replaced. A worker that
   * does not answer within `timeoutMs` (busy in a long call) counts with what it said last time.
   */
  async invocationMetrics(timeoutMs = 1_000): Promise<InvocationMetricsSnapshot> {
    await Promise.all(
      this.#workers.map((handle) => {
        const id = this.#nextId++;
        return new Promise<void>((resolve) => {
          const timer = setTimeout(done, timeoutMs);
          const metricsRequests = this.#metricsRequests;
          function done(): void {
            clearTimeout(timer);
            metricsRequests.delete(id);
            resolve();
          }
          this.#metricsRequests.set(id, done);
          handle.post({ type: 'metrics', id });
        });
      }),
    );
    return mergeSnapshots([this.#replacedWorkersMetrics, ...this.#workerMetrics.values()]);
  }

  /** Calls queued and in flight per actor, summed over the workers (nothing is asked of them). */
  callLoad(): Map<string, ActorCallLoad> {
    return sumLoads(this.#workers.map((handle) => this.#loadCounters.get(handle)?.read() ?? []));
  }

  unload(actorId: string): void {
    this.#loads.delete(actorId);
    for (const handle of this.#workers) handle.post({ type: 'unload', actorId });
  }

  invoke(actorId: string, operation: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.#closed) {
      return Promise.reject(
        new InvocationFailedError(INVOCATION_ERROR_CODES.closed, 'the actor runtime is closed'),
      );
    }
    return new Promise((resolve, reject) => {
      const timedOut = (error: InvocationFailedError) =>
        error.code === INVOCATION_ERROR_CODES.timeout
          ? new InvocationFailedError(
              error.code,
              `${operation} on ${actorId} timed out after ${timeoutMs} ms`,
            )
          : error;
      this.#dispatch({
        actorId,
        operation,
        payload,
        deadline: Date.now() + timeoutMs,
        resolve,
        reject: (e) => reject(timedOut(e)),
      });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#liveness);
    for (const handle of this.#workers) {
      handle.unseen.stopWaiting();
      for (const call of handle.calls.values()) {
        clearTimeout(call.timer);
        call.reject(new InvocationFailedError(INVOCATION_ERROR_CODES.closed, 'the actor runtime is closed'));
      }
      handle.calls.clear();
    }
    await Promise.all(
      this.#workers.map(async (handle) => {
        if (this.#hooks.rpc) {
          // Let the worker answer what NATS already delivered to it, within a grace period.
          await new Promise<void>((resolve) => {
            handle.closed = resolve;
            setTimeout(resolve, CLOSE_GRACE_MS).unref();
            handle.post({ type: 'close' });
          });
        }
        await handle.worker.terminate();
      }),
    );
  }
}
