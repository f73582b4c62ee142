// Messaging.Publish and Messaging.Request (protocol.md §7.2) on a NATS connection: the request
// payload decoded and checked, the reply encoded. A Request's timeoutMs of 0 means the host's RPC
// timeout. Used by providers/messaging and the host's built-in messaging.

import { errorCode, errorMessage, isCataloguedCode, LATTICE_ERROR_CODES } from '../errors.ts';
import type { NatsConnection } from '../nats.ts';
import { MessagingError } from './errors.ts';
import { encodeDeliveredMessage, parseMessage, pubMessageSchema, requestMessageSchema } from './messages.ts';
import { publishMessage, requestMessage } from './nats-calls.ts';

/** One operation on the calling actor's connection; `defaultTimeoutMs` for a Request without one. */
export type MessagingOperation = (
  payload: Uint8Array,
  nc: NatsConnection,
  defaultTimeoutMs: number,
) => Promise<Uint8Array | undefined>;

const handlers: Record<string, MessagingOperation> = {
  'Messaging.Publish': async (payload, nc) => {
    const message = parseMessage(pubMessageSchema, payload);
    await publishMessage(nc, message.subject, message.body, message.replyTo);
    return undefined;
  },
  'Messaging.Request': async (payload, nc, defaultTimeoutMs) => {
    const message = parseMessage(requestMessageSchema, payload);
    const reply = await requestMessage(
      nc,
      message.subject,
      message.body,
      message.timeoutMs || defaultTimeoutMs,
    );
    return encodeDeliveredMessage(reply);
  },
};

export const MESSAGING_OPERATIONS: readonly string[] = Object.keys(handlers);

/**
 * The handler of `operation`, or undefined for one the contract lacks. A failure is a
 * MessagingError whose message starts with the operation and whose code is the cause's.
 */
export function messagingOperation(operation: string): MessagingOperation | undefined {
  const handler = Object.hasOwn(handlers, operation) ? handlers[operation] : undefined;
  if (handler === undefined) return undefined;
  return async (payload, nc, defaultTimeoutMs) => {
    try {
      return await handler(payload, nc, defaultTimeoutMs);
    } catch (error) {
      const code = errorCode(error);
      throw new MessagingError(
        isCataloguedCode(code, LATTICE_ERROR_CODES) ? code : 'MESSAGING_REQUEST_FAILED',
        `${operation}: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  };
}
