// Request/reply over one wildcard inbox subscription per connection, for the RPC hot path.
// nats.js's own `request` arms a timer and a promise per request and, when a request completes,
// builds a "Cancelled" error to reject its already-settled promise: measured at ~25 µs of a
// provider's CPU per call (bench/http.bench.ts). Here a request is a map entry, and one sweep per
// 50 ms expires the overdue ones, so a timeout fires up to 50 ms late.

import { errorMessage, LatticeError, type LatticeErrorCode } from './errors.ts';
import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from './nats.ts';

const SWEEP_INTERVAL_MS = 50;

/** Why a request got no answer. */
export type RequestFailure = 'timeout' | 'no-responders' | 'closed';

const FAILURE_CODES = {
  timeout: 'REQUEST_TIMEOUT',
  'no-responders': 'REQUEST_NO_RESPONDERS',
  closed: 'REQUEST_CLOSED',
} as const satisfies Record<RequestFailure, LatticeErrorCode>;

export class RequestFailedError extends LatticeError<LatticeErrorCode> {
  readonly failure: RequestFailure;
  constructor(failure: RequestFailure, message: string, options?: ErrorOptions) {
    super(FAILURE_CODES[failure], message, options);
    this.failure = failure;
  }
}

interface Pending {
  resolve: (msg: Msg) => void;
  reject: (error: RequestFailedError) => void;
  deadline: number;
  subject: string;
  timeoutMs: number;
}

export class RequestMux {
  readonly #nc: NatsConnection;
  readonly #prefix = createInbox();
  readonly #pending = new Map<string, Pending>();
  readonly #subscription: Subscription;
  #sweeper: NodeJS.Timeout | undefined;
  #next = 0;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
    this.#subscription = nc.subscribe(`${this.#prefix}.*`, {
      callback: (_error, msg) => this.#onReply(msg),
    });
    void this.#subscription.closed.then(() => this.#failAll('closed', 'the NATS connection closed'));
  }

  /** Sends `data` (with `headers`, e.g. the trace context) and resolves with the reply. */
  request(subject: string, data: Uint8Array, timeoutMs: number, headers?: MsgHdrs): Promise<Msg> {
    const token = (this.#next++).toString(36);
    return new Promise<Msg>((resolve, reject) => {
      this.#pending.set(token, { resolve, reject, deadline: Date.now() + timeoutMs, subject, timeoutMs });
      this.#sweeper ??= setInterval(() => this.#sweep(), SWEEP_INTERVAL_MS).unref();
      try {
        const reply = `${this.#prefix}.${token}`;
        this.#nc.publish(subject, data, headers === undefined ? { reply } : { reply, headers });
      } catch (error) {
        this.#pending.delete(token);
        reject(
          new RequestFailedError('closed', `cannot publish on ${subject}: ${errorMessage(error)}`, {
            cause: error,
          }),
        );
      }
    });
  }

  #onReply(msg: Msg): void {
    const token = msg.subject.slice(this.#prefix.length + 1);
    const pending = this.#pending.get(token);
    if (!pending) return; // answered after its timeout
    this.#pending.delete(token);
    // The server answers a request nobody subscribes to with an empty 503 status message.
    if (msg.data.length === 0 && msg.headers?.code === 503) {
      pending.reject(
        new RequestFailedError('no-responders', `nobody is serving ${pending.subject} (no responders)`),
      );
    } else {
      pending.resolve(msg);
    }
  }

  #sweep(): void {
    const now = Date.now();
    for (const [token, pending] of this.#pending) {
      if (pending.deadline > now) continue;
      this.#pending.delete(token);
      pending.reject(
        new RequestFailedError('timeout', `no reply on ${pending.subject} within ${pending.timeoutMs} ms`),
      );
    }
    if (this.#pending.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  #failAll(failure: RequestFailure, message: string): void {
    for (const pending of this.#pending.values()) pending.reject(new RequestFailedError(failure, message));
    this.#pending.clear();
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }
}

const muxes = new WeakMap<NatsConnection, RequestMux>();

/** The connection's request mux, made on first use. */
export function requestMuxFor(nc: NatsConnection): RequestMux {
  let mux = muxes.get(nc);
  if (!mux) {
    mux = new RequestMux(nc);
    muxes.set(nc, mux);
  }
  return mux;
}
