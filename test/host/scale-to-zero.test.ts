// Scale to zero (issue 16, item 2) on a real host, nats-server and HTTP: `scale` with
// `scale_to_zero: true` keeps the actor dormant — loaded, linked, its built-in httpserver listener
// open — and inventory and the load query say so; the first request wakes one instance and is
// served; a burst while cold loses nothing; beyond the queue bound a request gets 503 with
// Retry-After; a plain stop still removes the actor ("not running" is not "scaled to zero").

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { builtinProviderKey } from '../../lattice/builtin-providers.ts';
import { hostInventorySchema } from '../../lattice/control.ts';
import { ControlClient } from '../../lattice/control-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { linkHeldProvider } from '../helpers/held-provider.ts';
import { ctlRequest } from '../helpers/lattice-client.ts';
import { freePort } from '../helpers/nats-server.ts';
import { ACK, ProviderLattice } from '../helpers/provider-lattice.ts';
import { acceptsConnections } from '../helpers/tcp-connections.ts';
import { runWash } from '../helpers/wash.ts';
import { forwarderActor } from '../helpers/wat-forwarder.ts';

const BUILTIN = 'wasmcloud+builtin://httpserver';
const HTTPSERVER = 'wasmcloud:httpserver';
const QUEUE_SIZE = 3;
const ECHO_ROOT = '{"body":[],"method":"GET","path":"/","query_string":""}';

let lattice: ProviderLattice;
let client: ControlClient;
let builtinKey: string;

async function get(port: number): Promise<{ status: number; retryAfter: string | null; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: await response.text(),
  };
}

function startedEvents(actorId: string): number {
  return lattice.events
    .named('actor_started')
    .filter((event) => (event.data as { public_key?: string }).public_key === actorId).length;
}

async function loadOf(actorId: string) {
  return (await client.getLoad(lattice.host.id)).actors.find((actor) => actor.id === actorId);
}

async function inventoryOf(actorId: string) {
  const inventory = hostInventorySchema.parse(
    await ctlRequest(lattice.nc, lattice.subjects.ctl.hostInventory(lattice.host.id)),
  );
  return inventory.actors.find((actor) => actor.id === actorId);
}

async function scaleToZero(actorId: string): Promise<void> {
  const body = { actor_id: actorId, actor_ref: actorId, count: 0, annotations: {}, scale_to_zero: true };
  expect(await ctlRequest(lattice.nc, lattice.subjects.ctl.scaleActor(lattice.host.id), body)).toEqual(ACK);
  await eventually(async () => (await loadOf(actorId))?.scaled_to_zero === true, 'scaled to zero');
}

async function linkHttp(actorId: string): Promise<number> {
  const port = await freePort();
  await lattice.putLink({
    actor_id: actorId,
    provider_id: builtinKey,
    contract_id: HTTPSERVER,
    link_name: 'default',
    values: { ADDRESS: `127.0.0.1:${port}` },
  });
  await eventually(() => acceptsConnections(port), `the listener on port ${port}`, 15_000);
  return port;
}

beforeAll(async () => {
  lattice = await ProviderLattice.start({
    lattice: 'scaletozero',
    name: 'scale-to-zero',
    hostSettings: { rpcTimeoutMs: '10000', actorQueueSize: String(QUEUE_SIZE) },
  });
  client = new ControlClient(lattice.nc, { latticePrefix: lattice.prefix, timeoutMs: 5000 });
  builtinKey = builtinProviderKey(lattice.clusterKey.seed, 'httpserver').publicKey;
  await lattice.startProvider({ path: BUILTIN, providerKey: builtinKey });
}, 60_000);

afterAll(async () => {
  await lattice?.stop();
});

