// One linked actor's own NATS connection (the 2022 provider kept one per actor): it holds the
// link's subscriptions and hands every message on them to the actor as
// MessageSubscriber.HandleMessage, and it carries the actor's Publish and Request calls.
// Deleting the link drains it: subscriptions end, messages already received are still handed
// over, then the connection closes.

import { errorFields, errorMessage } from '../../lattice/errors.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import { DEFAULT_NATS_URI, type MessagingLinkSettings } from '../../lattice/messaging/link-settings.ts';
import { type DeliveredMessage, encodeDeliveredMessage } from '../../lattice/messaging/messages.ts';
import { deliverMessages } from '../../lattice/messaging/nats-calls.ts';
import { connectLinkNats, type NatsConnection, type Subscription } from '../../lattice/nats.ts';
import type { Provider } from '../sdk/mod.ts';

export class ActorConnection {
  readonly #nc: NatsConnection;
  readonly #actorId: string;
  readonly #provider: Provider;
  readonly #inFlight = new Set<Promise<void>>();

  private constructor(nc: NatsConnection, actorId: string, provider: Provider) {
    this.#nc = nc;
    this.#actorId = actorId;
    this.#provider = provider;
  }

  /** Connects and subscribes; rejects (refusing the link) when the NATS cannot be reached. */
  static async open(
    link: LinkDefinition,
    settings: MessagingLinkSettings,
    provider: Provider,
  ): Promise<ActorConnection> {
    const servers = settings.servers ?? [DEFAULT_NATS_URI];
    const nc = await connectLinkNats(
      { servers, jwt: settings.jwt, seed: settings.seed },
      `messaging ${provider.key} for ${link.actor_id}`,
    );
    const connection = new ActorConnection(nc, link.actor_id, provider);
    try {
      for (const { subject, queue } of settings.subscriptions) {
        connection.#deliver(nc.subscribe(subject, queue === undefined ? {} : { queue }));
      }
      await nc.flush();
    } catch (error) {
      await nc.close();
      throw error;
    }
    connection.#logStatus();
    const subscribed = settings.subscriptions.map(({ subject, queue }) =>
      queue ? `${subject}|${queue}` : subject,
    );
    provider.log.info(
      `actor ${link.actor_id}: connected to ${servers.join(',')}, subscribed to ${subscribed.join(', ') || 'nothing'}`,
    );
    return connection;
  }

  /** The actor's connection: its Publish and Request calls go out on it. */
  get nc(): NatsConnection {
    return this.#nc;
  }

  /** Stops the subscriptions, hands over what was received, waits for those calls, closes. */
  async close(): Promise<void> {
    if (!this.#nc.isClosed()) await this.#nc.drain();
    await Promise.allSettled(this.#inFlight);
  }

  /** Hands each message of `subscription` to the actor (lattice/messaging/nats-calls.ts). */
  #deliver(subscription: Subscription): void {
    deliverMessages(subscription, this.#inFlight, (message) => this.#handOver(message)).catch(
      (error: unknown) =>
        this.#provider.log.error(
          `subscription ${subscription.getSubject()} ended: ${errorMessage(error)}`,
          errorFields(error),
        ),
    );
  }

  async #handOver(message: DeliveredMessage): Promise<void> {
    const payload = encodeDeliveredMessage(message);
    try {
      await this.#provider.callActor(this.#actorId, 'MessageSubscriber.HandleMessage', payload);
    } catch (error) {
      this.#provider.log.warn(
        `actor ${this.#actorId} did not handle a message on ${message.subject}: ${errorMessage(error)}`,
      );
    }
  }

  /** Logs the connection's disconnects and reconnects (it reconnects by itself). */
  #logStatus(): void {
    void (async () => {
      for await (const status of this.#nc.status()) {
        if (status.type === 'disconnect' || status.type === 'reconnect') {
          this.#provider.log.info(`actor ${this.#actorId}: NATS ${status.type} (${String(status.data)})`);
        }
      }
    })().catch((error: unknown) =>
      this.#provider.log.debug(
        `actor ${this.#actorId}: NATS status stream ended: ${errorMessage(error)}`,
        errorFields(error),
      ),
    );
  }
}
