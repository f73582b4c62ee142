// The keyvalue capability provider (`wasmcloud:keyvalue`, protocol.md §13) on NATS JetStream KV:
// one bucket per link (link value BUCKET, default the actor's key), on the lattice's NATS or the
// one a URI link value names. See docs/providers.md, "keyvalue".

import { startProvider } from '../sdk/mod.ts';
import { LinkedBuckets } from './linked-buckets.ts';
import { keyValueOperations } from './operations.ts';

const buckets = new LinkedBuckets();

await startProvider({
  operations: keyValueOperations((actorId) => buckets.storeFor(actorId)),
  linkPut: (link, provider) => buckets.open(link, provider),
  linkDel: (link) => buckets.close(link.actor_id),
  shutdown: () => buckets.closeAll(),
});
