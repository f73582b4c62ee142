// Inside a worker: the direct channels to the other workers of this host (a MessageChannel per pair,
// made by the pool, worker-pool.ts), so an actor call this worker cannot run now — the target has no
// free instance here — runs in another worker without the main thread or NATS. A peer that has no
// free instance either answers `busy` and the next is asked; when none takes it the caller goes to the
// lattice (local-calls.ts). A peer replaced meanwhile fails its calls as the pool fails a replaced
// worker's (WORKER_RESTARTED); a peer that never answers is given up on at the call's deadline. A
// call carries the caller's trace context across, as an invocation does.

import type { MessagePort } from 'node:worker_threads';
import { errorMessage } from '../../lattice/errors.ts';
import {
  incomingTraceContext,
  type TraceCarrier,
  traceCarrierOf,
  withTraceContext,
} from '../../lattice/telemetry/trace-context.ts';
import { INVOCATION_ERROR_CODES, InvocationFailedError } from './errors.ts';
import { ownBytes } from './worker-protocol.ts';

/** Runs a call for a peer when this worker has a free instance of the actor; undefined when not. */
export type ServeForPeer = (
  originActorId: string,
  actorId: string,
  operation: string,
  payload: Uint8Array,
  deadline: number,
) => Promise<Uint8Array> | undefined;

type PeerMessage =
  | {
      type: 'call';
      id: number;
      origin: string;
      actorId: string;
      operation: string;
      payload: Uint8Array;
      deadline: number;
      /** The caller's traceparent/tracestate, when it has a current span. */
      traceContext: TraceCarrier | undefined;
    }
  | { type: 'answer'; id: number; outcome: 'ok'; payload: Uint8Array }
  | { type: 'answer'; id: number; outcome: 'busy' }
  | { type: 'answer'; id: number; outcome: 'failed'; code: InvocationFailedError['code']; error: string };

type Answer = Extract<PeerMessage, { type: 'answer' }>;

/** How long past a call's deadline a peer may take to answer before the call is failed here. */
const ANSWER_GRACE_MS = 250;

interface Pending {
  peerId: number;
  settle: (answer: Answer) => void;
  fail: (error: InvocationFailedError) => void;
  timer: NodeJS.Timeout;
}

export class PeerWorkers {
  readonly #serve: ServeForPeer;
  readonly #ports = new Map<number, MessagePort>();
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;

  constructor(serve: ServeForPeer) {
    this.#serve = serve;
  }

  get size(): number {
    return this.#ports.size;
  }

  add(peerId: number, port: MessagePort): void {
    this.#ports.set(peerId, port);
    port.on('message', (message: PeerMessage) => this.#onMessage(port, message));
    port.on('close', () => this.remove(peerId));
  }

  /** The peer is gone (replaced): its calls in flight fail, as a replaced worker's do. */
  remove(peerId: number): void {
    const port = this.#ports.get(peerId);
    if (port === undefined) return;
    this.#ports.delete(peerId);
    port.close();
    for (const [id, pending] of this.#pending) {
      if (pending.peerId !== peerId) continue;
      this.#pending.delete(id);
      clearTimeout(pending.timer);
      pending.fail(
        new InvocationFailedError(
          INVOCATION_ERROR_CODES.workerRestarted,
          'the worker running it was replaced; the call may be retried',
        ),
      );
    }
  }

  /**
   * Runs the call in the first peer with a free instance of the actor: its reply, or undefined when
   * no peer could take it. Rejects with the peer's InvocationFailedError when the call failed there.
   */
  async call(
    originActorId: string,
    actorId: string,
    operation: string,
    payload: Uint8Array,
    deadline: number,
  ): Promise<Uint8Array | undefined> {
    const traceContext = traceCarrierOf();
    for (const [peerId, port] of [...this.#ports]) {
      const answer = await this.#ask(peerId, port, {
        origin: originActorId,
        actorId,
        operation,
        payload: ownBytes(payload),
        deadline,
        traceContext,
      });
      if (answer.outcome === 'ok') return answer.payload;
      if (answer.outcome === 'failed') throw new InvocationFailedError(answer.code, answer.error);
    }
    return undefined;
  }

  #ask(
    peerId: number,
    port: MessagePort,
    call: Omit<Extract<PeerMessage, { type: 'call' }>, 'type' | 'id'>,
  ): Promise<Answer> {
    const id = this.#nextId++;
    return new Promise((settle, fail) => {
      const timer = setTimeout(
        () => {
          if (!this.#pending.delete(id)) return;
          fail(
            new InvocationFailedError(
              INVOCATION_ERROR_CODES.timeout,
              `${call.operation} on ${call.actorId} did not finish by its deadline in another worker`,
            ),
          );
        },
        Math.max(0, call.deadline - Date.now()) + ANSWER_GRACE_MS,
      );
      this.#pending.set(id, { peerId, settle, fail, timer });
      port.postMessage({ type: 'call', id, ...call } satisfies PeerMessage);
    });
  }

  #onMessage(port: MessagePort, message: PeerMessage): void {
    if (message.type === 'answer') {
      const pending = this.#pending.get(message.id);
      if (pending === undefined) return; // given up on already
      this.#pending.delete(message.id);
      clearTimeout(pending.timer);
      pending.settle(message);
      return;
    }
    const running = withTraceContext(incomingTraceContext(undefined, message.traceContext), () =>
      this.#serve(message.origin, message.actorId, message.operation, message.payload, message.deadline),
    );
    if (running === undefined) {
      port.postMessage({ type: 'answer', id: message.id, outcome: 'busy' } satisfies PeerMessage);
      return;
    }
    running.then(
      (payload) =>
        port.postMessage({
          type: 'answer',
          id: message.id,
          outcome: 'ok',
          payload: ownBytes(payload),
        } satisfies PeerMessage),
      (error: unknown) => {
        const failure =
          error instanceof InvocationFailedError
            ? error
            : new InvocationFailedError(INVOCATION_ERROR_CODES.trap, errorMessage(error));
        port.postMessage({
          type: 'answer',
          id: message.id,
          outcome: 'failed',
          code: failure.code,
          error: failure.message,
        } satisfies PeerMessage);
      },
    );
  }
}
