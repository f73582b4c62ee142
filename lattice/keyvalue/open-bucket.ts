// Opens a link's JetStream KV bucket on a NATS connection, binding to an existing bucket as it is
// or creating a missing one (one revision per key); a NATS without JetStream, or a bucket that
// cannot be opened, is a coded error naming where. Used by providers/keyvalue and the host's
// built-in keyvalue.

import { errorCode, errorMessage } from '../errors.ts';
import type { KV, NatsConnection } from '../nats.ts';
import { KeyValueError } from './errors.ts';
import type { KeyValueLinkSettings } from './link-settings.ts';

export async function openBucket(
  nc: NatsConnection,
  settings: KeyValueLinkSettings,
  where: string,
): Promise<KV> {
  const js = nc.jetstream(settings.jsDomain ? { domain: settings.jsDomain } : {});
  try {
    return await js.views.kv(settings.bucket, { history: 1 });
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
