// Large invocation payloads (protocol.md §3.5): above 700 KB the bytes go to the JetStream object
// store named after the lattice, as object `{invocationId}` (requests) or `{invocationId}-r`
// (responses); the message then carries an empty `msg` and the real `content_length`. The receiver
// reads the object and deletes it. Hosts and providers share this code. The store is created with
// the lattice's replica rule (jetstream-replicas.ts), so a chunked call survives one NATS server.
// Control replies over max_payload (control-chunking.ts) go to the same store. An object nobody
// reads (its caller timed out, or died) expires: the store's stream keeps messages CHUNK_OBJECT_TTL_MS
// (its max_age), far longer than any call or control request waits for one; a store made without
// an expiry (by an older host, or a 2022 host, which set none) gets it when opened.
//
// Objects are written and read here, in the object store's own format (JetStream ADR-20: chunks on
// `$O.{bucket}.C.{nuid}`, then a metadata record on `$O.{bucket}.M.{name}`), which the NATS client
// and a 2022 host read and write alike: the client's own put and get hash every byte with a
// SHA-256 written in JavaScript (~40 MB/s here, 300 ms for a 6 MB inventory at each end); this
// hashes with node:crypto, and reads chunk by chunk with message-get requests. Names are never reused (invocation IDs, random reply names), so a
// write does not look for an earlier object of the same name.

import { createHash, randomUUID } from 'node:crypto';
import { errorMessage, LatticeError, type LatticeErrorCode } from './errors.ts';
import { openReplicatedObjectStore, type ReplicaSettings } from './jetstream-replicas.ts';
import {
  headers,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
  type ObjectStore,
} from './nats.ts';

type MsgRequest = Parameters<JetStreamManager['streams']['getMessage']>[1];

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
/** The object store's chunk size (the NATS client's default), or the server's max_payload if smaller. */
const CHUNK_BYTES = 128 * 1024;
/** The digest's prefix in an object's metadata: the only kind the NATS clients read. */
const DIGEST_TYPE = 'SHA-256=';

/**
 * The request for the first message at or after `seq` on `subject` (JetStream's `next_by_subj`,
 * NATS 2.9); the client's types know it only for direct gets, which a lagging replica may answer.
 */
function nextOnSubject(seq: number, subject: string): MsgRequest {
  const request: { seq: number; next_by_subj: string } = { seq, next_by_subj: subject };
  return request as unknown as MsgRequest;
}

/** base64url with its padding, as the object store encodes names and digests. */
function base64UrlPadded(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('base64url');
  return text.padEnd(Math.ceil(text.length / 4) * 4, '=');
}

/** A chunked payload that is not in the object store as announced. */
export class ChunkedPayloadError extends LatticeError<LatticeErrorCode> {}

