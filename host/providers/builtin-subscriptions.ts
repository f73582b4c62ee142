// The subscriptions of one built-in messaging link (wasmcloud+builtin://messaging, link value
// SUBSCRIPTION or config_json's subscriptions), held once per host on its NATS connection — not
// once per worker, or each message would be handled once per worker. A host running the built-in
// is to the subscription what one process of providers/messaging is: every host gets each message,
// unless the link names a queue group (`subject|queue`), which hands each message to one member.
// Each message goes to the actor as MessageSubscriber.HandleMessage: run in a worker of this host
// when the actor is here (after checking its claims list wasmcloud:messaging, as a provider's
// invocation is checked), else as a signed invocation over the lattice, as the provider sends it.

import { errorFields, errorMessage } from '../../lattice/errors.ts';
import { actorEntity, providerEntity } from '../../lattice/invocation.ts';
import type { InvocationSigner } from '../../lattice/invocation-signer.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import type { Logger } from '../../lattice/log.ts';
import type { MessagingLinkSettings } from '../../lattice/messaging/link-settings.ts';
import { type DeliveredMessage, encodeDeliveredMessage } from '../../lattice/messaging/messages.ts';
import { deliverMessages } from '../../lattice/messaging/nats-calls.ts';
import { missingCapabilityText } from '../../lattice/missing-capability.ts';
import { connectLinkNats, type NatsConnection, type Subscription } from '../../lattice/nats.ts';
import { sendInvocation } from '../../lattice/rpc.ts';
import type { LatticeSubjects } from '../../lattice/subjects.ts';

export const HANDLE_MESSAGE = 'MessageSubscriber.HandleMessage';

/** How a message reaches the linked actor. */
export interface MessageRoute {
  /** The actor's capability claims when this host runs it; undefined when it does not. */
  capsOf(actorId: string): readonly string[] | undefined;
  invokeHere(actorId: string, operation: string, payload: Uint8Array): Promise<Uint8Array>;
  /** The host's NATS connection: subscriptions without URI, calls over the lattice. */
  nc: NatsConnection;
  signer: InvocationSigner;
  subjects: LatticeSubjects;
  rpcTimeoutMs: number;
  log: Logger;
}

export class LinkSubscriptions {
  readonly #subscriptions: Subscription[];
  readonly #own: NatsConnection | undefined;
  readonly #inFlight: Set<Promise<void>>;

  private constructor(
    subscriptions: Subscription[],
    own: NatsConnection | undefined,
    inFlight: Set<Promise<void>>,
  ) {
    this.#subscriptions = subscriptions;
    this.#own = own;
    this.#inFlight = inFlight;
  }

  /** Subscribes to the link's subjects; rejects (refusing the link) when its NATS cannot be reached. */
  static async open(
    link: LinkDefinition,
    settings: MessagingLinkSettings,
    route: MessageRoute,
  ): Promise<LinkSubscriptions> {
    let own: NatsConnection | undefined;
    if (settings.servers !== undefined && settings.subscriptions.length > 0) {
      own = await connectLinkNats(
        { servers: settings.servers, jwt: settings.jwt, seed: settings.seed },
        `built-in messaging ${link.provider_id} subscriptions of ${link.actor_id}`,
      );
    }
    const nc = own ?? route.nc;
    const inFlight = new Set<Promise<void>>();
    const subscriptions = settings.subscriptions.map(({ subject, queue }) =>
      nc.subscribe(subject, queue === undefined ? {} : { queue }),
    );
    for (const subscription of subscriptions) {
      deliverMessages(subscription, inFlight, (message) => handOver(link, message, route)).catch(
        (error: unknown) =>
          route.log.error(
            `built-in messaging: subscription ${subscription.getSubject()} of actor ${link.actor_id} ended: ${errorMessage(error)}`,
            errorFields(error),
          ),
      );
    }
    try {
      await nc.flush();
    } catch (error) {
      for (const subscription of subscriptions) subscription.unsubscribe();
      await own?.close();
      throw error;
    }
    return new LinkSubscriptions(subscriptions, own, inFlight);
  }

  /** Ends the subscriptions, hands over what was received, waits for those calls; closes its own NATS. */
  async close(): Promise<void> {
    await Promise.allSettled(this.#subscriptions.map((subscription) => subscription.drain()));
    await Promise.allSettled(this.#inFlight);
    if (this.#own && !this.#own.isClosed()) await this.#own.drain();
  }
}

async function handOver(link: LinkDefinition, message: DeliveredMessage, route: MessageRoute): Promise<void> {
  const payload = encodeDeliveredMessage(message);
  const actorId = link.actor_id;
  try {
    const caps = route.capsOf(actorId);
    if (caps === undefined) {
      const invocation = route.signer.sign({
        origin: providerEntity(link.provider_id, link.contract_id, link.link_name),
        target: actorEntity(actorId),
        operation: HANDLE_MESSAGE,
        msg: payload,
        content_length: payload.length,
      });
      await sendInvocation(route.nc, route.subjects.rpc.actor(actorId), invocation, {
        timeoutMs: route.rpcTimeoutMs,
      });
    } else if (!caps.includes(link.contract_id)) {
      route.log.warn(
        `built-in messaging: call from built-in provider ${link.provider_id} rejected: ${missingCapabilityText(actorId, link.contract_id)}`,
      );
    } else {
      await route.invokeHere(actorId, HANDLE_MESSAGE, payload);
    }
  } catch (error) {
    route.log.warn(
      `built-in messaging: actor ${actorId} did not handle a message on ${message.subject}: ${errorMessage(error)}`,
    );
  }
}
