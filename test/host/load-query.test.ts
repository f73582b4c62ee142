// The host's load (`wasmbus.ctl.{lattice}.get.{host}.load`, a wasmcloud-ts addition, issue 16): per
// actor, instances, calls in flight and queued, the most it runs at once, calls taken and when the
// last came. Calls are held in flight by a provider of the test's own that answers only when the
// test lets it, so the counts are exact; and the `scale` command's `scale_to_zero` field is
// accepted (with count 0 it keeps the actor dormant: test/host/scale-to-zero.test.ts).

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ControlClient } from '../../lattice/control-client.ts';
import { actorEntity } from '../../lattice/invocation.ts';
import { KeyPair } from '../../lattice/keys.ts';
import type { Msg } from '../../lattice/nats.ts';
import { encodePayload } from '../../lattice/payload.ts';
import { invocationReply, receiveInvocation } from '../../lattice/rpc.ts';
import { eventually } from '../helpers/eventually.ts';
import { ctlRequest } from '../helpers/lattice-client.ts';
import { ProviderLattice } from '../helpers/provider-lattice.ts';
import { forwarderActor } from '../helpers/wat-forwarder.ts';

const MESSAGING = 'wasmcloud:messaging';
const CALLER = actorEntity(KeyPair.create('module').publicKey);

let lattice: ProviderLattice;
let client: ControlClient;
let actorId: string;
/** Calls that reached the test's provider and wait for it to answer. */
const held: Msg[] = [];

async function answerHeld(count = held.length): Promise<void> {
  for (const msg of held.splice(0, count)) {
    const invocation = await receiveInvocation(msg.data, undefined);
    msg.respond(await invocationReply(invocation.id, encodePayload({ body: new Uint8Array(0) }), undefined));
  }
}

function callForwarder(): Promise<Uint8Array> {
  const request = encodePayload({ subject: 'svc.slow', body: new Uint8Array([1]), timeoutMs: 5000 });
  return lattice.invokeActor(actorId, 'Messaging.Request', request, CALLER);
}

async function loadOf(id: string) {
  const load = await client.getLoad(lattice.host.id);
  return load.actors.find((actor) => actor.id === id);
}

beforeAll(async () => {
  lattice = await ProviderLattice.start({
    lattice: 'loadquery',
    name: 'load-query',
    hostSettings: { rpcTimeoutMs: '10000' },
  });
  client = new ControlClient(lattice.nc, { latticePrefix: lattice.prefix, timeoutMs: 5000 });
  const forwarder = await forwarderActor([MESSAGING], 'forwarder-load');
  actorId = await lattice.startSignedActor(forwarder.bytes, 'forwarder-load');
  await client.scaleActor(lattice.host.id, actorId, actorId, 2);
  await eventually(async () => (await loadOf(actorId))?.instances === 2, 'two instances');
  const providerKey = KeyPair.create('service').publicKey;
  lattice.nc.subscribe(lattice.subjects.rpc.provider(providerKey, 'default'), {
    callback: (_error, msg) => held.push(msg),
  });
  await lattice.nc.flush();
  await lattice.putLink({
    actor_id: actorId,
    provider_id: providerKey,
    contract_id: MESSAGING,
    link_name: 'default',
    values: {},
  });
}, 60_000);

afterAll(async () => {
  await answerHeld();
  await lattice?.stop();
});

describe('get.{host}.load', () => {
  test('an idle actor: its instances and what it can run, no calls yet', async () => {
    const load = await client.getLoad(lattice.host.id);
    expect(load.host_id).toBe(lattice.host.id);
    expect(load.actors).toEqual([
      {
        id: actorId,
        instances: 2,
        in_flight: 0,
        queued: 0,
        // One worker (the test host's), two calls at once in it.
        max_concurrency: 2,
        calls_total: 0,
        last_call_at: 0,
        scaled_to_zero: false,
      },
    ]);
  });

  test('calls held in flight count as in flight; one more than the instances waits, queued', async () => {
    const before = Date.now();
    const calls = [callForwarder(), callForwarder(), callForwarder()];
    // Two instances: two calls reach the provider, the third waits for an instance.
    await eventually(() => held.length === 2, 'two calls at the provider');
    await eventually(async () => {
      const load = await loadOf(actorId);
      return load?.in_flight === 2 && load.queued === 1 ? load : undefined;
    }, 'two in flight, one queued');
    const busy = await loadOf(actorId);
    expect(busy).toMatchObject({ instances: 2, in_flight: 2, queued: 1, calls_total: 3 });
    expect(busy!.last_call_at).toBeGreaterThanOrEqual(before);
    expect(busy!.last_call_at).toBeLessThanOrEqual(Date.now());

    await answerHeld(1);
    await eventually(() => held.length === 2, 'the queued call at the provider');
    expect(await loadOf(actorId)).toMatchObject({ in_flight: 2, queued: 0, calls_total: 3 });
    await answerHeld();
    await Promise.all(calls);
    expect(await loadOf(actorId)).toMatchObject({ in_flight: 0, queued: 0, calls_total: 3 });
  });

  test('only the host named answers: another host ID has nobody listening', async () => {
    const other = KeyPair.create('server').publicKey;
    await expect(client.getLoad(other)).rejects.toMatchObject({ code: 'CTL_NO_RESPONDERS' });
  });
});

describe('cmd.{host}.scale with scale_to_zero', () => {
  test('a field of the wrong type is refused; true with count 0 keeps the actor dormant', async () => {
    const subject = lattice.subjects.ctl.scaleActor(lattice.host.id);
    const body = { actor_id: actorId, actor_ref: actorId, count: 0, annotations: {} };
    const refused = await ctlRequest(lattice.nc, subject, { ...body, scale_to_zero: 'yes' });
    expect(refused).toMatchObject({ accepted: false, code: 'CONTROL_BAD_REQUEST' });
    expect(String(refused.error)).toMatch(/scale_to_zero/);
    expect((await loadOf(actorId))?.instances).toBe(2);

    expect(await ctlRequest(lattice.nc, subject, { ...body, scale_to_zero: true })).toEqual({
      accepted: true,
      error: '',
    });
    await eventually(async () => (await loadOf(actorId))?.scaled_to_zero === true, 'the actor dormant');
    expect(await loadOf(actorId)).toMatchObject({ instances: 0, max_concurrency: 0 });
    expect((await client.getInventory(lattice.host.id)).actors).toEqual([
      expect.objectContaining({ id: actorId, instances: [], scaled_to_zero: true }),
    ]);
  });
});
