// One bucket as the operations see it: read a key (expired strings read as absent), and change a
// key without losing a concurrent writer's update. A change reads the entry and its revision,
// decides, and writes only if the key is still at that revision (JetStream's expected last
// subject sequence); when another writer got there first the server refuses ("wrong last
// sequence") and the change is read and decided again. This holds across any number of
// provider processes sharing the bucket.

import type { KV } from '../nats.ts';
import { KeyValueError } from './errors.ts';
import { kvKeyFor } from './key-codec.ts';
import { decodeStoredValue, encodeStoredValue, isExpired, type StoredValue } from './stored-value.ts';

/** A key as read: its value (undefined when absent, deleted or expired) and revision. */
export interface Snapshot {
  value: StoredValue | undefined;
  /** The key's last revision, deletions included; 0 when it was never written. */
  revision: number;
  /** True when the last entry is a value (possibly expired), not a deletion. */
  stored: boolean;
}

/** What a change decided: the key's new value, its deletion, or nothing; and the operation's result. */
export interface Change<T> {
  write: StoredValue | 'delete' | 'nothing';
  result: T;
}

/** JetStream's error code for a publish whose expected last subject sequence did not hold. */
const WRONG_LAST_SEQUENCE = 10071;
/** How often a change is retried against concurrent writers before it gives up. */
export const MAX_CHANGE_ATTEMPTS = 100;

/** A change that lost to concurrent writers on every attempt. */
export class ConflictError extends KeyValueError {
  constructor(message: string, options?: ErrorOptions) {
    super('KEYVALUE_CONFLICT', message, options);
  }
}

function isConflict(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('api_error' in error)) return false;
  const apiError = (error as { api_error?: { err_code?: unknown } }).api_error;
  return apiError?.err_code === WRONG_LAST_SEQUENCE;
}

/** A short random pause, growing with the attempt, so racing writers spread out. */
function backOff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(50, 2 * attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class BucketStore {
  readonly #kv: KV;
  readonly #now: () => number;

  constructor(kv: KV, now: () => number = Date.now) {
    this.#kv = kv;
    this.#now = now;
  }

  async read(key: string): Promise<Snapshot> {
    const entry = await this.#kv.get(kvKeyFor(key));
    if (entry === null) return { value: undefined, revision: 0, stored: false };
    if (entry.operation !== 'PUT') return { value: undefined, revision: entry.revision, stored: false };
    const value = decodeStoredValue(entry.value);
    return {
      value: isExpired(value, this.#now()) ? undefined : value,
      revision: entry.revision,
      stored: true,
    };
  }

  /** The key's value; an expired string is deleted on the way (if nobody rewrote it meanwhile). */
  async get(key: string): Promise<StoredValue | undefined> {
    const snapshot = await this.read(key);
    if (snapshot.stored && snapshot.value === undefined) {
      // Fails when someone rewrote the key meanwhile (their value stands) or the bucket is gone:
      // either way the key reads as absent, and the next read tries the clean-up again.
      await this.#kv.delete(kvKeyFor(key), { previousSeq: snapshot.revision }).catch(() => undefined);
    }
    return snapshot.value;
  }

  /** Overwrites the key whatever it held (Redis SET). */
  async put(key: string, value: StoredValue): Promise<void> {
    await this.#kv.put(kvKeyFor(key), encodeStoredValue(value));
  }

  /**
   * Reads the key, lets `decide` choose the write, and makes it only if the key is unchanged;
   * otherwise reads and decides again (up to MAX_CHANGE_ATTEMPTS times). `decide` must be pure.
   */
  async change<T>(key: string, decide: (current: StoredValue | undefined) => Change<T>): Promise<T> {
    const kvKey = kvKeyFor(key);
    for (let attempt = 1; ; attempt++) {
      const snapshot = await this.read(key);
      const { write, result } = decide(snapshot.value);
      try {
        if (write === 'delete') {
          if (snapshot.stored) await this.#kv.delete(kvKey, { previousSeq: snapshot.revision });
        } else if (write !== 'nothing') {
          const bytes = encodeStoredValue(write);
          if (snapshot.revision === 0) await this.#kv.create(kvKey, bytes);
          else await this.#kv.update(kvKey, bytes, snapshot.revision);
        }
        return result;
      } catch (error) {
        if (!isConflict(error)) throw error;
        if (attempt >= MAX_CHANGE_ATTEMPTS) {
          throw new ConflictError(
            `key ${JSON.stringify(key)} kept changing under ${MAX_CHANGE_ATTEMPTS} attempts to update it`,
          );
        }
        await backOff(attempt);
      }
    }
  }
}
