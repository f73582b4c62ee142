// A module edited after it was signed never runs, whatever the age of its claims: a 2022-shaped
// signature (no wascap_revision, as wash signed in 2022) over wasmbus-echo, one byte of its data
// then changed. A real host on a real nats-server refuses to start it and refuses it as a live
// update, naming the reason; the same module unedited starts.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { hostInventorySchema } from '../../lattice/control.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { moduleHash } from '../../lattice/wasm.ts';
import { sign2022ForTest, tamperDataByte, unsignedActor } from '../helpers/actors.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { ctlRequest, EventLog } from '../helpers/lattice-client.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const LATTICE = 'tampered';
const subjects = latticeSubjects(LATTICE).ctl;
const PHRASE = 'module has been changed since it was signed';

const signed = sign2022ForTest(unsignedActor('wasmbus-echo'), {
  name: 'Echo',
  subject: KeyPair.create('module'),
});
const tampered = tamperDataByte(signed.bytes);

let nats: NatsServer;
let nc: NatsConnection;
let events: EventLog;
let testHost: TestHost;
let dir: string;
let genuinePath: string;
let tamperedPath: string;

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  events = new EventLog(nc, LATTICE);
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-tampered-'));
  genuinePath = join(dir, 'echo2022_s.wasm');
  tamperedPath = join(dir, 'echo2022_edited.wasm');
  writeFileSync(genuinePath, signed.bytes);
  writeFileSync(tamperedPath, tampered);
  testHost = await startTestHost({ natsUrl: nats.url, settings: { latticePrefix: LATTICE } });
});

afterAll(async () => {
  await testHost?.host.stop();
  await nc?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function runningActors(): Promise<string[]> {
  const inventory = hostInventorySchema.parse(await ctlRequest(nc, subjects.hostInventory(testHost.id)));
  return inventory.actors.map((actor) => actor.id);
}

test('the edited 2022-signed echo is refused with actor_start_failed naming both hashes', async () => {
  expect(await ctlRequest(nc, subjects.launchActor(testHost.id), { actor_ref: tamperedPath })).toEqual({
    accepted: true,
    error: '',
  });
  const failed = await events.waitFor('actor_start_failed', (data) => data.actor_ref === tamperedPath);
  const { error } = failed.data as { error: string };
  expect(error).toContain(PHRASE);
  expect(error).toContain(`its hash is ${moduleHash(tampered)}, the claims say ${moduleHash(signed.bytes)}`);
  expect(await runningActors()).not.toContain(signed.id);
  expect(testHost.logs.join('\n')).toContain(PHRASE);
});

test('the unedited module starts; a live update to the edited one is refused and the actor runs on', async () => {
  expect(await ctlRequest(nc, subjects.launchActor(testHost.id), { actor_ref: genuinePath })).toEqual({
    accepted: true,
    error: '',
  });
  const started = await events.waitFor('actor_started', (data) => data.image_ref === genuinePath);
  expect((started.data as { public_key: string }).public_key).toBe(signed.id);

  const reply = (await ctlRequest(nc, subjects.updateActor(testHost.id), {
    actor_id: signed.id,
    new_actor_ref: tamperedPath,
  })) as { accepted: boolean; error: string };
  expect(reply.accepted).toBe(false);
  expect(reply.error).toContain(PHRASE);
  const failed = await events.waitFor('actor_update_failed', (data) => data.public_key === signed.id);
  expect((failed.data as { reason: string }).reason).toContain(PHRASE);
  expect(events.named('actor_updated')).toHaveLength(0);
  const inventory = hostInventorySchema.parse(await ctlRequest(nc, subjects.hostInventory(testHost.id)));
  expect(inventory.actors.find((actor) => actor.id === signed.id)?.image_ref).toBe(genuinePath);
});
