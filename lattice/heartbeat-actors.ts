// The actors of a heartbeat at any size (docs/host.md, "Heartbeats at scale"). The 2022 `actors`
// list grows with every instance, so our hosts cut it to fit NATS' max_payload and add two fields:
// `actor_counts` (`{actor key: instances}`, the OTP 0.60 form, while it fits) and `actor_summary`
// (how many actors and instances, and a digest of every count), which always fits. Readers (the
// dashboard, the controller) compare a heartbeat with the inventory they hold through
// `heartbeatAgreesWith`, which uses the most exact of these the heartbeat carries.

import { createHash } from 'node:crypto';
import { type HostHeartbeatData, heartbeatActorCounts } from './events.ts';

export type HeartbeatActorSummary = NonNullable<HostHeartbeatData['actor_summary']>;

/**
 * The summary of `counts` (actor key → instances); actors with 0 instances (dormant) are left
 * out, as the 2022 list leaves them out. The digest is SHA-256 over the sorted `key=count` lines,
 * base64url, so any host and reader computes the same one for the same picture.
 */
export function actorSummaryOf(counts: Iterable<readonly [string, number]>): HeartbeatActorSummary {
  const running: Array<readonly [string, number]> = [];
  let instances = 0;
  for (const entry of counts) {
    if (entry[1] <= 0) continue;
    running.push(entry);
    instances += entry[1];
  }
  running.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = createHash('sha256');
  for (const [key, count] of running) hash.update(`${key}=${count}\n`);
  return { actors: running.length, instances, digest: hash.digest('base64url') };
}

/**
 * Whether a heartbeat reports the instances per actor in `counts` (what an inventory or a picture
 * kept from events says; entries at 0 are ignored). `actor_counts` is compared entry by entry,
 * else `actor_summary` by its digest, else the 2022 `actors` (a list, or OTP 0.60's map).
 */
export function heartbeatAgreesWith(
  heartbeat: Pick<HostHeartbeatData, 'actors' | 'actor_counts' | 'actor_summary'>,
  counts: ReadonlyMap<string, number>,
): boolean {
  if (heartbeat.actor_counts === undefined && heartbeat.actor_summary !== undefined) {
    const mine = actorSummaryOf(counts);
    const theirs = heartbeat.actor_summary;
    return (
      mine.actors === theirs.actors && mine.instances === theirs.instances && mine.digest === theirs.digest
    );
  }
  const reported = Object.entries(heartbeat.actor_counts ?? heartbeatActorCounts(heartbeat)).filter(
    ([, count]) => count > 0,
  );
  let expected = 0;
  for (const count of counts.values()) if (count > 0) expected += 1;
  return reported.length === expected && reported.every(([key, count]) => counts.get(key) === count);
}
