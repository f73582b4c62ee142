// A test's view of a lattice: raw control requests (so tests see the wire, not a client library's
// reading of it), a collector of lattice events, and signed invocations of actors.

import { ChunkStore } from '../../lattice/chunking.ts';
import { type CloudEvent, eventNameOf, parseCloudEvent } from '../../lattice/events.ts';
import { actorEntity, providerEntity, type WasmCloudEntity } from '../../lattice/invocation.ts';
import { InvocationSigner } from '../../lattice/invocation-signer.ts';
import type { KeyPair } from '../../lattice/keys.ts';
import { createInbox, type NatsConnection } from '../../lattice/nats.ts';
import { sendInvocation } from '../../lattice/rpc.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { HOST } from './keys.ts';

const encoder = new TextEncoder();

/** Sends a control request (a JSON value, or raw bytes to test malformed input); parses the reply. */
export async function ctlRequest(
  nc: NatsConnection,
  subject: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const bytes =
    body instanceof Uint8Array
      ? body
      : body === undefined
        ? new Uint8Array(0)
        : encoder.encode(JSON.stringify(body));
  const reply = await nc.request(subject, bytes, { timeout: 5_000 });
  return JSON.parse(new TextDecoder().decode(reply.data)) as Record<string, unknown>;
}

/** Publishes to a private inbox and gathers every reply for `waitMs` (ping and auctions). */
export async function gather(
  nc: NatsConnection,
  subject: string,
  body: unknown,
  waitMs = 500,
): Promise<Record<string, unknown>[]> {
  const inbox = createInbox();
  const replies: Record<string, unknown>[] = [];
  const subscription = nc.subscribe(inbox, {
    callback: (_error, msg) => {
      // With nobody listening the server answers a "no responders" status with an empty body.
      if (msg.data.length > 0)
        replies.push(JSON.parse(new TextDecoder().decode(msg.data)) as Record<string, unknown>);
    },
  });
  nc.publish(subject, encoder.encode(body === undefined ? '' : JSON.stringify(body)), { reply: inbox });
  // A deliberate window, not a wait for a condition: like wash's ping and auctions (the protocol's
  // scatter-gather), the number of answers is what is being found out, so nothing marks the last.
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  subscription.unsubscribe();
  return replies;
}

/** Collects every event of a lattice from the moment it is made. */
export class EventLog {
  readonly events: CloudEvent[] = [];
  readonly #waiters = new Set<() => void>();

  constructor(nc: NatsConnection, lattice: string) {
    nc.subscribe(latticeSubjects(lattice).events.subject(), {
      callback: (_error, msg) => {
        const parsed = parseCloudEvent(msg.data);
        if (!parsed.ok) throw new Error(`the host published a malformed event: ${parsed.error}`);
        this.events.push(parsed.value);
        for (const wake of this.#waiters) wake();
      },
    });
  }

  named(name: string): CloudEvent[] {
    return this.events.filter((event) => eventNameOf(event) === name);
  }

  /** Resolves with the first event (already seen or future) of `name` that `match` accepts. */
  waitFor(
    name: string,
    match: (data: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<CloudEvent> {
    const find = () => this.named(name).find((event) => match(event.data as Record<string, unknown>));
    return new Promise((resolve, reject) => {
      const found = find();
      if (found) return resolve(found);
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(
            `no ${name} event within ${timeoutMs} ms; saw: ${this.events.map(eventNameOf).join(', ')}`,
          ),
        );
      }, timeoutMs);
      const check = () => {
        const event = find();
        if (!event) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(event);
      };
      this.#waiters.add(check);
    });
  }
}

/**
 * Asks host `hostId` to start the actor in the file `actorPath` (cmd.{host}.la), expects it to accept,
 * and returns the actor's public key once its actor_started event is in `events`.
 */
export async function launchActorFile(
  nc: NatsConnection,
  events: EventLog,
  lattice: string,
  hostId: string,
  actorPath: string,
  count?: number,
): Promise<string> {
  const started = await ctlRequest(nc, latticeSubjects(lattice).ctl.launchActor(hostId), {
    actor_ref: actorPath,
    ...(count === undefined ? {} : { count }),
  });
  if (started.accepted !== true || started.error !== '')
    throw new Error(`host ${hostId} did not accept ${actorPath}: ${JSON.stringify(started)}`);
  const event = await events.waitFor('actor_started', (data) => data.image_ref === actorPath);
  return (event.data as { public_key: string }).public_key;
}

/** Calls an actor through NATS as a provider of `contractId` would (signed with `clusterKey`). */
export function invokeActor(
  nc: NatsConnection,
  lattice: string,
  clusterKey: KeyPair,
  actorId: string,
  operation: string,
  payload: Uint8Array,
  origin: WasmCloudEntity = providerEntity(
    'VAMMGIMPCBWOMQHAPTXANYB52OQ3BCQPEITIAHSDC4IIKZJKQEYDEWKN',
    'wasmcloud:httpserver',
    'default',
  ),
): Promise<Uint8Array> {
  const signer = new InvocationSigner(clusterKey, HOST);
  const invocation = signer.sign({ origin, target: actorEntity(actorId), operation, msg: payload });
  const subjects = latticeSubjects(lattice);
  return sendInvocation(nc, subjects.rpc.actor(actorId), invocation, {
    timeoutMs: 5_000,
    chunks: new ChunkStore(nc, subjects),
  });
}
