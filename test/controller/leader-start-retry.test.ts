// A leader whose work cannot start at once (the manifest store's watch timing out while JetStream
// elects a new leader for its stream, issue 19) tries again with back-off while it still leads,
// instead of exiting: it ends up leading with a running reconciler, and says what happened.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseManifest } from '../../controller/manifest/parse.ts';
import { eventually } from '../helpers/eventually.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { startReplica, type TestReplica } from './controller-fixtures.ts';

let server: NatsServer;
let replica: TestReplica | undefined;

beforeAll(async () => {
  server = await startNatsServer();
});

afterAll(async () => {
  await replica?.stop();
  await server?.stop();
});

it('retries the start of the leader work with back-off, and leads once it starts', async () => {
  replica = await startReplica({
    natsUrl: server.url,
    id: 'replica-retry',
    parseManifest: (bytes) => parseManifest(bytes),
    failingStarts: 2,
  });
  const reconciler = await eventually(() => replica!.current(), {
    what: 'a running reconciler after two failed starts',
    timeoutMs: 15_000,
  });
  expect(reconciler.closed).toBe(false);
  const retries = replica.lines.filter((line) => line.includes("the leader's work could not start ("));
  expect(retries).toHaveLength(2);
  expect(retries[0]).toContain('trying again in 500 ms');
  expect(retries[1]).toContain('trying again in 1000 ms');
  expect(replica.lines.filter((line) => line.startsWith('FATAL'))).toEqual([]);
});
