// Large invocation payloads (protocol.md §3.5): above 700 KB the bytes go to the JetStream object
// store named after the lattice, as object `{invocationId}` (requests) or `{invocationId}-r`
// (responses); the message then carries an empty `msg` and the real `content_length`. The receiver
// reads the object and deletes it. Hosts and providers share this code. The store is created with
// the lattice's replica rule (jetstream-replicas.ts), so a chunked call survives one NATS server.
// Control replies over max_payload (control-chunking.ts) go to the same store. An object nobody
// reads (its caller timed out, or died) expires: the store's stream keeps messages CHUNK_OBJECT_TTL_MS
// (its max_age), far longer than any call or control request waits for one; a store made without
// an expiry (by an older host, or a 2022 host, which set none) gets it when opened.

import { errorMessage, LatticeError, type LatticeErrorCode } from './errors.ts';
import { openReplicatedObjectStore, type ReplicaSettings } from './jetstream-replicas.ts';
import type { JetStreamClient, NatsConnection, ObjectStore } from './nats.ts';
import type { LatticeSubjects } from './subjects.ts';

/** Payloads larger than this travel through the object store (rpc-rs `CHUNK_THRESHOLD_BYTES`). */
export const CHUNK_THRESHOLD_BYTES = 700 * 1024;
/** Above this the RPC timeout is raised to LARGE_PAYLOAD_TIMEOUT_MS (OTP's 900 KB rule). */
export const LARGE_PAYLOAD_BYTES = 900 * 1024;
export const LARGE_PAYLOAD_TIMEOUT_MS = 15_000;
/** Added to the timeout of a chunked call, for the object store round trips (rpc-rs). */
export const CHUNK_EXTRA_TIMEOUT_MS = 13_000;

/**
 * How long an object stays in the store when nobody takes it: past the longest wait for one (a
 * chunked call's RPC timeout plus CHUNK_EXTRA_TIMEOUT_MS; a control client's timeout).
 */
export const CHUNK_OBJECT_TTL_MS = 10 * 60_000;

const NANOS_PER_MS = 1_000_000;

/** A chunked payload that is not in the object store as announced. */
export class ChunkedPayloadError extends LatticeError<LatticeErrorCode> {}

export class ChunkStore {
  readonly #nc: NatsConnection;
  readonly #subjects: LatticeSubjects;
  readonly #jsDomain: string | undefined;
  readonly #replicas: ReplicaSettings;
  readonly #ttlMs: number;
  #store: Promise<ObjectStore> | undefined;

  constructor(
    nc: NatsConnection,
    subjects: LatticeSubjects,
    jsDomain?: string,
    replicas: ReplicaSettings = {},
    /** How long an unread object stays (tests shorten it); CHUNK_OBJECT_TTL_MS by default. */
    objectTtlMs = CHUNK_OBJECT_TTL_MS,
  ) {
    this.#nc = nc;
    this.#subjects = subjects;
    this.#jsDomain = jsDomain;
    this.#replicas = replicas;
    this.#ttlMs = objectTtlMs;
  }

  // Opened on first use: most lattices never send a payload this large.
  #open(): Promise<ObjectStore> {
    if (!this.#store) {
      const js = this.#nc.jetstream(this.#jsDomain ? { domain: this.#jsDomain } : {});
      this.#store = openReplicatedObjectStore(
        js,
        this.#nc,
        this.#subjects.chunking.bucket,
        { ttl: this.#ttlMs * NANOS_PER_MS },
        this.#replicas,
      ).then(async (store) => {
        await this.#giveExpiry(js, store);
        return store;
      });
      this.#store.catch(() => {
        this.#store = undefined;
      });
    }
    return this.#store;
  }

  /**
   * Gives a store that keeps objects forever (made before objects expired, or by a 2022 host) the
   * expiry; an expiry someone chose is kept. A failure (no right to update streams) leaves the
   * store working as it is.
   */
  async #giveExpiry(js: JetStreamClient, store: ObjectStore): Promise<void> {
    const { config } = (await store.status()).streamInfo;
    if (config.max_age !== 0) return;
    const maxAge = this.#ttlMs * NANOS_PER_MS;
    try {
      const jsm = await js.jetstreamManager();
      // JetStream refuses a duplicate window longer than the messages' age.
      await jsm.streams.update(config.name, {
        max_age: maxAge,
        duplicate_window: Math.min(config.duplicate_window, maxAge),
      });
      this.#replicas.log?.info(
        `JetStream stream ${config.name}: unread objects now expire after ${this.#ttlMs / 1000} s (they never did)`,
      );
    } catch (error) {
      this.#replicas.log?.warn(
        `cannot give JetStream stream ${config.name} an expiry: unread objects stay until deleted (${errorMessage(error)})`,
      );
    }
  }

  async putRequest(invocationId: string, bytes: Uint8Array): Promise<void> {
    const store = await this.#open();
    await store.putBlob({ name: this.#subjects.chunking.requestObject(invocationId) }, bytes);
  }

  async putResponse(invocationId: string, bytes: Uint8Array): Promise<void> {
    const store = await this.#open();
    await store.putBlob({ name: this.#subjects.chunking.responseObject(invocationId) }, bytes);
  }

  /** Writes `stream` as object `name` without holding it whole; resolves with its size in bytes. */
  async putStream(name: string, stream: ReadableStream<Uint8Array>): Promise<number> {
    const store = await this.#open();
    const info = await store.put({ name }, stream);
    return info.size;
  }

  /** Reads and deletes object `name`; throws when it is missing or not `contentLength` bytes. */
  takeObject(name: string, contentLength: number): Promise<Uint8Array> {
    return this.#take(name, contentLength);
  }

  /** Reads and deletes a request's payload; throws when it is missing or not the announced size. */
  takeRequest(invocationId: string, contentLength: number): Promise<Uint8Array> {
    return this.#take(this.#subjects.chunking.requestObject(invocationId), contentLength);
  }

  takeResponse(invocationId: string, contentLength: number): Promise<Uint8Array> {
    return this.#take(this.#subjects.chunking.responseObject(invocationId), contentLength);
  }

  async #take(name: string, contentLength: number): Promise<Uint8Array> {
    const store = await this.#open();
    const bytes = await store.getBlob(name);
    if (bytes === null)
      throw new ChunkedPayloadError(
        'CHUNK_MISSING',
        `chunked payload ${name} is missing from the object store`,
      );
    // Read already: a payload left behind only takes room until the bucket's TTL removes it.
    await store.delete(name).catch(() => undefined);
    if (bytes.length !== contentLength) {
      throw new ChunkedPayloadError(
        'CHUNK_SIZE_MISMATCH',
        `chunked payload ${name} holds ${bytes.length} bytes, ${contentLength} were announced`,
      );
    }
    return bytes;
  }
}

/** The RPC timeout for a payload of this size (§3.4, §3.5). */
export function rpcTimeoutFor(payloadBytes: number, baseTimeoutMs: number): number {
  if (payloadBytes > CHUNK_THRESHOLD_BYTES) {
    return (
      Math.max(baseTimeoutMs, payloadBytes > LARGE_PAYLOAD_BYTES ? LARGE_PAYLOAD_TIMEOUT_MS : 0) +
      CHUNK_EXTRA_TIMEOUT_MS
    );
  }
  return baseTimeoutMs;
}
