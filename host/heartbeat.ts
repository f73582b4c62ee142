// The host's heartbeat (protocol.md §2.3): at start, every 30 s, and after each ping, in the OTP 0.57
// form (actor instances and providers listed), so a dashboard can rebuild the lattice from it.

import { uptimeSeconds } from './control/queries.ts';
import type { ControlContext } from './control/types.ts';
import type { EventPublisher } from './events.ts';
import { HOST_VERSION, humanUptime } from './version.ts';

export const HEARTBEAT_INTERVAL_MS = 30_000;

export function publishHeartbeat(
  context: Pick<ControlContext, 'host' | 'actors' | 'providers'>,
  events: EventPublisher,
): void {
  const uptime = uptimeSeconds(context.host);
  events.publish('host_heartbeat', {
    actors: context.actors
      .running()
      .flatMap((actor) =>
        actor.instances.map((instance) => ({ public_key: actor.id, instance_id: instance.instanceId })),
      ),
    providers: context.providers.running().map((provider) => ({
      public_key: provider.id,
      link_name: provider.linkName,
      contract_id: provider.contractId,
      instance_id: provider.instanceId,
    })),
    labels: context.host.labels,
    friendly_name: context.host.friendlyName,
    version: HOST_VERSION,
    uptime_seconds: uptime,
    uptime_human: humanUptime(uptime),
  });
}
