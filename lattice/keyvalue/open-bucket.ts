// Opens a link's JetStream KV bucket on a NATS connection, binding to an existing bucket or creating
// a missing one (one revision per key) with the lattice's replica rule (an existing bucket with fewer
// replicas is raised, lattice/jetstream-replicas.ts); a NATS without JetStream, or a bucket that
// cannot be opened, is a coded error naming where. Used by providers/keyvalue and the host's
// built-in keyvalue.

import { errorCode, errorMessage } from '../errors.ts';
import { openReplicatedKv } from '../jetstream-replicas.ts';
import type { Logger } from '../log.ts';
import type { KV, NatsConnection } from '../nats.ts';
import { KeyValueError } from './errors.ts';
import type { KeyValueLinkSettings } from './link-settings.ts';

export async function openBucket(
  nc: NatsConnection,
  settings: KeyValueLinkSettings,
  where: string,
  log?: Pick<Logger, 'info' | 'warn'>,
): Promise<KV> {
  const js = nc.jetstream(settings.jsDomain ? { domain: settings.jsDomain } : {});
  try {
    return await openReplicatedKv(
      js,
      nc,
      settings.bucket,
      { history: 1 },
      { setting: settings.jsReplicas, log },
    );
  } catch (error) {
    const code = errorCode(error);
    if (code === '503' || code === 'TIMEOUT') {
      throw new KeyValueError(
        'KEYVALUE_NO_JETSTREAM',
        `JetStream is not enabled on the NATS server at ${where} (no JetStream API answered)`,
        { cause: error },
      );
    }
    throw new KeyValueError(
      'KEYVALUE_BUCKET_UNAVAILABLE',
      `cannot open KV bucket ${settings.bucket} at ${where}: ${errorMessage(error)}`,
      { cause: error },
    );
  }
}
