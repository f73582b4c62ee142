// What crosses the wire of one lattice, recorded with the time it was seen, for a benchmark to
// count over windows: every control message (`wasmbus.ctl.{lattice}.>`, whoever sent it), sorted
// into commands (host commands, link puts and deletes, registry puts), queries (inventories,
// links, claims, auctions) and pings; and every lattice event with its size.

import { type CloudEvent, eventNameOf, parseCloudEvent } from '../lattice/events.ts';
import type { NatsConnection, Subscription } from '../lattice/nats.ts';
import { type ControlOperation, latticeSubjects } from '../lattice/subjects.ts';

export type ControlClass = 'command' | 'query' | 'ping' | 'unknown';

/** Whether a control operation changes the lattice, reads it, or is a liveness ping. */
export function controlClassOf(operation: ControlOperation | undefined): ControlClass {
  switch (operation?.kind) {
    case 'host_command':
    case 'linkdefs_put':
    case 'linkdefs_del':
    case 'registries_put':
      return 'command';
    case 'get_claims':
    case 'get_links':
    case 'host_inventory':
    case 'host_load':
    case 'host_metrics':
    case 'auction_actor':
    case 'auction_provider':
      return 'query';
    case 'ping_hosts':
      return 'ping';
    default:
      return 'unknown';
  }
}

/** `la`, `sa`, … for host commands, the operation's kind otherwise (`host_inventory`, …). */
export function controlNameOf(operation: ControlOperation | undefined): string {
  if (operation === undefined) return 'unknown';
  return operation.kind === 'host_command' ? operation.command : operation.kind;
}

export interface ControlMessage {
  at: number;
  class: ControlClass;
  name: string;
  body: Uint8Array;
}

export interface SeenEvent {
  at: number;
  name: string;
  /** The host (or other sender) it came from. */
  source: string;
  bytes: number;
  event: CloudEvent;
}

/** Control messages of one window: by class, and by name within the commands and queries. */
export interface ControlTally {
  command: number;
  query: number;
  ping: number;
  unknown: number;
  byName: Map<string, number>;
}

export function tallyControl(messages: readonly ControlMessage[]): ControlTally {
  const tally: ControlTally = { command: 0, query: 0, ping: 0, unknown: 0, byName: new Map() };
  for (const message of messages) {
    tally[message.class] += 1;
    tally.byName.set(message.name, (tally.byName.get(message.name) ?? 0) + 1);
  }
  return tally;
}

export class LatticeWire {
  readonly control: ControlMessage[] = [];
  readonly events: SeenEvent[] = [];
  readonly #subscriptions: Subscription[];
  /** Called with each event as it arrives (after it was recorded). */
  onEvent: ((seen: SeenEvent) => void) | undefined;

  private constructor(subscriptions: Subscription[]) {
    this.#subscriptions = subscriptions;
  }

  /** Subscribes, and resolves once the server has the subscriptions. */
  static async listen(nc: NatsConnection, lattice: string): Promise<LatticeWire> {
    const subjects = latticeSubjects(lattice);
    const subscriptions: Subscription[] = [];
    const wire = new LatticeWire(subscriptions);
    subscriptions.push(
      nc.subscribe(`${subjects.ctl.prefix}.>`, {
        callback: (_error, msg) => {
          const operation = subjects.ctl.operationOf(msg.subject);
          wire.control.push({
            at: performance.now(),
            class: controlClassOf(operation),
            name: controlNameOf(operation),
            body: msg.data,
          });
        },
      }),
      nc.subscribe(subjects.events.subject(), {
        callback: (_error, msg) => {
          const parsed = parseCloudEvent(msg.data);
          if (!parsed.ok) return; // not ours to judge here: only well-formed events are counted
          const seen: SeenEvent = {
            at: performance.now(),
            name: eventNameOf(parsed.value),
            source: parsed.value.source,
            bytes: msg.data.length,
            event: parsed.value,
          };
          wire.events.push(seen);
          wire.onEvent?.(seen);
        },
      }),
    );
    await nc.flush();
    return wire;
  }

  /** Control messages seen in [from, to) (times from performance.now()). */
  controlBetween(from: number, to: number): ControlMessage[] {
    return this.control.filter((message) => message.at >= from && message.at < to);
  }

  eventsBetween(from: number, to: number, name?: string): SeenEvent[] {
    return this.events.filter(
      (seen) => seen.at >= from && seen.at < to && (name === undefined || seen.name === name),
    );
  }

  stop(): void {
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
  }
}
