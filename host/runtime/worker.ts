// The worker thread: holds the actors the runtime loaded, a pool of instances per actor, and
// runs invocations — posted by the main thread, or, with RPC settings, taken straight from NATS
// (worker-rpc.ts). Actors never run on the host's main thread: a stuck actor can only stall its
// worker, which the runtime then replaces. An actor's calls out are routed here with the routes the
// host mirrors into every worker (local-calls.ts): another actor of the host runs in this thread or in
// a peer worker (peer-workers.ts), anything else is a signed invocation on this worker's NATS
// connection; without mirrored routes they go to the main thread and back. Every call has a
// deadline: a wasmbus module with yield points is stopped there (ACTOR_TIMEOUT) and reported to the
// main thread as interrupted.

import { parentPort, threadId, workerData } from 'node:worker_threads';
import { DecodeError, errorCode, errorMessage } from '../../lattice/errors.ts';
import { InvocationSigner } from '../../lattice/invocation-signer.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { currentTraceIds } from '../../lattice/telemetry/trace-context.ts';
import { HostError, isHostErrorCode } from '../errors.ts';
import { emptySnapshot, InvocationMetrics } from '../telemetry/invocation-metrics.ts';
import { type ActorContext, CallRefusedError } from './actor-context.ts';
import { ActorSlot } from './actor-slot.ts';
import type { LatticeRoute, WorkerHttpListeners } from './builtin-http.ts';
import type { WorkerBuiltinLinks } from './builtin-links.ts';
import { CallSlots } from './call-slots.ts';
import { ComponentActor, type ComponentInstance, UnknownOperationError } from './component-instance.ts';
import { PayloadShapeError } from './contracts.ts';
import { INVOCATION_ERROR_CODES, type InvocationErrorCode, InvocationFailedError } from './errors.ts';
import { InFlightCalls } from './inflight-calls.ts';
import { ActorTimeoutError } from './interrupt.ts';
import { type CountedCall, LoadCounters } from './load-counters.ts';
import { LocalCallRouter } from './local-calls.ts';
import { PeerWorkers } from './peer-workers.ts';
import { RouteTable } from './route-table.ts';
import type { ActorLogLevel, HostCallRequest, WorkerRpcSettings } from './types.ts';
import { UnseenCalls } from './unseen-calls.ts';
import { GuestError, WasmbusInstance } from './wasmbus-instance.ts';
import { type ActorDefinition, type FromWorker, ownBytes, type ToWorker } from './worker-protocol.ts';
import { inInvocationSpan, startWorkerTracing } from './worker-tracing.ts';

if (!parentPort) throw new HostError('WORKER_NOT_A_THREAD', 'host/runtime/worker.ts runs as a worker thread');
const port = parentPort;
const data = workerData as {
  slots: SharedArrayBuffer;
  /** The calls this worker runs that the main thread did not post (unseen-calls.ts). */
  busy: SharedArrayBuffer;
  /** The NATS calls in flight (inflight-calls.ts), read by the main thread when this worker is stuck. */
  inflight: SharedArrayBuffer;
  /** Per-actor call counts (load-counters.ts), read by the main thread for `get.{host}.load`. */
  loadCounters: SharedArrayBuffer;
  /** The invocation timeout: a NATS call's deadline is this long after it arrives. */
  timeoutMs: number;
  /** Calls of one actor that may wait for an instance in this worker (actor-slot.ts). */
  queueSize: number;
  /** The largest payload an actor's call to another actor of this host may carry. */
  maxPayloadBytes?: number | undefined;
  rpc?: WorkerRpcSettings;
  /** Count calls for the host's metrics (WASMCLOUD_METRICS_ENABLED). */
  metrics?: boolean | undefined;
};
const slots = new CallSlots(data.slots);
/** Calls this worker runs that the main thread cannot see (from NATS, the built-in httpserver, peers). */
const unseenCalls = new UnseenCalls(data.busy);
// Before any call runs: every call is traced (or its incoming trace context carried) from the first.
await startWorkerTracing(data.rpc?.tracing, threadId);
const loadCounters = new LoadCounters(data.loadCounters);
/** Calls counted for the host's metrics (invocation-metrics.ts); none when metrics are off. */
const invocationMetrics = data.metrics ? new InvocationMetrics() : undefined;

