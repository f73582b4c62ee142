// The JetStream KV buckets the controller keeps (wadm.md §4 names `wadm_manifests`), shared by
// every replica and every lattice (keys start with the lattice prefix): how they are opened, and
// how a revision-checked write that lost a race is told apart from any other failure.

import { errorMessage } from '../lattice/errors.ts';
import { openReplicatedKv, type ReplicaSettings } from '../lattice/jetstream-replicas.ts';
import type { KV, NatsConnection } from '../lattice/nats.ts';
import { ControllerError } from './errors.ts';

/** Manifests: per application an index (versions, deployed version) and one key per version. */
export const MANIFESTS_BUCKET = 'wadm_manifests';
/** The leader's latest status of each deployed application, for replicas that do not lead. */
export const STATUS_BUCKET = 'wadm_status';
/** The leadership lease, one key per lattice. */
export const LEASES_BUCKET = 'wadm_leases';

/** A bucket could not be opened, read or written. */
export class ControllerStoreError extends ControllerError {}

/** JetStream's error code for a write whose expected revision is not the key's last one. */
const WRONG_LAST_SEQUENCE = 10071;

/** Whether a revision-checked write (create, update, delete with previousSeq) lost to another writer. */
export function isRevisionConflict(error: unknown): boolean {
  const apiError = (error as { api_error?: { err_code?: unknown } } | undefined)?.api_error;
  return apiError?.err_code === WRONG_LAST_SEQUENCE;
}

export interface OpenBucketOptions {
  jsDomain?: string | undefined;
  /** WASMCLOUD_JS_REPLICAS, and where raising an existing bucket's replicas is told (lattice/jetstream-replicas.ts). */
  replicas?: ReplicaSettings;
  /** Give up after this long (a fresh JetStream cluster answers only once it has a leader). */
  timeoutMs?: number;
}

/**
 * Opens a bucket, creating it when missing (on min(3, servers) NATS servers unless told otherwise,
 * raising one kept on fewer), retrying for a while: replicas starting together race
 * to create it, and a JetStream that has just started may not answer yet. Reads are not served
 * directly by stream replicas (`allow_direct: false`): a replica answering a request must see what
 * another replica wrote the moment before (a put, then a deploy answered elsewhere).
 */
export async function openBucket(
  nc: NatsConnection,
  name: string,
  options: OpenBucketOptions = {},
): Promise<KV> {
  const js = nc.jetstream(options.jsDomain ? { domain: options.jsDomain } : {});
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    try {
      return await openReplicatedKv(js, nc, name, { history: 1, allow_direct: false }, options.replicas);
    } catch (error) {
      if (Date.now() > deadline || nc.isClosed()) {
        throw new ControllerStoreError(
          'CONTROLLER_BUCKET_UNAVAILABLE',
          `cannot open the JetStream KV bucket ${name} (is JetStream enabled${options.jsDomain ? ` in domain ${options.jsDomain}` : ''}?): ${errorMessage(error)}`,
          { cause: error },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250)); // JetStream not ready yet: try again
    }
  }
}
