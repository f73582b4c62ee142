// WASMCLOUD_JS_REPLICAS as the host and the controller read it (jetstream-replicas.ts applies it).
// Apart from jetstream-replicas.ts because it is a zod schema: the actor workers load that file
// (lattice/chunking.ts) and no zod, which costs each worker ~1 MB of heap (docs/host.md, "What an
// idle host costs").

import { z } from 'zod';
import { MOST_REPLICAS } from './jetstream-replicas.ts';

/** WASMCLOUD_JS_REPLICAS as the host, the controller and providers read it: 1 to 5. */
export const jsReplicasText = z
  .string()
  .trim()
  .regex(/^\d+$/, 'expected a whole number of replicas')
  .transform(Number)
  .pipe(
    z
      .number()
      .int()
      .min(1, 'must be at least 1')
      .max(MOST_REPLICAS, `must be at most ${MOST_REPLICAS} (JetStream's limit)`),
  );
