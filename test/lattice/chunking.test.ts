// The chunking store writes and reads objects itself (lattice/chunking.ts, hashing with node:crypto)
// in the object store's format, on a real nats-server: what it writes the NATS client's object
// store reads and verifies (as a 2022 host would), what the client writes it reads; objects of
// many chunks, of a chunk exactly, of one byte and of none come back whole; a digest that does not
// match is refused with CHUNK_CORRUPT, a missing object with CHUNK_MISSING; a taken object is gone.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ChunkStore } from '../../lattice/chunking.ts';
import { connectNats, headers, type NatsConnection } from '../../lattice/nats.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const LATTICE = 'chunkformat';
let nats: NatsServer;
let nc: NatsConnection;
let chunks: ChunkStore;

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  chunks = new ChunkStore(nc, latticeSubjects(LATTICE));
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

const bytesOf = (length: number) => new Uint8Array(length).map((_, i) => (i * 7) % 251);
const store = () => nc.jetstream().views.os(LATTICE);

describe('objects of the chunking store', () => {
  test.each([
    ['many chunks', 1_000_003],
    ['one chunk exactly', 128 * 1024],
    ['one byte', 1],
    ['nothing', 0],
  ])('%s: read back whole by the NATS client (digest checked) and by the store', async (_what, length) => {
    const payload = bytesOf(length);
    await chunks.putRequest(`inv-${length}`, payload);
    const info = await (await store()).info(`inv-${length}`);
    expect(info?.size).toBe(length);
    expect(info?.chunks).toBe(Math.ceil(length / (128 * 1024)));
    expect(new Uint8Array((await (await store()).getBlob(`inv-${length}`))!)).toEqual(payload);
    expect(await chunks.takeRequest(`inv-${length}`, length)).toEqual(payload);
    // Taken: deleted (its metadata marked so, its chunks purged).
    expect((await (await store()).info(`inv-${length}`))?.deleted).toBe(true);
    expect(await (await store()).getBlob(`inv-${length}`)).toBeNull();
  });

  test('a stream of small pieces is written as the whole of them', async () => {
    const pieces = Array.from({ length: 300 }, (_, i) => bytesOf(1000 + i));
    const size = await chunks.putStream(
      'ctl-reply-stream',
      new ReadableStream({
        pull(controller) {
          const next = pieces.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(next);
        },
      }),
    );
    const expected = Buffer.concat(Array.from({ length: 300 }, (_, i) => bytesOf(1000 + i)));
    expect(size).toBe(expected.length);
    expect(new Uint8Array((await (await store()).getBlob('ctl-reply-stream'))!)).toEqual(
      new Uint8Array(expected),
    );
    expect(await chunks.takeObject('ctl-reply-stream', size)).toEqual(new Uint8Array(expected));
  });

  test("reads what the NATS client's object store wrote", async () => {
    const payload = bytesOf(700_001);
    await (await store()).putBlob({ name: 'inv-client-r' }, payload);
    expect(await chunks.takeResponse('inv-client', payload.length)).toEqual(payload);
  });

  test('refuses bytes that do not match their digest, and a missing object', async () => {
    const payload = bytesOf(300_000);
    await chunks.putRequest('inv-corrupt', payload);
    const info = await (await store()).info('inv-corrupt');
    // The metadata record rewritten with the digest of other bytes.
    const rollup = headers();
    rollup.set('Nats-Rollup', 'sub');
    const digest = `SHA-256=${Buffer.alloc(32, 1).toString('base64url')}=`;
    await nc.jetstream().publish(
      `$O.${LATTICE}.M.${Buffer.from('inv-corrupt').toString('base64url')}=`,
      JSON.stringify({
        name: info!.name,
        description: '',
        options: info!.options,
        bucket: LATTICE,
        nuid: info!.nuid,
        size: info!.size,
        chunks: info!.chunks,
        mtime: info!.mtime,
        digest,
        deleted: false,
      }),
      { headers: rollup },
    );
    await expect(chunks.takeRequest('inv-corrupt', payload.length)).rejects.toMatchObject({
      code: 'CHUNK_CORRUPT',
    });
    await expect(chunks.takeRequest('inv-none', 10)).rejects.toMatchObject({ code: 'CHUNK_MISSING' });
  });
});
