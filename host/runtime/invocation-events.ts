// Inside a worker: the `invocation_succeeded` / `invocation_failed` events (protocol.md §2) of the actor
// calls it serves, on every path — from NATS (worker-rpc.ts), from the built-in httpserver
// (builtin-http.ts) and from another actor of this host (local-calls.ts) — or none, when the host's
// WASMCLOUD_INVOCATION_EVENTS is `off`. Each goes out on the next turn of the event loop, after the
// reply, so building and publishing it never delays the caller.

import { truncateForDisplay } from '../../lattice/display-text.ts';
import type { WasmCloudEntity } from '../../lattice/invocation.ts';
import type { EventPublisher } from '../events.ts';

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
  readonly #publisher: () => EventPublisher | undefined;
  readonly #mode: InvocationEventsMode;

  /** `publisher` answers undefined while the worker's NATS connection is not open yet (no event then). */
  constructor(publisher: () => EventPublisher | undefined, mode: InvocationEventsMode = 'each') {
    this.#publisher = publisher;
    this.#mode = mode;
  }

  get enabled(): boolean {
    return this.#mode === 'each';
  }

  /** Publishes the call's event on the next turn (nothing when the setting is `off`). */
  report(call: ServedCall): void {
    if (this.#mode === 'off') return;
    setImmediate(() => this.#publish(call));
  }

  #publish({ origin, target, operation, bytes, succeeded }: ServedCall): void {
    this.#publisher()?.publish(succeeded ? 'invocation_succeeded' : 'invocation_failed', {
      source: entity(origin, !succeeded),
      dest: entity(target, !succeeded),
      operation: succeeded ? operation : truncateForDisplay(operation),
      bytes,
    });
  }
}