describe('scale to zero', () => {
  test('dormant, listed as such, woken by the first HTTP request, and removed by a plain stop', async () => {
    const echoId = await lattice.startActor('wasmbus-echo');
    const port = await linkHttp(echoId);
    await eventually(async () => (await get(port).catch(() => undefined))?.status === 200, 'the echo served');

    await scaleToZero(echoId);
    await lattice.events.waitFor('actor_stopped', (data) => data.public_key === echoId);
    expect(await loadOf(echoId)).toMatchObject({ instances: 0, max_concurrency: 0, scaled_to_zero: true });
    expect(await inventoryOf(echoId)).toMatchObject({ id: echoId, instances: [], scaled_to_zero: true });
    const natsPort = new URL(lattice.nats.url).port;
    const washed = await runWash([
      'ctl',
      'get',
      'inventory',
      lattice.host.id,
      '--ctl-port',
      natsPort,
      '-x',
      lattice.prefix,
    ]);
    expect(washed.code, washed.stderr).toBe(0);
    expect(washed.stdout).toMatch(new RegExp(`${echoId}\\s+\\S+\\s+0 \\(scaled to zero\\)`));

    // The listener stayed: the first request waits while one instance starts, then is served.
    const started = Date.now();
    expect(await get(port)).toEqual({ status: 200, retryAfter: null, body: ECHO_ROOT });
    const coldMs = Date.now() - started;
    expect(coldMs).toBeLessThan(2000);
    // The woken instance is announced as any started instance is (the first was the start itself).
    await eventually(() => startedEvents(echoId) === 2, 'actor_started for the woken instance');
    expect(await loadOf(echoId)).toMatchObject({ instances: 1, scaled_to_zero: false });
    const inventory = await inventoryOf(echoId);
    expect(inventory?.instances).toHaveLength(1);
    expect(inventory).not.toHaveProperty('scaled_to_zero');

    // A burst while cold: every request is served.
    await scaleToZero(echoId);
    const burst = await Promise.all(Array.from({ length: QUEUE_SIZE }, () => get(port)));
    expect(burst.map((response) => response.status)).toEqual(Array(QUEUE_SIZE).fill(200));

    // Scaled up explicitly from zero, then a plain stop: not running at all (not dormant).
    await scaleToZero(echoId);
    await client.scaleActor(lattice.host.id, echoId, echoId, 2);
    await eventually(async () => (await loadOf(echoId))?.instances === 2, 'two instances');
    expect(await loadOf(echoId)).toMatchObject({ scaled_to_zero: false });
    await client.stopActor(lattice.host.id, echoId, 0);
    await eventually(async () => (await inventoryOf(echoId)) === undefined, 'the echo removed');
    expect(await loadOf(echoId)).toBeUndefined();
    // Once the workers let it go (they drain its subscription first), no host runs it.
    await eventually(async () => (await get(port)).status === 503, 'the listener answering 503');
  }, 60_000);

  test('a burst while cold beyond the queue: the queued requests are all served, one more gets 503 + Retry-After', async () => {
    const forwarder = await forwarderActor(['wasmcloud:messaging', HTTPSERVER], 'forwarder-cold');
    const actorId = await lattice.startSignedActor(forwarder.bytes, 'forwarder-cold');
    const { held, answer: answerHeld } = await linkHeldProvider(lattice, actorId);
    const port = await linkHttp(actorId);
    await scaleToZero(actorId);

    // While cold every request waits in the queue (QUEUE_SIZE of them fit); the wake lets one run.
    const requests = Array.from({ length: QUEUE_SIZE }, () => get(port));
    await eventually(() => held.length === 1, 'the first request at the provider (the actor woke)');
    await eventually(async () => (await loadOf(actorId))?.queued === QUEUE_SIZE - 1, 'the rest queued');
    // One more fills the queue again; the next is refused at once.
    requests.push(get(port));
    await eventually(async () => (await loadOf(actorId))?.queued === QUEUE_SIZE, 'the queue full');
    const refused = await get(port);
    expect(refused).toMatchObject({ status: 503, retryAfter: '1' });
    for (let served = 0; served < 1 + QUEUE_SIZE; served++) {
      await eventually(() => held.length === 1, 'the next request at the provider');
      await answerHeld();
    }
    for (const response of await Promise.all(requests)) expect(response.status).toBe(200);
  }, 60_000);
});
