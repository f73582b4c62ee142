// Oversized invocation payloads (protocol.md §3.5): they travel through the JetStream object store
// named after the lattice, under `{invocationId}` (requests) or `{invocationId}-r` (responses); the
// receiver deletes the object after reading it. The store is opened on first use, so providers
// that never see a large payload never touch JetStream.

import type { NatsConnection, ObjectStore } from '../../lattice/nats.ts';
import type { ProviderLogger } from './provider-log.ts';

/** Payloads above this many bytes go through the object store (wasmbus-rpc CHUNK_THRESHOLD_BYTES). */
export const CHUNK_THRESHOLD_BYTES = 1024 * 700;
/** Extra time a sender allows for a chunked call (wasmbus-rpc CHUNK_RPC_EXTRA_TIME). */
export const CHUNK_EXTRA_TIME_MS = 13_000;

export class ChunkStoreError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = 'ChunkStoreError';
  }
}

export class ChunkStore {
  readonly #nc: NatsConnection;
  readonly #bucket: string;
  readonly #jsDomain: string | undefined;
  readonly #log: ProviderLogger;
  #store: Promise<ObjectStore> | undefined;

  constructor(nc: NatsConnection, bucket: string, jsDomain: string | undefined, log: ProviderLogger) {
    this.#nc = nc;
    this.#bucket = bucket;
    this.#jsDomain = jsDomain === '' ? undefined : jsDomain;
    this.#log = log;
  }

  #open(): Promise<ObjectStore> {
    if (this.#store === undefined) {
      const js = this.#nc.jetstream(this.#jsDomain === undefined ? {} : { domain: this.#jsDomain });
      this.#store = js.views.os(this.#bucket).catch((error: unknown) => {
        this.#store = undefined; // try again on the next payload
        throw new ChunkStoreError(
          'CHUNK_STORE_UNAVAILABLE',
          `cannot open the object store "${this.#bucket}" for large payloads: ${(error as Error).message}`,
        );
      });
    }
    return this.#store;
  }

  /** Reads and deletes object `name`; checks it holds `expectedLength` bytes. */
  async take(name: string, expectedLength: number | bigint): Promise<Uint8Array> {
    const store = await this.#open();
    const data = await store.getBlob(name);
    if (data === null) {
      throw new ChunkStoreError(
        'CHUNK_MISSING',
        `the large payload ${name} is not in the object store "${this.#bucket}"`,
      );
    }
    store.delete(name).catch((error: unknown) => {
      this.#log.warn(`could not delete large payload ${name}: ${(error as Error).message}`);
    });
    if (BigInt(data.length) !== BigInt(expectedLength)) {
      throw new ChunkStoreError(
        'CHUNK_LENGTH_MISMATCH',
        `the large payload ${name} holds ${data.length} bytes, the message said ${expectedLength}`,
      );
    }
    return data;
  }

  /** Writes `bytes` as object `name`. */
  async put(name: string, bytes: Uint8Array): Promise<void> {
    const store = await this.#open();
    await store.putBlob({ name }, bytes);
  }
}