function send(message: FromWorker): void {
  port.postMessage(message);
}

// ---- host calls: a promise per call, settled by the main thread's reply ----

let nextCallId = 0;
const pendingHostCalls = new Map<
  number,
  { resolve: (payload: Uint8Array) => void; reject: (error: Error) => void }
>();

function mainThreadCall(request: HostCallRequest): Promise<Uint8Array> {
  const callId = nextCallId++;
  return new Promise((resolve, reject) => {
    pendingHostCalls.set(callId, { resolve, reject });
    send({ type: 'host-call', callId, request: { ...request, payload: ownBytes(request.payload) } });
  });
}

/** A call to a provider, timed and counted per provider and link (the dashboard's provider rates). */
async function countedProviderCall(
  request: HostCallRequest,
  calling: () => Promise<Uint8Array>,
): Promise<Uint8Array> {
  const startedAt = performance.now();
  let ok = false;
  try {
    const reply = await calling();
    ok = true;
    return reply;
  } finally {
    const link = routes?.linkFor(request.actorId, request.namespace, request.linkName);
    invocationMetrics?.calledProvider(
      request.actorId,
      {
        providerId: link?.providerId ?? '',
        contractId: request.namespace,
        linkName: request.linkName,
      },
      (performance.now() - startedAt) * 1e6,
      ok,
    );
  }
}

/** An actor's call out, once its claims allowed it: routed in this worker (local-calls.ts). */
function hostCall(request: HostCallRequest): Promise<Uint8Array> {
  return router.route(request);
}

// ---- actors and their instance pools ----

type Instance = WasmbusInstance | ComponentInstance;

const actors = new Map<string, ActorSlot<Instance>>();
const actorCaps = new Map<string, string[]>();

function contextFor(actorId: string, caps: string[]): ActorContext {
  return {
    actorId,
    caps: new Set(caps),
    // A call on a built-in keyvalue/messaging link is answered in this worker (builtin-links.ts).
    hostCall: (request) => {
      const calling = () => capabilityLinks?.call(request) ?? hostCall(request);
      return request.target === 'provider' && invocationMetrics
        ? countedProviderCall(request, calling)
        : calling();
    },
    log: (level: ActorLogLevel, text: string) =>
      send({ type: 'log', entry: { actorId, level, text, ...currentTraceIds() } }),
  };
}

function load(actorId: string, definition: ActorDefinition, caps: string[], maxConcurrency: number): void {
  const context = contextFor(actorId, caps);
  actorCaps.set(actorId, caps);
  let create: (deadline: number) => Promise<Instance>;
  if (definition.kind === 'module') {
    create = (deadline) => WasmbusInstance.create(definition.module, context, deadline);
  } else {
    const component = new ComponentActor(definition, context);
    create = () => component.instantiate();
  }
  const slot = new ActorSlot<Instance>({
    actorId,
    create,
    maxConcurrency,
    queueSize: data.queueSize,
    wake: () => send({ type: 'wake', actorId }),
  });
  const previous = actors.get(actorId);
  actors.set(actorId, slot);
  if (previous !== undefined) slot.takeWaitingFrom(previous);
}

// ---- invocations ----

function classify(error: unknown): { code: InvocationErrorCode; message: string } {
  if (error instanceof GuestError) return { code: INVOCATION_ERROR_CODES.actorError, message: error.message };
  if (error instanceof UnknownOperationError)
    return { code: INVOCATION_ERROR_CODES.unknownOperation, message: error.message };
  if (error instanceof PayloadShapeError || error instanceof DecodeError) {
    return { code: INVOCATION_ERROR_CODES.badPayload, message: error.message };
  }
  if (error instanceof CallRefusedError) return { code: INVOCATION_ERROR_CODES.trap, message: error.message };
  const message =
    error instanceof Error
      ? `${error.name === 'RuntimeError' ? 'wasm trap' : error.name}: ${error.message}`
      : String(error);
  return { code: INVOCATION_ERROR_CODES.trap, message };
}

