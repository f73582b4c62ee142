// The provider's operation handlers: Messaging.Publish and Messaging.Request
// (lattice/messaging/operations.ts, shared with the host's built-in messaging) on the calling
// actor's own connection; a Request's timeoutMs of 0 means the host's RPC timeout (HostData).

import { MESSAGING_OPERATIONS, messagingOperation } from '../../lattice/messaging/operations.ts';
import type { NatsConnection } from '../../lattice/nats.ts';
import type { OperationHandler } from '../sdk/mod.ts';

export type ConnectionFor = (actorId: string) => NatsConnection;

export function messagingOperations(connectionFor: ConnectionFor): Record<string, OperationHandler> {
  const operations: Record<string, OperationHandler> = {};
  for (const operation of MESSAGING_OPERATIONS) {
    const run = messagingOperation(operation);
    if (run !== undefined)
      operations[operation] = (payload, { actorId, provider }) =>
        run(payload, connectionFor(actorId), provider.hostData.default_rpc_timeout_ms);
  }
  return operations;
}