export class ChunkStore {
  readonly #nc: NatsConnection;
  readonly #subjects: LatticeSubjects;
  readonly #jsDomain: string | undefined;
  readonly #replicas: ReplicaSettings;
  readonly #ttlMs: number;
  #store: Promise<ObjectStore> | undefined;
  #js: JetStreamClient | undefined;

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
      this.#js = js;
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
    await this.#write(this.#subjects.chunking.requestObject(invocationId), [bytes]);
  }

  async putResponse(invocationId: string, bytes: Uint8Array): Promise<void> {
    await this.#write(this.#subjects.chunking.responseObject(invocationId), [bytes]);
  }

  /** Writes `stream` as object `name` without holding it whole; resolves with its size in bytes. */
  putStream(name: string, stream: ReadableStream<Uint8Array>): Promise<number> {
    return this.#write(name, stream);
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

  /**
   * Writes object `name`: its chunks, published at once and then awaited, then the metadata that
   * makes it visible (a reader never sees it half written). Resolves with its size.
   */
  async #write(name: string, parts: Iterable<Uint8Array> | ReadableStream<Uint8Array>): Promise<number> {
    await this.#open();
    const js = this.#js!;
    const bucket = this.#subjects.chunking.bucket;
    const nuid = randomUUID().replaceAll('-', '');
    const chunkSubject = `$O.${bucket}.C.${nuid}`;
    const chunkBytes = Math.min(CHUNK_BYTES, this.#nc.info?.max_payload ?? CHUNK_BYTES);
    const hash = createHash('sha256');
    const acks: Array<Promise<unknown>> = [];
    let [size, chunks] = [0, 0];
    const emit = (chunk: Uint8Array) => {
      hash.update(chunk);
      const ack = js.publish(chunkSubject, chunk);
      // Awaited together below; one failing while the rest are still being read is not unhandled.
      ack.catch(() => undefined);
      acks.push(ack);
      size += chunk.length;
      chunks++;
    };
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const add = (part: Uint8Array) => {
      pending.push(part);
      pendingBytes += part.length;
      if (pendingBytes < chunkBytes) return;
      const joined = Buffer.concat(pending, pendingBytes);
      let at = 0;
      for (; pendingBytes - at >= chunkBytes; at += chunkBytes) emit(joined.subarray(at, at + chunkBytes));
      pending = [joined.subarray(at)];
      pendingBytes -= at;
    };
    if (Symbol.iterator in parts) for (const part of parts) add(part);
    else for await (const part of parts) add(part);
    if (pendingBytes > 0) emit(Buffer.concat(pending, pendingBytes));
    await Promise.all(acks);
    const info = {
      name,
      description: '',
      options: { max_chunk_size: chunkBytes },
      bucket,
      nuid,
      size,
      chunks,
      mtime: new Date().toISOString(),
      digest: `${DIGEST_TYPE}${base64UrlPadded(hash.digest())}`,
      deleted: false,
    };
    // The metadata replaces any earlier record of the name (the object store's rollup).
    const rollup = headers();
    rollup.set('Nats-Rollup', 'sub');
    const metaSubject = `$O.${bucket}.M.${base64UrlPadded(Buffer.from(name))}`;
    await js.publish(metaSubject, JSON.stringify(info), { headers: rollup });
    return size;
  }

  /**
   * Object `name`'s bytes, its digest checked; null when there is no such object. Each chunk is one
   * message-get request to the stream's leader (the next message on the object's chunk subject):
   * no consumer to create, and nothing that can wait past a request's timeout while the stream
   * elects a leader, where an ordered consumer was seen to wait for good.
   */
  async #read(name: string): Promise<Uint8Array | null> {
    const store = await this.#open();
    const info = await store.info(name);
    if (info === null || info.deleted) return null;
    const jsm = await this.#js!.jetstreamManager();
    const stream = `OBJ_${this.#subjects.chunking.bucket}`;
    const subject = `$O.${this.#subjects.chunking.bucket}.C.${info.nuid}`;
    const hash = createHash('sha256');
    const bytes = new Uint8Array(info.size);
    let [received, seq] = [0, 1];
    for (let chunk = 0; chunk < info.chunks && received < info.size; chunk++) {
      let message: Awaited<ReturnType<typeof jsm.streams.getMessage>>;
      try {
        message = await jsm.streams.getMessage(stream, nextOnSubject(seq, subject));
      } catch (error) {
        throw new ChunkedPayloadError(
          'CHUNK_MISSING',
          `chunked payload ${name}: chunk ${chunk + 1} of ${info.chunks} could not be read: ${errorMessage(error)}`,
          { cause: error },
        );
      }
      if (received + message.data.length > info.size) break;
      hash.update(message.data);
      bytes.set(message.data, received);
      received += message.data.length;
      seq = message.seq + 1;
    }
    if (received !== info.size)
      throw new ChunkedPayloadError(
        'CHUNK_SIZE_MISMATCH',
        `chunked payload ${name}: its chunks hold ${received} bytes, the object store says ${info.size}`,
      );
    const digest = `${DIGEST_TYPE}${base64UrlPadded(hash.digest())}`;
    if (digest.replace(/=+$/, '') !== info.digest.replace(/=+$/, ''))
      throw new ChunkedPayloadError(
        'CHUNK_CORRUPT',
        `chunked payload ${name} is corrupt: its bytes hash to ${digest}, the object store says ${info.digest}`,
      );
    return bytes;
  }

  async #take(name: string, contentLength: number): Promise<Uint8Array> {
    const store = await this.#open();
    const bytes = await this.#read(name);
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