async function invoke(
  id: number,
  slot: number,
  actorId: string,
  operation: string,
  payload: Uint8Array,
  deadline: number,
): Promise<void> {
  try {
    await run(id, actorId, operation, payload, deadline);
  } finally {
    slots.release(slot, id);
  }
}

/**
 * Runs one call on an instance of the actor, to end by `deadline` (ms since the epoch); rejects
 * with an ExecutionError, or an InvocationFailedError (ACTOR_TIMEOUT) for a call stopped at its
 * deadline, which is also reported to the main thread as interrupted. Every call of an actor in
 * this worker passes here, so here it is counted (queued, then in flight) for the host's load.
 */
async function execute(
  actorId: string,
  operation: string,
  payload: Uint8Array,
  deadline: number,
): Promise<Uint8Array> {
  const counted = loadCounters.enter(actorId);
  const startedAt = performance.now();
  let ok = false;
  try {
    const reply = await executeCounted(actorId, operation, payload, deadline, counted);
    ok = true;
    return reply;
  } finally {
    loadCounters.leave(counted);
    invocationMetrics?.served(actorId, operation, (performance.now() - startedAt) * 1e6, ok);
  }
}

async function executeCounted(
  actorId: string,
  operation: string,
  payload: Uint8Array,
  deadline: number,
  counted: CountedCall,
): Promise<Uint8Array> {
  const slot = actors.get(actorId);
  if (!slot)
    throw new InvocationFailedError(INVOCATION_ERROR_CODES.notLoaded, `actor ${actorId} is not loaded`);
  let instance: Instance | undefined;
  try {
    instance = await slot.acquire(deadline);
    loadCounters.started(counted);
    const running = instance;
    const reply = await inInvocationSpan(actorId, operation, () =>
      running.invoke(operation, payload, deadline),
    );
    slot.release(instance);
    return reply;
  } catch (error) {
    // Refused before it got an instance (ACTOR_QUEUE_FULL): the code stays the caller's to see.
    if (instance === undefined && error instanceof InvocationFailedError) throw error;
    if (error instanceof ActorTimeoutError) {
      send({ type: 'interrupted', actorId, operation, timeoutMs: data.timeoutMs });
      if (instance) slot.discard();
      // An InvocationFailedError, so the RPC server names the code in the caller's error text.
      throw new InvocationFailedError(
        INVOCATION_ERROR_CODES.timeout,
        `${operation} on ${actorId} was still running at its ${data.timeoutMs} ms timeout and was stopped`,
      );
    }
    const { code, message } = classify(error);
    // Answered errors leave the instance sound; anything else (a trap) may not have.
    if (
      instance &&
      (code === INVOCATION_ERROR_CODES.actorError ||
        code === INVOCATION_ERROR_CODES.unknownOperation ||
        code === INVOCATION_ERROR_CODES.badPayload)
    ) {
      slot.release(instance);
    } else if (instance) {
      slot.discard();
    }
    throw new InvocationFailedError(code, message, { cause: error });
  }
}

async function run(
  id: number,
  actorId: string,
  operation: string,
  payload: Uint8Array,
  deadline: number,
): Promise<void> {
  try {
    const reply = await execute(actorId, operation, payload, deadline);
    send({ type: 'result', id, ok: true, payload: ownBytes(reply) });
  } catch (error) {
    // execute() rejects with an InvocationFailedError; its code and message cross to the main
    // thread (an Error's class does not), which makes an InvocationFailedError of them again.
    const failure =
      error instanceof InvocationFailedError
        ? error
        : new InvocationFailedError(INVOCATION_ERROR_CODES.trap, errorMessage(error), { cause: error });
    send({ type: 'result', id, ok: false, code: failure.code, error: failure.message });
  }
}

// ---- RPC straight from NATS ----

