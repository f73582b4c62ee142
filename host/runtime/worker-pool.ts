// The main thread's side of the workers: spreads invocations over them, answers their host
// calls, enforces the invocation timeout, and replaces a worker that an actor has stuck
// (a worker that does not answer a ping after a timeout), replaying its actors.

import { Worker } from 'node:worker_threads';
import { INVOCATION_ERROR_CODES, InvocationFailedError } from './errors.ts';
import type { ActorLogEntry, HostCallRequest } from './types.ts';
import type { FromWorker, ToWorker } from './worker-protocol.ts';

const WORKER_ENTRY = new URL('./worker.ts', import.meta.url);
/** How long a worker has to answer a ping after one of its calls timed out. */
const PING_GRACE_MS = 250;

interface PendingCall {
  actorId: string;
  operation: string;
  resolve: (payload: Uint8Array) => void;
  reject: (error: InvocationFailedError) => void;
  timer: NodeJS.Timeout;
}

export interface PoolHooks {
  hostCall: (request: HostCallRequest) => Promise<Uint8Array>;
  log: (entry: ActorLogEntry) => void;
}

class WorkerHandle {
  readonly worker: Worker;
  readonly calls = new Map<number, PendingCall>();
  readonly pings = new Map<number, () => void>();
  /** Set while a timed-out call's worker has not yet answered its ping: it gets no new calls. */
  suspect = false;
  constructor(worker: Worker) {
    this.worker = worker;
  }
  post(message: ToWorker): void {
    this.worker.postMessage(message);
  }
}

export class WorkerPool {
  readonly #hooks: PoolHooks;
  readonly #workers: WorkerHandle[] = [];
  /** Every load still in force, replayed into replacement workers. */
  readonly #loads = new Map<string, Extract<ToWorker, { type: 'load' }>>();
  #nextId = 0;
  #closed = false;

  constructor(size: number, hooks: PoolHooks) {
    this.#hooks = hooks;
    for (let i = 0; i < size; i++) this.#workers.push(this.#spawn());
  }

  get size(): number {
    return this.#workers.length;
  }

  #spawn(): WorkerHandle {
    const handle = new WorkerHandle(new Worker(WORKER_ENTRY));
    handle.worker.on('message', (message: FromWorker) => this.#onMessage(handle, message));
    handle.worker.on('error', (error) => this.#replace(handle, `its worker failed: ${error.message}`));
    handle.worker.on('exit', () => {
      if (!this.#closed && this.#workers.includes(handle)) this.#replace(handle, 'its worker exited');
    });
    for (const load of this.#loads.values()) handle.post(load);
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
          (payload) => handle.post({ type: 'host-reply', callId: message.callId, ok: true, payload }),
          (error: unknown) =>
            handle.post({
              type: 'host-reply',
              callId: message.callId,
              ok: false,
              error: error instanceof Error ? error.message : String(error),
            }),
        );
        return;
      case 'log':
        this.#hooks.log(message.entry);
        return;
      case 'pong':
        handle.pings.get(message.id)?.();
        handle.pings.delete(message.id);
        return;
    }
  }

  /** Terminates a worker, fails what it was running, and puts a fresh one in its place. */
  #replace(handle: WorkerHandle, reason: string): void {
    const index = this.#workers.indexOf(handle);
    if (index < 0 || this.#closed) return;
    this.#workers[index] = this.#spawn();
    void handle.worker.terminate();
    for (const call of handle.calls.values()) {
      clearTimeout(call.timer);
      call.reject(
        new InvocationFailedError(
          INVOCATION_ERROR_CODES.workerRestarted,
          `${call.operation} on ${call.actorId}: the worker running it was replaced (${reason}); the call may be retried`,
        ),
      );
    }
    handle.calls.clear();
  }

  /** After a timeout: a worker that cannot answer a ping is stuck in wasm and is replaced. */
  #checkAlive(handle: WorkerHandle, actorId: string): void {
    const id = this.#nextId++;
    handle.suspect = true;
    const timer = setTimeout(() => {
      handle.pings.delete(id);
      this.#replace(handle, `actor ${actorId} did not return`);
    }, PING_GRACE_MS);
    handle.pings.set(id, () => {
      clearTimeout(timer);
      handle.suspect = false;
    });
    handle.post({ type: 'ping', id });
  }

  load(message: Extract<ToWorker, { type: 'load' }>): void {
    this.#loads.set(message.actorId, message);
    for (const handle of this.#workers) handle.post(message);
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
    // The least busy worker takes the call; one suspected of being stuck takes none if it can be helped.
    let handle = this.#workers[0]!;
    for (const candidate of this.#workers) {
      const better =
        handle.suspect !== candidate.suspect ? !candidate.suspect : candidate.calls.size < handle.calls.size;
      if (better) handle = candidate;
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        handle.calls.delete(id);
        reject(
          new InvocationFailedError(
            INVOCATION_ERROR_CODES.timeout,
            `${operation} on ${actorId} timed out after ${timeoutMs} ms`,
          ),
        );
        this.#checkAlive(handle, actorId);
      }, timeoutMs);
      handle.calls.set(id, { actorId, operation, resolve, reject, timer });
      handle.post({ type: 'invoke', id, actorId, operation, payload });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const handle of this.#workers) {
      for (const call of handle.calls.values()) {
        clearTimeout(call.timer);
        call.reject(new InvocationFailedError(INVOCATION_ERROR_CODES.closed, 'the actor runtime is closed'));
      }
      handle.calls.clear();
    }
    await Promise.all(this.#workers.map((handle) => handle.worker.terminate()));
  }
}
