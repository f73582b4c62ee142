// The host's heartbeat (protocol.md §2.3): at start, every 30 s, and after each ping, in the OTP 0.57
// form (actor instances and providers listed), so a dashboard can rebuild the lattice from it.
//
// The 2022 list grows with every instance; at 20,000 it outgrew NATS' 1 MiB max_payload and the
// host went silent. So a heartbeat is built to a byte budget (docs/host.md, "Heartbeats at scale"):
// `actor_summary` always (a few hundred bytes, the whole picture as a digest), `actor_counts` (one
// entry per actor) while it fits in three quarters of what is left, and the 2022 `actors` list cut
// to the rest. Building costs one pass over the actors plus the instances listed, never all of them.

import type { HostHeartbeatData } from '../lattice/events.ts';
import { actorSummaryOf } from '../lattice/heartbeat-actors.ts';
import type { RunningActor } from './actors/actor-supervisor.ts';
import { uptimeSeconds } from './control/queries.ts';
import type { ControlContext } from './control/types.ts';
import type { EventPublisher } from './events.ts';
import { HOST_VERSION, humanUptime } from './version.ts';

export const HEARTBEAT_INTERVAL_MS = 30_000;

/** The largest heartbeat a host publishes, whatever the server allows (issue 19's target). */
export const HEARTBEAT_MAX_BYTES = 64 * 1024;
/** Room kept for the CloudEvent envelope (id, time, source, type) and `actor_summary`. */
const ENVELOPE_ROOM_BYTES = 1024;
/** What one 2022 list entry adds besides its two strings. */
const LIST_ENTRY_FRAME_BYTES = '{"public_key":"","instance_id":""},'.length;

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/** What a heartbeat tells of: the host, its actors' instances, its providers. */
export interface HeartbeatSources {
  host: ControlContext['host'];
  actors: { running(): Array<Pick<RunningActor, 'id' | 'instances'>> };
  providers: Pick<ControlContext['providers'], 'running'>;
}

/** The heartbeat's data, at most `min(HEARTBEAT_MAX_BYTES, maxPayload)` bytes once in its envelope. */
export function heartbeatData(context: HeartbeatSources, maxPayload: number): HostHeartbeatData {
  const uptime = uptimeSeconds(context.host);
  const data: HostHeartbeatData = {
    actors: [],
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
  };
  const running = context.actors.running().filter((actor) => actor.instances.length > 0);
  const counts = running.map((actor) => [actor.id, actor.instances.length] as const);
  data.actor_summary = actorSummaryOf(counts);
  let left = Math.min(HEARTBEAT_MAX_BYTES, maxPayload) - ENVELOPE_ROOM_BYTES - jsonBytes(data);

  let countsBytes = 2;
  for (const [key, count] of counts) countsBytes += key.length + 4 + String(count).length;
  if (countsBytes <= (left * 3) / 4) {
    data.actor_counts = Object.fromEntries(counts);
    left -= countsBytes + '"actor_counts":,'.length;
  }

  const listed: Array<{ public_key: string; instance_id: string }> = [];
  fill: for (const actor of running) {
    for (const instance of actor.instances) {
      left -= actor.id.length + instance.instanceId.length + LIST_ENTRY_FRAME_BYTES;
      if (left < 0) break fill;
      listed.push({ public_key: actor.id, instance_id: instance.instanceId });
    }
  }
  data.actors = listed;
  return data;
}

export function publishHeartbeat(
  context: HeartbeatSources,
  events: EventPublisher,
  maxPayload: number,
): void {
  events.publish('host_heartbeat', heartbeatData(context, maxPayload));
}