// Loaded only when asked for: the NATS client and its friends would slow every worker's start.
const rpc = data.rpc
  ? new (await import('./worker-rpc.ts')).WorkerRpcServer(
      data.rpc,
      {
        capsOf: (actorId) => actorCaps.get(actorId),
        execute,
        onServed:
          invocationMetrics &&
          ((call) => invocationMetrics.calledBy(call.target.public_key, call.operation, call.origin)),
      },
      unseenCalls,
      { calls: new InFlightCalls(data.inflight), timeoutMs: data.timeoutMs },
    )
  : undefined;

// ---- calls out: the routes the host mirrors here, and the lattice as this worker reaches it ----

/** This worker's NATS connection and the cluster key's signer: calls leave this host from here. */
const latticeRoute: LatticeRoute | undefined =
  rpc && data.rpc?.invocationSeed !== undefined
    ? {
        connection: () => rpc.connection(),
        signer: new InvocationSigner(KeyPair.fromSeed(data.rpc.invocationSeed, 'cluster'), data.rpc.hostId),
        subjects: latticeSubjects(data.rpc.latticePrefix),
      }
    : undefined;

/** The host's links and call aliases (route-table.ts); undefined until the host sends them. */
let routes: RouteTable | undefined;

/** A call of an actor in this thread, unless it has no instance here or none is free now. */
function runHereIfFree(
  actorId: string,
  operation: string,
  payload: Uint8Array,
  deadline: number,
): Promise<Uint8Array> | undefined {
  return actors.get(actorId)?.hasRoom ? execute(actorId, operation, payload, deadline) : undefined;
}

/** The other workers of this host, over direct channels the pool sets up (peer-workers.ts). */
const peerWorkers = new PeerWorkers((originActorId, actorId, operation, payload, deadline) => {
  const running = router.runHere(originActorId, actorId, operation, payload, deadline);
  if (running === undefined) return undefined;
  // Counted, as calls from NATS are: while it runs the main thread checks this worker is alive.
  unseenCalls.enter();
  return running.finally(() => unseenCalls.leave());
});

const router = new LocalCallRouter({
  routes: () => routes,
  runHere: runHereIfFree,
  runsHere: (actorId) => actors.has(actorId),
  peers: (originActorId, actorId, operation, payload, deadline) =>
    peerWorkers.call(originActorId, actorId, operation, payload, deadline),
  lattice: latticeRoute,
  events: rpc?.invocationEvents,
  mainThread: mainThreadCall,
  timeoutMs: data.timeoutMs,
  maxPayloadBytes: data.maxPayloadBytes ?? Number.POSITIVE_INFINITY,
});

// ---- the built-in httpserver's listeners (builtin-http.ts) ----

// Loaded on the first listen: fastify would slow the start of every worker of every host.
let httpListeners: Promise<WorkerHttpListeners> | undefined;

function builtinHttp(): Promise<WorkerHttpListeners> {
  httpListeners ??= import('./builtin-http.ts').then(({ WorkerHttpListeners }) => {
    return new WorkerHttpListeners(
      {
        capsOf: (actorId) => actorCaps.get(actorId),
        execute,
        busy: unseenCalls,
        events: rpc?.invocationEvents,
      },
      latticeRoute,
      data.timeoutMs,
      (actorId, level, text) => send({ type: 'log', entry: { actorId, level, text, ...currentTraceIds() } }),
    );
  });
  return httpListeners;
}

// ---- the built-in keyvalue and messaging links (builtin-links.ts) ----

// Set by the first link; loaded only then, as the httpserver's listeners are.
let capabilityLinks: WorkerBuiltinLinks | undefined;
let capabilityLinksLoading: Promise<WorkerBuiltinLinks> | undefined;

function builtinLinks(): Promise<WorkerBuiltinLinks> {
  capabilityLinksLoading ??= import('./builtin-links.ts').then(({ WorkerBuiltinLinks }) => {
    capabilityLinks = new WorkerBuiltinLinks(rpc && (() => rpc.connection()), data.timeoutMs);
    return capabilityLinks;
  });
  return capabilityLinksLoading;
}

