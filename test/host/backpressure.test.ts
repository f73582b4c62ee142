// Backpressure (issue 16, item 3) on a real host and nats-server: an actor's calls beyond its
// instances wait in a bounded queue (WASMCLOUD_ACTOR_QUEUE_SIZE, here 2 on the test host's one
// worker) and are all served; one more is refused at once — ACTOR_QUEUE_FULL over RPC, 503 with
// Retry-After over HTTP through the built-in httpserver and the httpserver provider process. And a
// scale down gives the capacity back. The slow actor is the WAT forwarder: each call waits at a
// provider of the test's own until the test answers it.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { builtinProviderKey } from '../../lattice/builtin-providers.ts';
import { ControlClient } from '../../lattice/control-client.ts';
import { actorEntity } from '../../lattice/invocation.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { encodePayload } from '../../lattice/payload.ts';
import { RpcRemoteError } from '../../lattice/rpc.ts';
import { eventually } from '../helpers/eventually.ts';
import { type HeldProvider, linkHeldProvider } from '../helpers/held-provider.ts';
import { freePort } from '../helpers/nats-server.ts';
import { ProviderLattice } from '../helpers/provider-lattice.ts';
import { acceptsConnections } from '../helpers/tcp-connections.ts';
import { forwarderActor } from '../helpers/wat-forwarder.ts';

const MESSAGING = 'wasmcloud:messaging';
const HTTPSERVER = 'wasmcloud:httpserver';
const BUILTIN = 'wasmcloud+builtin://httpserver';
const CALLER = actorEntity(KeyPair.create('module').publicKey);
const QUEUE_SIZE = 2;

let lattice: ProviderLattice;
let client: ControlClient;
let actorId: string;
/** The test's provider behind the forwarder: each call waits there until the test answers it. */
let provider: HeldProvider;
const held = () => provider.held;
const answerHeld = (count?: number) => provider.answer(count);

function callOverRpc(): Promise<Uint8Array> {
  const request = encodePayload({ subject: 'svc.slow', body: new Uint8Array([1]), timeoutMs: 9000 });
  return lattice.invokeActor(actorId, 'Messaging.Request', request, CALLER);
}

async function loadOf() {
  const load = await client.getLoad(lattice.host.id);
  return load.actors.find((actor) => actor.id === actorId);
}

/** Fills the actor: one call held at the provider per instance, QUEUE_SIZE more waiting. */
async function fill<T>(call: () => Promise<T>, instances = 1): Promise<Promise<T>[]> {
  const calls: Promise<T>[] = [];
  for (let i = 0; i < instances + QUEUE_SIZE; i++) calls.push(call());
  await eventually(() => held().length === instances, `${instances} call(s) at the provider`);
  await eventually(async () => (await loadOf())?.queued === QUEUE_SIZE, `${QUEUE_SIZE} calls queued`);
  return calls;
}

async function httpGet(port: number): Promise<{ status: number; retryAfter: string | null; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: await response.text(),
  };
}

beforeAll(async () => {
  lattice = await ProviderLattice.start({
    lattice: 'backpressure',
    name: 'backpressure',
    hostSettings: { rpcTimeoutMs: '10000', actorQueueSize: String(QUEUE_SIZE) },
  });
  client = new ControlClient(lattice.nc, { latticePrefix: lattice.prefix, timeoutMs: 5000 });
  const forwarder = await forwarderActor([MESSAGING, HTTPSERVER], 'forwarder-backpressure');
  actorId = await lattice.startSignedActor(forwarder.bytes, 'forwarder-backpressure');
  provider = await linkHeldProvider(lattice, actorId);
}, 60_000);

afterAll(async () => {
  await provider?.answer();
  await lattice?.stop();
});

describe('a bounded queue in front of every actor', () => {
  test('RPC: calls over the instances wait and are all served; one over the queue gets ACTOR_QUEUE_FULL at once', async () => {
    const calls = await fill(callOverRpc);
    const started = Date.now();
    const refused = await callOverRpc().then(
      () => undefined,
      (error: unknown) => error,
    );
    const refusedAfterMs = Date.now() - started;
    expect(refused).toBeInstanceOf(RpcRemoteError);
    expect(refused).toMatchObject({ code: 'ACTOR_QUEUE_FULL' });
    expect((refused as Error).message).toMatch(/^ACTOR_QUEUE_FULL: .*the queue is full/);
    // Refused at once, not after the 10 s timeout.
    expect(refusedAfterMs).toBeLessThan(1000);
    // The queued calls were not lost: each is served in turn.
    for (let served = 0; served < 1 + QUEUE_SIZE; served++) {
      await eventually(() => held().length === 1, 'the next call at the provider');
      await answerHeld();
    }
    expect(await Promise.all(calls)).toHaveLength(1 + QUEUE_SIZE);
    expect(await loadOf()).toMatchObject({ in_flight: 0, queued: 0 });
  }, 30_000);

  for (const form of ['built-in', 'provider process'] as const) {
    test(`HTTP through the ${form} httpserver: 503 with Retry-After over the queue, the rest served`, async () => {
      const port = await freePort();
      const linkName = form === 'built-in' ? 'default' : 'ext';
      const archive =
        form === 'built-in'
          ? {
              path: BUILTIN,
              providerKey: builtinProviderKey(lattice.clusterKey.seed, 'httpserver').publicKey,
            }
          : await lattice.buildProvider('httpserver');
      await lattice.startProvider(archive, linkName, 60_000);
      await lattice.putLink({
        actor_id: actorId,
        provider_id: archive.providerKey,
        contract_id: HTTPSERVER,
        link_name: linkName,
        values: { ADDRESS: `127.0.0.1:${port}` },
      });
      await eventually(() => acceptsConnections(port), `the ${form} listener on port ${port}`, 15_000);

      const requests = await fill(() => httpGet(port));
      const started = Date.now();
      const refused = await httpGet(port);
      const refusedAfterMs = Date.now() - started;
      expect(refused).toEqual({
        status: 503,
        retryAfter: '1',
        body: 'Service Unavailable: the actor is busy, retry later\n',
      });
      expect(refusedAfterMs).toBeLessThan(1000);
      for (let served = 0; served < 1 + QUEUE_SIZE; served++) {
        await eventually(() => held().length === 1, 'the next request at the provider');
        await answerHeld();
      }
      for (const response of await Promise.all(requests))
        expect(response).toEqual({ status: 200, retryAfter: null, body: 'done' });
    }, 90_000);
  }
});

describe('scaling down gives capacity back', () => {
  test('from 3 instances to 1: only one call runs at once again', async () => {
    await client.scaleActor(lattice.host.id, actorId, actorId, 3);
    await eventually(async () => (await loadOf())?.instances === 3, 'three instances');
    const wide = [callOverRpc(), callOverRpc(), callOverRpc()];
    await eventually(() => held().length === 3, 'three calls at once at the provider');
    await answerHeld();
    await Promise.all(wide);

    await client.scaleActor(lattice.host.id, actorId, actorId, 1);
    await eventually(async () => (await loadOf())?.instances === 1, 'one instance');
    expect(await loadOf()).toMatchObject({ max_concurrency: 1 });
    const narrow = await fill(callOverRpc, 1);
    // One call runs, the others wait: the two stopped instances no longer take calls.
    expect(held()).toHaveLength(1);
    for (let served = 0; served < 1 + QUEUE_SIZE; served++) {
      await eventually(() => held().length === 1, 'the next call at the provider');
      await answerHeld();
    }
    await Promise.all(narrow);
  }, 30_000);
});
