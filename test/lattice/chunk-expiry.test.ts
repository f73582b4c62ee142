// Objects of the lattice's chunking store (lattice/chunking.ts) that nobody reads — a chunked
// invocation whose caller died, a control reply over max_payload whose client timed out — expire
// with the store's max_age, on a real nats-server: an unread object is gone after it; a store made
// without an expiry (as a 2022 host makes it) gets one when opened, logged, and chunked payloads
// still go through it; an expiry someone chose is kept.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CHUNK_OBJECT_TTL_MS, ChunkStore } from '../../lattice/chunking.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { eventually } from '../helpers/eventually.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const NANOS_PER_MS = 1_000_000;

let nats: NatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

function logged() {
  const lines: string[] = [];
  const log = {
    info: (line: string) => void lines.push(`INFO ${line}`),
    warn: (line: string) => void lines.push(`WARN ${line}`),
  };
  return { lines, log };
}

/** The max_age of the store's stream, in ms (0: objects never expire). */
async function maxAgeMs(lattice: string): Promise<number> {
  const store = await nc.jetstream().views.os(lattice);
  return (await store.status()).streamInfo.config.max_age / NANOS_PER_MS;
}

describe('the chunking store', () => {
  test('is made with the expiry, and a control reply nobody read is gone after it', async () => {
    const subjects = latticeSubjects('expiring');
    const chunks = new ChunkStore(nc, subjects, undefined, {}, 2_000);
    const name = subjects.chunking.controlReplyObject(crypto.randomUUID());
    const bytes = new Uint8Array(300 * 1024).fill(7);
    await chunks.putStream(name, new Blob([bytes]).stream());
    expect(await maxAgeMs('expiring')).toBe(2_000);

    const store = await nc.jetstream().views.os('expiring');
    expect((await store.info(name))?.size).toBe(bytes.length);
    // Its client timed out: nobody takes it. The server removes it (chunks and metadata).
    await eventually(async () => (await store.info(name)) === null, 'the unread object expired', 10_000);
    expect((await store.status()).streamInfo.state.messages).toBe(0);
  });

  test('by default keeps unread objects CHUNK_OBJECT_TTL_MS', async () => {
    const subjects = latticeSubjects('defaultttl');
    await new ChunkStore(nc, subjects).putRequest('inv1', new Uint8Array(10));
    expect(await maxAgeMs('defaultttl')).toBe(CHUNK_OBJECT_TTL_MS);
  });

  test('made without an expiry (a 2022 host) gets it when opened, and chunked calls still go through', async () => {
    // As wasmCloud's Rust host creates it: default object store settings, no max_age.
    const old = await nc.jetstream().views.os('oldstore');
    await old.putBlob({ name: 'left-behind' }, new Uint8Array(100).fill(1));
    expect(await maxAgeMs('oldstore')).toBe(0);

    const { lines, log } = logged();
    const chunks = new ChunkStore(nc, latticeSubjects('oldstore'), undefined, { log }, 2_000);
    const payload = new Uint8Array(800 * 1024).map((_, i) => i % 251);
    await chunks.putRequest('inv2', payload);
    expect(await chunks.takeRequest('inv2', payload.length)).toEqual(payload);
    expect(await maxAgeMs('oldstore')).toBe(2_000);
    expect(lines).toEqual([
      'INFO JetStream stream OBJ_oldstore: unread objects now expire after 2 s (they never did)',
    ]);
    // What was left there before expires too.
    await eventually(async () => (await old.info('left-behind')) === null, 'the old object expired', 10_000);
  });

  test('keeps an expiry someone chose', async () => {
    await nc.jetstream().views.os('chosen', { ttl: 60 * 60_000 * NANOS_PER_MS });
    const { lines, log } = logged();
    await new ChunkStore(nc, latticeSubjects('chosen'), undefined, { log }).putResponse(
      'inv3',
      new Uint8Array(5),
    );
    expect(await maxAgeMs('chosen')).toBe(60 * 60_000);
    expect(lines).toEqual([]);
  });
});
