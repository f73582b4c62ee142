// One linked actor's own NATS connection (the 2022 provider kept one per actor): it holds the
// link's subscriptions and hands every message on them to the actor as
// MessageSubscriber.HandleMessage, and it carries the actor's Publish and Request calls.
// Deleting the link drains it: subscriptions end, messages already received are still handed
// over, then the connection closes.

import { errorCode, errorFields, errorMessage } from '../../lattice/errors.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import {
  connectNats,
  ErrorCode,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '../../lattice/nats.ts';
import { ProviderError } from '../sdk/errors.ts';
import type { Provider } from '../sdk/mod.ts';
import type { MessagingLinkSettings } from './link-settings.ts';
import { type DeliveredMessage, encodeDeliveredMessage } from './messages.ts';
import { subjectProblem } from './subject-rules.ts';

/** HandleMessage calls in flight per link; further messages wait in the subscription's buffer. */
const MAX_DELIVERIES_IN_FLIGHT = 64;

function checkSubject(subject: string): void {
  const problem = subjectProblem(subject, 'publish');
  if (problem !== undefined) throw new ProviderError('MESSAGING_BAD_SUBJECT', problem);
}

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
    const [url, ...moreUrls] = settings.servers;
    const nc = await connectNats({
      url: url!,
      moreUrls,
      jwt: settings.jwt,
      seed: settings.seed,
      reconnect: true,
      name: `messaging ${provider.key} for ${link.actor_id}`,
    });
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
      `actor ${link.actor_id}: connected to ${settings.servers.join(',')}, subscribed to ${subscribed.join(', ') || 'nothing'}`,
    );
    return connection;
  }

  /** Publishes and flushes, so success means the server has the message. */
  async publish(subject: string, body: Uint8Array, replyTo: string | undefined): Promise<void> {
    checkSubject(subject);
    if (replyTo !== undefined) checkSubject(replyTo);
    try {
      this.#nc.publish(subject, body, replyTo === undefined ? undefined : { reply: replyTo });
      await this.#nc.flush();
    } catch (error) {
      throw new ProviderError(
        'MESSAGING_PUBLISH_FAILED',
        `cannot publish to ${subject}: ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  async request(subject: string, body: Uint8Array, timeoutMs: number): Promise<DeliveredMessage> {
    checkSubject(subject);
    let reply: Msg;
    try {
      reply = await this.#nc.request(subject, body, { timeout: timeoutMs });
    } catch (error) {
      const code = errorCode(error);
      const options = { cause: error };
      if (code === ErrorCode.NoResponders)
        throw new ProviderError('MESSAGING_NO_RESPONDERS', `no responders on ${subject}`, options);
      if (code === ErrorCode.Timeout)
        throw new ProviderError(
          'MESSAGING_TIMEOUT',
          `no reply on ${subject} within ${timeoutMs} ms`,
          options,
        );
      throw new ProviderError(
        'MESSAGING_REQUEST_FAILED',
        `request on ${subject} failed: ${errorMessage(error)}`,
        options,
      );
    }
    return { subject: reply.subject, replyTo: reply.reply || undefined, body: reply.data };
  }

  /** Stops the subscriptions, hands over what was received, waits for those calls, closes. */
  async close(): Promise<void> {
    if (!this.#nc.isClosed()) await this.#nc.drain();
    await Promise.allSettled(this.#inFlight);
  }

  /** Hands each message of `subscription` to the actor, at most MAX_DELIVERIES_IN_FLIGHT at a time. */
  #deliver(subscription: Subscription): void {
    void (async () => {
      for await (const msg of subscription) {
        if (this.#inFlight.size >= MAX_DELIVERIES_IN_FLIGHT) await Promise.race(this.#inFlight);
        const delivery = this.#handOver(msg);
        this.#inFlight.add(delivery);
        void delivery.finally(() => this.#inFlight.delete(delivery));
      }
    })().catch((error: unknown) =>
      this.#provider.log.error(
        `subscription ${subscription.getSubject()} ended: ${errorMessage(error)}`,
        errorFields(error),
      ),
    );
  }

  async #handOver(msg: Msg): Promise<void> {
    const payload = encodeDeliveredMessage({
      subject: msg.subject,
      replyTo: msg.reply || undefined,
      body: msg.data,
    });
    try {
      await this.#provider.callActor(this.#actorId, 'MessageSubscriber.HandleMessage', payload);
    } catch (error) {
      this.#provider.log.warn(
        `actor ${this.#actorId} did not handle a message on ${msg.subject}: ${errorMessage(error)}`,
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