function serve(actorId: string): void {
  if (!rpc) {
    send({ type: 'serving', actorId, error: 'this worker was started without RPC settings' });
    return;
  }
  rpc.serve(actorId).then(
    () => send({ type: 'serving', actorId }),
    (error: unknown) => send({ type: 'serving', actorId, error: errorMessage(error) }),
  );
}

/** Stops serving first, so calls already delivered to this worker still find the actor. */
function unload(actorId: string): void {
  const slot = actors.get(actorId);
  const forget = () => {
    if (actors.get(actorId) !== slot) return; // loaded again meanwhile
    actors.delete(actorId);
    actorCaps.delete(actorId);
    // A dormant actor's waiting calls would never get an instance: they fail now (a running
    // actor's are still served by its instances as they finish).
    if (slot?.maxConcurrency === 0)
      slot.close(new InvocationFailedError(INVOCATION_ERROR_CODES.notLoaded, `actor ${actorId} was stopped`));
  };
  if (rpc) void rpc.stopServing(actorId).then(forget);
  else forget();
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'load':
      load(message.actorId, message.definition, message.caps, message.maxConcurrency);
      if (message.serve) serve(message.actorId);
      break;
    case 'unload':
      unload(message.actorId);
      break;
    case 'resize':
      actors.get(message.actorId)?.resize(message.maxConcurrency);
      break;
    case 'invoke':
      // A call the main thread took back (this worker was stuck) runs elsewhere: skip it.
      if (slots.start(message.slot, message.id)) {
        void invoke(
          message.id,
          message.slot,
          message.actorId,
          message.operation,
          message.payload,
          message.deadline,
        );
      }
      break;
    case 'host-reply': {
      const pending = pendingHostCalls.get(message.callId);
      pendingHostCalls.delete(message.callId);
      if (message.ok) pending?.resolve(message.payload);
      else
        pending?.reject(
          new HostError(isHostErrorCode(message.code) ? message.code : 'HOST_CALL_FAILED', message.error),
        );
      break;
    }
    case 'ping':
      send({ type: 'pong', id: message.id });
      break;
    case 'metrics':
      send({ type: 'metrics', id: message.id, snapshot: invocationMetrics?.snapshot() ?? emptySnapshot() });
      break;
    case 'routes':
      routes ??= new RouteTable();
      for (const change of message.changes) routes.apply(change);
      break;
    case 'peer':
      peerWorkers.add(message.peerId, message.port);
      break;
    case 'peer-gone':
      peerWorkers.remove(message.peerId);
      break;
    case 'http-listen': {
      const { requestId, link } = message;
      builtinHttp()
        .then((listeners) => listeners.open(link))
        .then(
          () => send({ type: 'http-listening', requestId, listenerId: link.listenerId }),
          (error: unknown) =>
            send({
              type: 'http-listening',
              requestId,
              listenerId: link.listenerId,
              error: errorMessage(error),
              code: errorCode(error),
            }),
        );
      break;
    }
    case 'http-close': {
      const { requestId, listenerId } = message;
      void builtinHttp()
        .then((listeners) => listeners.close(listenerId))
        .then(() => send({ type: 'http-closed', requestId, listenerId }));
      break;
    }
    case 'builtin-link': {
      const { requestId, link } = message;
      builtinLinks()
        .then((links) => links.open(link))
        .then(
          () => send({ type: 'builtin-linked', requestId, linkId: link.linkId }),
          (error: unknown) =>
            send({
              type: 'builtin-linked',
              requestId,
              linkId: link.linkId,
              error: errorMessage(error),
              code: errorCode(error),
            }),
        );
      break;
    }
    case 'builtin-unlink': {
      const { requestId, linkId } = message;
      void builtinLinks()
        .then((links) => links.close(linkId))
        .then(() => send({ type: 'builtin-unlinked', requestId, linkId }));
      break;
    }
    case 'close':
      void (capabilityLinks?.closeAll() ?? Promise.resolve())
        .then(() => httpListeners?.then((listeners) => listeners.closeAll()))
        .then(() => rpc?.close())
        .then(() => send({ type: 'closed' }));
      break;
  }
});
