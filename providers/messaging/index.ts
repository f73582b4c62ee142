// The NATS messaging capability provider (`wasmcloud:messaging`, protocol.md §7.2): one NATS
// connection per linked actor, configured by the link's values. See docs/providers.md, "messaging".

import { messagingLinkSettings } from '../../lattice/messaging/link-settings.ts';
import type { NatsConnection } from '../../lattice/nats.ts';
import { ProviderError } from '../sdk/errors.ts';
import { startProvider } from '../sdk/mod.ts';
import { ActorConnection } from './actor-connection.ts';
import { messagingOperations } from './operations.ts';

const connections = new Map<string, ActorConnection>();

function connectionFor(actorId: string): NatsConnection {
  const connection = connections.get(actorId);
  if (connection === undefined)
    throw new ProviderError('MESSAGING_NOT_LINKED', `actor ${actorId} has no NATS connection`);
  return connection.nc;
}

async function close(actorId: string): Promise<void> {
  const connection = connections.get(actorId);
  connections.delete(actorId);
  await connection?.close();
}

await startProvider({
  operations: messagingOperations(connectionFor),
  async linkPut(link, provider) {
    const settings = messagingLinkSettings(link.values);
    connections.set(link.actor_id, await ActorConnection.open(link, settings, provider));
  },
  linkDel: (link) => close(link.actor_id),
  async shutdown() {
    await Promise.allSettled([...connections.keys()].map(close));
  },
});
