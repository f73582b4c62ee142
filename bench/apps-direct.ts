// The baseline of `npm run bench -- apps`: the application's instances started without the
// controller, with ControlClient, as a script of `wash ctl start actor` would (minus wash's own
// start-up): one `la` of one instance per actor per host, each outcome read from the lattice's
// events. Either one at a time, each awaiting its actor_started, or all at once, then awaiting
// them together. And stopping them again (`sa` of every instance), for the next round.

import type { ControlClient } from '../lattice/control-client.ts';
import { type CloudEvent, isEventOf } from '../lattice/events.ts';
import type { BenchActor } from './apps-fixture.ts';

export type DirectMode = 'one at a time' | 'all at once';

const OUTCOME_LIMIT_MS = 60_000;

/** true once `actorKey` started on `hostId`; throws if the host says the start failed. */
function started(hostId: string, actorKey: string) {
  return (event: CloudEvent): true | undefined => {
    if (event.source !== hostId) return undefined;
    if (isEventOf(event, 'actor_started') && event.data.public_key === actorKey) return true;
    if (isEventOf(event, 'actor_start_failed'))
      throw new Error(`actor ${actorKey} could not start on ${hostId}: ${event.data.error}`);
    return undefined;
  };
}

function stopped(hostId: string, actorKey: string) {
  return (event: CloudEvent): true | undefined =>
    event.source === hostId && isEventOf(event, 'actor_stopped') && event.data.public_key === actorKey
      ? true
      : undefined;
}

/**
 * Starts one instance of each actor on each host; resolves once every one has started. The event
 * stream is its own, opened first: no outcome can be missed, none of an earlier run mistaken for one.
 */
export async function startDirectly(
  client: ControlClient,
  hostIds: readonly string[],
  actors: readonly BenchActor[],
  mode: DirectMode,
  annotations: Record<string, string> = {},
): Promise<void> {
  const starts = actors.flatMap((actor) => hostIds.map((hostId) => ({ actor, hostId })));
  const stream = await client.subscribeEvents();
  try {
    if (mode === 'one at a time') {
      for (const { actor, hostId } of starts) {
        await client.startActor(hostId, actor.path, 1, annotations);
        await stream.waitFor(started(hostId, actor.key), OUTCOME_LIMIT_MS, `actor_started of ${actor.name}`);
      }
      return;
    }
    await Promise.all(
      starts.map(({ actor, hostId }) => client.startActor(hostId, actor.path, 1, annotations)),
    );
    await Promise.all(
      starts.map(({ actor, hostId }) =>
        stream.waitFor(started(hostId, actor.key), OUTCOME_LIMIT_MS, `actor_started of ${actor.name}`),
      ),
    );
  } finally {
    stream.close();
  }
}

/** Stops every instance of each actor on each host (one instance each, as started above). */
export async function stopDirectly(
  client: ControlClient,
  hostIds: readonly string[],
  actors: readonly BenchActor[],
): Promise<void> {
  const stops = actors.flatMap((actor) => hostIds.map((hostId) => ({ actor, hostId })));
  const stream = await client.subscribeEvents();
  try {
    await Promise.all(stops.map(({ actor, hostId }) => client.stopActor(hostId, actor.key, 0)));
    await Promise.all(
      stops.map(({ actor, hostId }) =>
        stream.waitFor(stopped(hostId, actor.key), OUTCOME_LIMIT_MS, `actor_stopped of ${actor.name}`),
      ),
    );
  } finally {
    stream.close();
  }
}
