// Inside a worker: the `invocation_succeeded` / `invocation_failed` events (protocol.md §2) of the actor
// calls it serves, on every path — from NATS (worker-rpc.ts), from the built-in httpserver
// (builtin-http.ts) and from another actor of this host (local-calls.ts) — or none, when the host's
// WASMCLOUD_INVOCATION_EVENTS is `off`. Each is built on the next turn of the event loop, after the
// reply, so building it never delays the caller; then it waits for the worker's next message on the
// same connection (a reply, an invocation: `flush`), so it leaves in that message's socket write
// instead of a write of its own, or at most FLUSH_AFTER_MS later. A worker's events therefore always
// go out before anything it sends after them.

import { truncateForDisplay } from '../../lattice/display-text.ts';
import type { WasmCloudEntity } from '../../lattice/invocation.ts';
import type { EncodedEvent, NatsEventPublisher } from '../events.ts';

/** How long a built event may wait for a message to travel with. */
const FLUSH_AFTER_MS = 5;

/** What the events need of the worker's publisher: build now, publish later. */
export type EventEncoder = Pick<NatsEventPublisher, 'encode' | 'publishEncoded'>;

/** `each`: one event per call served (the 2022 default); `off`: none. */
export type InvocationEventsMode = 'each' | 'off';

/** One served call, as its event tells it. */
export interface ServedCall {
  origin: WasmCloudEntity;
  target: WasmCloudEntity;
  operation: string;
  /** The payload's size in bytes. */
  bytes: number;
  succeeded: boolean;
}

/** An entity as an event shows it; a failed call may not even be signed, so its strings are bounded. */
function entity({ public_key, contract_id, link_name }: WasmCloudEntity, bounded: boolean) {
  if (!bounded) return { public_key, contract_id, link_name };
  const shown = truncateForDisplay;
  return { public_key: shown(public_key), contract_id: shown(contract_id), link_name: shown(link_name) };
}

export class InvocationEvents {
  readonly #publisher: () => EventEncoder | undefined;
  readonly #mode: InvocationEventsMode;
  /** Built, waiting for the next message out (or the timer). */
  #waiting: EncodedEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #onServed: ((call: ServedCall) => void) | undefined;

  /**
   * `publisher` answers undefined while the worker's NATS connection is not open yet (no event then);
   * `onServed` hears of every call reported, events or not (the worker's metrics count callers there).
   */
  constructor(
    publisher: () => EventEncoder | undefined,
    mode: InvocationEventsMode = 'each',
    onServed?: (call: ServedCall) => void,
  ) {
    this.#publisher = publisher;
    this.#mode = mode;
    this.#onServed = onServed;
  }

  /** Builds the call's event on the next turn (nothing when the setting is `off`). */
  report(call: ServedCall): void {
    this.#onServed?.(call);
    if (this.#mode === 'off') return;
    setImmediate(() => this.#build(call));
  }

  /**
   * Publishes the events waiting, into the connection's buffer: called as the worker sends something
   * on the same connection, in the same turn, so they share its socket write.
   */
  flush(): void {
    if (this.#waiting.length === 0) return;
    const publisher = this.#publisher();
    const waiting = this.#waiting;
    this.#waiting = [];
    if (publisher) for (const event of waiting) publisher.publishEncoded(event);
  }

  #build({ origin, target, operation, bytes, succeeded }: ServedCall): void {
    const publisher = this.#publisher();
    if (publisher === undefined) return;
    this.#waiting.push(
      publisher.encode(succeeded ? 'invocation_succeeded' : 'invocation_failed', {
        source: entity(origin, !succeeded),
        dest: entity(target, !succeeded),
        operation: succeeded ? operation : truncateForDisplay(operation),
        bytes,
      }),
    );
    // One timer at a time; a flush meanwhile just leaves it nothing to do.
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.flush();
      }, FLUSH_AFTER_MS);
      this.#timer.unref();
    }
  }
}
