// What a test asks JetStream about the streams behind buckets on a cluster (startNatsCluster): how
// many replicas each keeps, which server leads it (stream info's `cluster.leader`, a server name),
// and whether every replica has caught up after a server came back.

import type { JetStreamManager, StreamInfo } from '../../lattice/nats.ts';
import { eventually } from './eventually.ts';
import type { NatsCluster } from './nats-server.ts';

/** Stream info, asked for again until it names a leader (after a server died, one is elected). */
export async function streamWithLeader(
  jsm: JetStreamManager,
  stream: string,
  timeoutMs = 20_000,
): Promise<StreamInfo & { leaderName: string }> {
  return eventually(
    async () => {
      const info = await jsm.streams.info(stream);
      const leaderName = info.cluster?.leader;
      return leaderName ? { ...info, leaderName } : undefined;
    },
    { what: `a leader of stream ${stream}`, timeoutMs, intervalMs: 100 },
  );
}

/** The index in `cluster.servers` of the server leading `stream` now. */
export async function leaderIndex(
  jsm: JetStreamManager,
  cluster: NatsCluster,
  stream: string,
): Promise<number> {
  const { leaderName } = await streamWithLeader(jsm, stream);
  const index = cluster.servers.findIndex((server) => server.name === leaderName);
  if (index < 0) throw new Error(`stream ${stream} is led by ${leaderName}, no server of this cluster`);
  return index;
}

/**
 * Waits until each stream has a leader and `replicas` copies, every follower current: what "the
 * server is back and has caught up" means for a bucket.
 */
export async function streamsCaughtUp(
  jsm: JetStreamManager,
  streams: readonly string[],
  replicas: number,
  timeoutMs = 30_000,
): Promise<void> {
  await eventually(
    async () => {
      for (const stream of streams) {
        const info = await jsm.streams.info(stream);
        const followers = info.cluster?.replicas ?? [];
        if (!info.cluster?.leader || info.config.num_replicas !== replicas) return false;
        if (followers.length !== replicas - 1 || followers.some((peer) => !peer.current || peer.offline))
          return false;
      }
      return true;
    },
    {
      what: `streams ${streams.join(', ')} led, with ${replicas} current replicas`,
      timeoutMs,
      intervalMs: 200,
    },
  );
}
