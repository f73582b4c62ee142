// An actor start (and a live update) verifies the actor's claims once: the supervisor verifies
// them to learn the actor's key, and the runtime takes that verification instead of checking the
// Ed25519 signature and hashing the module again. verifySignedWasm is counted (the real function
// runs) in this process, where the test host's main thread verifies.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import * as claims from '../../lattice/claims.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { signForTest, unsignedActor } from '../helpers/actors.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { ctlRequest, EventLog, launchActorFile } from '../helpers/lattice-client.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

vi.mock('../../lattice/claims.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../lattice/claims.ts')>();
  return { ...real, verifySignedWasm: vi.fn(real.verifySignedWasm) };
});

const LATTICE = 'verifyonce';
let nats: NatsServer;
let nc: NatsConnection;
let host: TestHost;
let dir: string;

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  host = await startTestHost({ natsUrl: nats.url, settings: { latticePrefix: LATTICE } });
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-verify-once-'));
}, 60_000);

afterAll(async () => {
  await host?.host.stop();
  await nc?.close();
  await nats?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a start and a live update each verify the claims once', async () => {
  const counted = vi.mocked(claims.verifySignedWasm);
  const events = new EventLog(nc, LATTICE);
  const subject = KeyPair.create('module');
  const first = signForTest(unsignedActor('wasmbus-echo'), { subject, caps: ['wasmcloud:httpserver'] });
  const path = join(dir, 'echo-1.wasm');
  writeFileSync(path, first.bytes);

  counted.mockClear();
  expect(await launchActorFile(nc, events, LATTICE, host.id, path)).toBe(first.id);
  expect(counted).toHaveBeenCalledTimes(1);

  // The same key signed again (another token, same module): a live update to it.
  const second = signForTest(unsignedActor('wasmbus-echo'), { subject, caps: ['wasmcloud:httpserver'] });
  const updatedPath = join(dir, 'echo-2.wasm');
  writeFileSync(updatedPath, second.bytes);
  counted.mockClear();
  expect(
    await ctlRequest(nc, latticeSubjects(LATTICE).ctl.updateActor(host.id), {
      actor_id: first.id,
      new_actor_ref: updatedPath,
    }),
  ).toEqual({ accepted: true, error: '' });
  await events.waitFor('actor_updated', (data) => data.public_key === first.id);
  expect(counted).toHaveBeenCalledTimes(1);
});
