// An actor's Messaging.Publish and Messaging.Request on a NATS connection, and the hand-over of a
// subscription's messages to the actor (MessageSubscriber.HandleMessage), at most
// MAX_DELIVERIES_IN_FLIGHT at a time. Used by providers/messaging (the actor's own connection)
// and by the host's built-in messaging (the lattice's connection, or the link's own).

import { errorCode, errorMessage } from '../errors.ts';
import { ErrorCode, type Msg, type NatsConnection, type Subscription } from '../nats.ts';
import { MessagingError } from './errors.ts';
import type { DeliveredMessage } from './messages.ts';
import { subjectProblem } from './subject-rules.ts';

/** HandleMessage calls in flight per subscription; further messages wait in its buffer. */
export const MAX_DELIVERIES_IN_FLIGHT = 64;

function checkSubject(subject: string): void {
  const problem = subjectProblem(subject, 'publish');
  if (problem !== undefined) throw new MessagingError('MESSAGING_BAD_SUBJECT', problem);
}

/** Publishes and flushes, so success means the server has the message. */
export async function publishMessage(
  nc: NatsConnection,
  subject: string,
  body: Uint8Array,
  replyTo: string | undefined,
): Promise<void> {
  checkSubject(subject);
  if (replyTo !== undefined) checkSubject(replyTo);
  try {
    nc.publish(subject, body, replyTo === undefined ? undefined : { reply: replyTo });
    await nc.flush();
  } catch (error) {
    throw new MessagingError(
      'MESSAGING_PUBLISH_FAILED',
      `cannot publish to ${subject}: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
}

export async function requestMessage(
  nc: NatsConnection,
  subject: string,
  body: Uint8Array,
  timeoutMs: number,
): Promise<DeliveredMessage> {
  checkSubject(subject);
  let reply: Msg;
  try {
    reply = await nc.request(subject, body, { timeout: timeoutMs });
  } catch (error) {
    const code = errorCode(error);
    const options = { cause: error };
    if (code === ErrorCode.NoResponders)
      throw new MessagingError('MESSAGING_NO_RESPONDERS', `no responders on ${subject}`, options);
    if (code === ErrorCode.Timeout)
      throw new MessagingError('MESSAGING_TIMEOUT', `no reply on ${subject} within ${timeoutMs} ms`, options);
    throw new MessagingError(
      'MESSAGING_REQUEST_FAILED',
      `request on ${subject} failed: ${errorMessage(error)}`,
      options,
    );
  }
  return { subject: reply.subject, replyTo: reply.reply || undefined, body: reply.data };
}

/**
 * Hands each message of `subscription` to `handOver`, at most MAX_DELIVERIES_IN_FLIGHT at a time;
 * `inFlight` holds the hand-overs running (a drain waits for them). Resolves when the
 * subscription ends; rejects when it fails.
 */
export async function deliverMessages(
  subscription: Subscription,
  inFlight: Set<Promise<void>>,
  handOver: (message: DeliveredMessage) => Promise<void>,
): Promise<void> {
  for await (const msg of subscription) {
    if (inFlight.size >= MAX_DELIVERIES_IN_FLIGHT) await Promise.race(inFlight);
    const delivery = handOver({ subject: msg.subject, replyTo: msg.reply || undefined, body: msg.data });
    inFlight.add(delivery);
    void delivery.finally(() => inFlight.delete(delivery));
  }
}
