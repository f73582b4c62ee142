// Messaging.Publish and Messaging.Request (protocol.md §7.2), sent on the calling actor's own
// connection. A Request's timeoutMs of 0 means the host's RPC timeout (HostData).

import { errorMessage } from '../../lattice/errors.ts';
import { ProviderError, providerCodeOf } from '../sdk/errors.ts';
import type { OperationHandler } from '../sdk/mod.ts';
import type { ActorConnection } from './actor-connection.ts';
import { encodeDeliveredMessage, parseMessage, pubMessageSchema, requestMessageSchema } from './messages.ts';

export type ConnectionFor = (actorId: string) => ActorConnection;

function named(operation: string, handler: OperationHandler): OperationHandler {
  return async (payload, context) => {
    try {
      return await handler(payload, context);
    } catch (error) {
      throw new ProviderError(
        providerCodeOf(error, 'PROVIDER_OPERATION_FAILED'),
        `${operation}: ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    }
  };
}

export function messagingOperations(connectionFor: ConnectionFor): Record<string, OperationHandler> {
  return {
    'Messaging.Publish': named('Messaging.Publish', async (payload, { actorId }) => {
      const message = parseMessage(pubMessageSchema, payload);
      await connectionFor(actorId).publish(message.subject, message.body, message.replyTo);
      return undefined;
    }),
    'Messaging.Request': named('Messaging.Request', async (payload, { actorId, provider }) => {
      const message = parseMessage(requestMessageSchema, payload);
      const timeoutMs = message.timeoutMs || provider.hostData.default_rpc_timeout_ms;
      const reply = await connectionFor(actorId).request(message.subject, message.body, timeoutMs);
      return encodeDeliveredMessage(reply);
    }),
  };
}
