// An actor's key as a JetStream KV key. KV keys allow only `[-/_=.A-Za-z0-9]` (dots split subject
// tokens), while actors use any string ("user:42", "a b"). Keys of letters, digits, `_` and `-`
// are stored as they are, so a bucket stays readable with `nats kv`; any other key is stored as
// `=` + base64url of its UTF-8 bytes. `=` never starts a plain key, so the two cannot collide.

import { KeyValueError } from './errors.ts';

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;
const ENCODED_PREFIX = '=';
/** A KV key is a subject; keep well under the server's 4 KiB control-line limit. */
export const MAX_KEY_BYTES = 1024;

/** An actor's key that cannot be a KV key (empty, too long). */
export class KeyvalueKeyError extends KeyValueError {
  constructor(message: string, options?: ErrorOptions) {
    super('KEYVALUE_KEY_INVALID', message, options);
  }
}

/** The KV key for `key`; throws a KeyvalueKeyError for an empty or oversized key. */
export function kvKeyFor(key: string): string {
  if (key === '') throw new KeyvalueKeyError('the key is empty');
  const bytes = Buffer.from(key, 'utf8');
  if (bytes.length > MAX_KEY_BYTES) {
    throw new KeyvalueKeyError(`the key is ${bytes.length} bytes long; at most ${MAX_KEY_BYTES} are allowed`);
  }
  return PLAIN_KEY.test(key) ? key : `${ENCODED_PREFIX}${bytes.toString('base64url')}`;
}
