// Publishes lattice events (protocol.md §2) as CloudEvents on `wasmbus.evt.{lattice}`, with the host
// key as source. Invocation events go to `wasmbus.rpcevt.{lattice}` (OTP ≥ 0.59), so the busy RPC
// path never floods the subject every dashboard and wash follow.

import { cloudEvent } from '../lattice/cloud-event.ts';
import { errorMessage } from '../lattice/errors.ts';
import type { EventData, EventName } from '../lattice/events.ts';
import type { Logger } from '../lattice/log.ts';
import { maxPayloadOf, type NatsConnection } from '../lattice/nats.ts';
import type { LatticeSubjects } from '../lattice/subjects.ts';

/** What every part of the host uses to announce something. */
export interface EventPublisher {
  publish<Name extends EventName>(name: Name, data: EventData<Name>): void;
}

/** JSON bytes, as json-message.ts's encodeJsonMessage (that file is zod, which the workers do not load). */
const utf8 = new TextEncoder();

const INVOCATION_EVENTS: ReadonlySet<EventName> = new Set(['invocation_succeeded', 'invocation_failed']);

/** An event built, not yet published. */
export interface EncodedEvent {
  name: EventName;
  subject: string;
  bytes: Uint8Array;
}

export class NatsEventPublisher implements EventPublisher {
  readonly #nc: NatsConnection;
  readonly #subjects: LatticeSubjects;
  readonly #source: string;
  readonly #log: Pick<Logger, 'debug' | 'warn'> | undefined;

  constructor(
    nc: NatsConnection,
    subjects: LatticeSubjects,
    hostId: string,
    log?: Pick<Logger, 'debug' | 'warn'>,
  ) {
    this.#nc = nc;
    this.#subjects = subjects;
    this.#source = hostId;
    this.#log = log;
  }

  publish<Name extends EventName>(name: Name, data: EventData<Name>): void {
    this.publishEncoded(this.encode(name, data));
  }

  /** The event's subject and bytes, built now, to publish later (publishEncoded). */
  encode<Name extends EventName>(name: Name, data: EventData<Name>): EncodedEvent {
    const subject = INVOCATION_EVENTS.has(name)
      ? this.#subjects.events.invocations()
      : this.#subjects.events.subject();
    return { name, subject, bytes: utf8.encode(JSON.stringify(cloudEvent(name, this.#source, data))) };
  }

  /**
   * Publishes; never throws. An event larger than the server's max_payload (one carrying outside
   * values, or a heartbeat of a host with odd labels) is not sent, and the log names its subject and
   * size: the client would otherwise throw MAX_PAYLOAD_EXCEEDED at whoever published it.
   */
  publishEncoded({ name, subject, bytes }: EncodedEvent): void {
    const maxPayload = maxPayloadOf(this.#nc);
    if (bytes.length > maxPayload) {
      this.#log?.warn(
        `event ${name} on ${subject} not published: ${bytes.length} bytes, over the NATS server's max_payload of ${maxPayload} bytes`,
        { code: 'EVENT_TOO_LARGE', subject, bytes: bytes.length },
      );
      return;
    }
    try {
      this.#nc.publish(subject, bytes);
    } catch (error) {
      const closed = this.#nc.isClosed();
      const line = `event ${name} on ${subject} (${bytes.length} bytes) not published: ${errorMessage(error)}`;
      // A closed connection during shutdown: the event has nobody left to reach.
      if (closed) this.#log?.debug(line);
      else this.#log?.warn(line, { code: 'EVENT_PUBLISH_FAILED', subject, bytes: bytes.length });
    }
  }
}
