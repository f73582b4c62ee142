// The dashboard tells an actor scaled to zero (loaded, 0 instances, woken by its next call) from one
// not running: /api/lattice lists it on its host with count 0 and `scaled_to_zero: true`, and the
// page's actor table shows a small "scaled to zero" label there; stopped, it is not listed at all.

import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { apiGet, startDashboardHost } from '../helpers/dashboard-client.ts';
import { eventually } from '../helpers/eventually.ts';
import type { TestHost } from '../helpers/host.ts';
import { ctlRequest, EventLog, launchActorFile } from '../helpers/lattice-client.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const LATTICE = 'dashzero';
const ECHO = join(import.meta.dirname, '..', '..', 'actors', 'build', 'wasmbus-echo_s.wasm');

let nats: NatsServer;
let nc: NatsConnection;
let testHost: TestHost;
let base: string;

interface LatticeBody {
  actors: Array<{
    id: string;
    instances: Array<{ host_id: string; count: number; scaled_to_zero: boolean }>;
  }>;
}

async function actorOnHost(actorId: string) {
  const { body } = await apiGet<LatticeBody>(base, '/api/lattice');
  return body.actors
    .find((actor) => actor.id === actorId)
    ?.instances.find((at) => at.host_id === testHost.id);
}

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  testHost = await startDashboardHost(nats.url, LATTICE);
  base = testHost.host.dashboardUrl ?? '';
}, 60_000);

afterAll(async () => {
  await nc?.close();
  await testHost?.host.stop();
  await nats?.stop();
});

test('an actor scaled to zero is listed with count 0 and scaled_to_zero; a stopped one is not listed', async () => {
  const subjects = latticeSubjects(LATTICE).ctl;
  const echoId = await launchActorFile(nc, new EventLog(nc, LATTICE), LATTICE, testHost.id, ECHO);
  await eventually(async () => (await actorOnHost(echoId))?.count === 1, 'the echo on the dashboard');
  expect(await actorOnHost(echoId)).toMatchObject({ count: 1, scaled_to_zero: false });

  const scale = { actor_id: echoId, actor_ref: echoId, count: 0, annotations: {}, scale_to_zero: true };
  expect(await ctlRequest(nc, subjects.scaleActor(testHost.id), scale)).toMatchObject({ accepted: true });
  await eventually(async () => (await actorOnHost(echoId))?.scaled_to_zero === true, 'shown scaled to zero');
  expect(await actorOnHost(echoId)).toEqual({
    host_id: testHost.id,
    count: 0,
    image_ref: ECHO,
    scaled_to_zero: true,
  });
  // The page renders the label from this field (tables.js): the script that does is served.
  expect(await (await fetch(`${base}/tables.js`)).text()).toContain("'scaled to zero'");

  const stop = { actor_ref: echoId, count: 0, annotations: {}, host_id: testHost.id };
  expect(await ctlRequest(nc, subjects.stopActor(testHost.id), stop)).toMatchObject({ accepted: true });
  // Removing a dormant actor stops no instance (no event): the next heartbeat (one follows every
  // ping) no longer matches the dashboard's inventory, which it asks for again.
  await eventually(async () => {
    await ctlRequest(nc, subjects.ping(), {}).catch(() => undefined);
    return (await actorOnHost(echoId)) === undefined;
  }, 'gone from the dashboard');
}, 60_000);
