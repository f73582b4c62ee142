// Three hosts on a three-node NATS cluster (each host on its own server): the lattice is one
// whatever server a host uses. Links and claims are seen by every host, calls spread over the
// hosts running an actor, a stopped host's share is taken by the others, and a host that joins
// later knows every link at once.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { verifySignedWasm } from '../../lattice/claims.ts';
import { hostInventorySchema } from '../../lattice/control.ts';
import { parseCloudEvent } from '../../lattice/events.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { builtActor, signForTest, unsignedActor } from '../helpers/actors.ts';
import { eventually, eventuallyPasses } from '../helpers/eventually.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { PROVIDER } from '../helpers/keys.ts';
import { ctlRequest, EventLog, gather, invokeActor } from '../helpers/lattice-client.ts';
import { type NatsCluster, startNatsCluster } from '../helpers/nats-server.ts';

const LATTICE = 'clustertest';
const subjects = latticeSubjects(LATTICE);
const clusterKey = KeyPair.create('cluster');
const encoder = new TextEncoder();

let cluster: NatsCluster;
let nc: NatsConnection;
let events: EventLog;
let dir: string;
const hosts: TestHost[] = [];

async function hostOn(serverIndex: number): Promise<TestHost> {
  const testHost = await startTestHost({
    natsUrl: cluster.servers[serverIndex]!.url,
    settings: { latticePrefix: LATTICE, clusterSeed: clusterKey.seed },
  });
  hosts.push(testHost);
  return testHost;
}

async function startActor(testHost: TestHost, path: string, actorId: string): Promise<void> {
  expect(await ctlRequest(nc, subjects.ctl.launchActor(testHost.id), { actor_ref: path })).toEqual({
    accepted: true,
    error: '',
  });
  await events.waitFor('actor_started', (data) => data.public_key === actorId && data.image_ref === path);
  await eventually(async () => {
    const inventory = hostInventorySchema.parse(
      await ctlRequest(nc, subjects.ctl.hostInventory(testHost.id)),
    );
    return inventory.actors.some((actor) => actor.id === actorId);
  }, `actor ${actorId} in the inventory of host ${testHost.id}`);
}

beforeAll(async () => {
  cluster = await startNatsCluster(3);
  nc = await connectNats({ url: cluster.servers[0]!.url });
  events = new EventLog(nc, LATTICE);
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-cluster-'));
}, 60_000);

afterAll(async () => {
  await Promise.all(hosts.map((testHost) => testHost.host.stop()));
  await nc?.close();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('three hosts, one lattice: links everywhere, calls spread, a stopped host leaves, a late host knows the links', async () => {
  const [a, b, c] = [await hostOn(0), await hostOn(1), await hostOn(2)];
  // A host's subscriptions reach the other nodes of the cluster a moment after it has started: ping
  // until one round has all three answers.
  const pings = await eventually(
    async () => {
      const round = await gather(nc, subjects.ctl.ping(), undefined, 1_000);
      return round.length >= 3 && round;
    },
    { what: 'a ping round answered by all three hosts', timeoutMs: 20_000 },
  );
  expect(pings.map((reply) => reply.id).sort()).toEqual([a.id, b.id, c.id].sort());

  // The same actor on A and B; an actor with the call alias wasmcloud-ts/other on C only.
  const actorPath = join(dir, 'kvcounter.wasm');
  writeFileSync(actorPath, builtActor('wasmbus-kvcounter'));
  const echoId = verifySignedWasm(builtActor('wasmbus-kvcounter')).claims.sub;
  const other = signForTest(unsignedActor('wasmbus-kvcounter'), {
    name: 'other',
    callAlias: 'wasmcloud-ts/other',
  });
  const otherPath = join(dir, 'other.wasm');
  writeFileSync(otherPath, other.bytes);
  await startActor(a, actorPath, echoId);
  await startActor(b, actorPath, echoId);
  await startActor(c, otherPath, other.id);

  // A link put through whichever host the queue group picks reaches every host's lattice data.
  const link = {
    actor_id: echoId,
    provider_id: PROVIDER,
    contract_id: 'wasmcloud:keyvalue',
    link_name: 'default',
    values: { BUCKET: 'counts' },
  };
  expect(await ctlRequest(nc, subjects.ctl.linkPut(), link)).toEqual({ accepted: true, error: '' });
  for (const testHost of [a, b, c]) {
    await eventuallyPasses(
      async () =>
        expect(await testHost.host.latticeData.linkFor(echoId, 'wasmcloud:keyvalue', 'default')).toBeTruthy(),
      { what: "testHost.host.latticeData.linkFor(echoId, 'wasmcloud:keyvalue', 'default') toBeTruthy()" },
    );
    await eventuallyPasses(
      async () =>
        expect(await testHost.host.latticeData.claimsFor(other.id)?.call_alias).toBe('wasmcloud-ts/other'),
      { what: "testHost.host.latticeData.claimsFor(other.id)?.call_alias to be ('wasmcloud-ts/other')" },
    );
  }

  // Calls spread over A and B (queue group); count who served them from the invocation events.
  const servedBy = new Map<string, number>();
  nc.subscribe(subjects.events.invocations(), {
    callback: (_error, msg) => {
      const parsed = parseCloudEvent(msg.data);
      if (parsed.ok) servedBy.set(parsed.value.source, (servedBy.get(parsed.value.source) ?? 0) + 1);
    },
  });
  for (let index = 0; index < 60; index++) {
    const reply = await invokeActor(
      nc,
      LATTICE,
      clusterKey,
      echoId,
      'Test.Echo',
      encoder.encode(`call ${index}`),
    );
    expect(new TextDecoder().decode(reply)).toBe(`call ${index}`);
  }
  await eventuallyPasses(
    async () => expect(await ((servedBy.get(a.id) ?? 0) + (servedBy.get(b.id) ?? 0))).toBe(60),
    { what: '(servedBy.get(a.id) ?? 0) + (servedBy.get(b.id) ?? 0) to be (60)' },
  );
  expect(servedBy.get(a.id)).toBeGreaterThan(5);
  expect(servedBy.get(b.id)).toBeGreaterThan(5);

  // An actor on A or B calls the actor on C by its call alias, across hosts.
  const viaAlias = await invokeActor(
    nc,
    LATTICE,
    clusterKey,
    echoId,
    'Test.CallAlias',
    encoder.encode('relay'),
  );
  expect(new TextDecoder().decode(viaAlias)).toBe('relay');

  // Stop A: it leaves the pings, and B serves every call.
  await a.host.stop();
  await events.waitFor('host_stopped', () => true);
  const after = await gather(nc, subjects.ctl.ping(), undefined, 1_000);
  expect(after.map((reply) => reply.id).sort()).toEqual([b.id, c.id].sort());
  servedBy.clear();
  for (let index = 0; index < 10; index++) {
    await invokeActor(nc, LATTICE, clusterKey, echoId, 'Test.Echo', encoder.encode('after'));
  }
  await eventuallyPasses(async () => expect(await servedBy.get(b.id)).toBe(10), {
    what: 'servedBy.get(b.id) to be (10)',
  });
  expect(servedBy.get(a.id)).toBeUndefined();

  // A host that joins now (on the third server) knows the link the moment it has started.
  const late = await hostOn(2);
  expect(late.host.latticeData.linkFor(echoId, 'wasmcloud:keyvalue', 'default')).toMatchObject(link);
  expect(late.host.latticeData.claimsFor(echoId)?.name).toBe('wasmbus-kvcounter');
}, 90_000);
