// The actors of a heartbeat at any size (docs/host.md, "Heartbeats at scale"). The 2022 `actors`
// list grows with every instance, so our hosts cut it to fit NATS' max_payload and add two fields:
// `actor_counts` (`{actor key: instances}`, the OTP 0.60 form, while it fits) and `actor_summary`
// (how many actors and instances, and a digest of every count), which always fits. Readers (the
// dashboard, the controller) compare a heartbeat with the inventory they hold through
// `heartbeatAgreesWith`, which uses the most exact of these the heartbeat carries.

import { type HostHeartbeatData, heartbeatActorCounts } from './events.ts';

export type HeartbeatActorSummary = NonNullable<HostHeartbeatData['actor_summary']>;

/** FNV-1a over `text` from `basis`, then murmur3's finaliser so nearby inputs spread. */
function entryHash(text: string, basis: number): number {
  let hash = basis;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

/**
 * The summary of `counts` (actor key → instances); actors with 0 instances (dormant) are left
 * out, as the 2022 list leaves them out. The digest is the sum, in two 32-bit lanes, of a hash of
 * each `key=count`: the same for the same picture in any order, so nothing is sorted and a host of
 * 10,000 actors builds it in a few milliseconds. It tells a reader when to read the inventory
 * again; it is not a security check (a host vouches for its own heartbeat anyway).
 */
export function actorSummaryOf(counts: Iterable<readonly [string, number]>): HeartbeatActorSummary {
  let actors = 0;
  let instances = 0;
  let low = 0;
  let high = 0;
  for (const [key, count] of counts) {
    if (count <= 0) continue;
    actors += 1;
    instances += count;
    const entry = `${key}=${count}`;
    low = (low + entryHash(entry, 0x811c9dc5)) >>> 0;
    high = (high + entryHash(entry, 0x050c5d1f)) >>> 0;
  }
  const digest = high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0');
  return { actors, instances, digest };
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
