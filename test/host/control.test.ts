// One host on a real nats-server: every control subject of protocol.md §1.4 with valid and with
// malformed input, the events each produces, actor RPC through NATS, and the lattice data bucket.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  claimsListSchema,
  hostInventorySchema,
  hostPingReplySchema,
  linksListSchema,
} from '../../lattice/control.ts';
import { DISPLAY_ERROR_LIMIT, DISPLAY_VALUE_LIMIT } from '../../lattice/display-text.ts';
import { actorEntity, providerEntity } from '../../lattice/invocation.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { encodePayload } from '../../lattice/payload.ts';
import { RpcRemoteError } from '../../lattice/rpc.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { builtActor, signForTest, unsignedActor } from '../helpers/actors.ts';
import { eventually, eventuallyPasses } from '../helpers/eventually.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { ACTOR as ACTOR_KEY, OTHER_HOST, PROVIDER } from '../helpers/keys.ts';
import { ctlRequest, EventLog, gather, invokeActor, launchActorFile } from '../helpers/lattice-client.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const LATTICE = 'ctltest';
const subjects = latticeSubjects(LATTICE);
const clusterKey = KeyPair.create('cluster');

let nats: NatsServer;
let nc: NatsConnection;
let testHost: TestHost;
let events: EventLog;
let dir: string;
let actorPath: string;
let actorId: string;

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  events = new EventLog(nc, LATTICE);
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-ctl-'));
  actorPath = join(dir, 'wasmbus-kvcounter_s.wasm');
  writeFileSync(actorPath, builtActor('wasmbus-kvcounter'));
  testHost = await startTestHost({
    natsUrl: nats.url,
    settings: { latticePrefix: LATTICE, clusterSeed: clusterKey.seed },
    labels: { zone: 'blue' },
  });
  actorId = await launchActorFile(nc, events, LATTICE, testHost.id, actorPath, 1);
});

afterAll(async () => {
  await testHost?.host.stop();
  await nc?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** How many instances of the actor the host's inventory lists. */
async function instancesOf(id: string): Promise<number> {
  const inventory = hostInventorySchema.parse(await ctlRequest(nc, subjects.ctl.hostInventory(testHost.id)));
  return inventory.actors.find((entry) => entry.id === id)?.instances.length ?? 0;
}

describe('queries', () => {
  test('ping: every host answers in the 2022 shape and then sends a heartbeat', async () => {
    const heartbeatsBefore = events.named('host_heartbeat').length;
    const replies = await gather(nc, subjects.ctl.ping(), undefined);
    expect(replies).toHaveLength(1);
    const reply = hostPingReplySchema.parse(replies[0]);
    expect(reply.id).toBe(testHost.id);
    expect(reply.labels).toMatchObject({ zone: 'blue', 'hostcore.os': 'linux' });
    expect(reply.cluster_issuers).toBe(clusterKey.publicKey);
    expect(reply.lattice_prefix).toBe(LATTICE);
    expect(reply.uptime_human).toMatch(/\d+s$/);
    await events.waitFor('host_heartbeat', () => events.named('host_heartbeat').length > heartbeatsBefore);
  });

  test('inventory lists the actor with its instance; another host ID is refused', async () => {
    const inventory = hostInventorySchema.parse(
      await ctlRequest(nc, subjects.ctl.hostInventory(testHost.id)),
    );
    const actor = inventory.actors.find((entry) => entry.id === actorId);
    expect(actor?.name).toBe('wasmbus-kvcounter');
    expect(actor?.instances).toHaveLength(1);
    expect(actor?.instances[0]?.revision).toBe(1);
    const wrong = await nc
      .request(`wasmbus.ctl.${LATTICE}.get.NOTTHISHOST.inv`, new Uint8Array(), { timeout: 300 })
      .then(
        () => 'answered',
        () => 'silent',
      );
    expect(wrong).toBe('silent'); // nobody subscribes to another host's inventory subject
  });

  test('claims carry every value as a string, caps comma-joined', async () => {
    const { claims } = claimsListSchema.parse(await ctlRequest(nc, subjects.ctl.getClaims()));
    const mine = claims.find((entry) => entry.sub === actorId);
    expect(mine).toMatchObject({
      name: 'wasmbus-kvcounter',
      caps: 'wasmcloud:httpserver,wasmcloud:keyvalue',
      rev: '1',
      call_alias: 'wasmcloud-ts/wasmbus-kvcounter',
    });
  });
});

describe('actor RPC through NATS', () => {
  test('a signed invocation from a provider the actor claims runs and answers', async () => {
    const onRpcEvents: string[] = [];
    const subscription = nc.subscribe(subjects.events.invocations(), {
      callback: (_error, msg) => onRpcEvents.push(new TextDecoder().decode(msg.data)),
    });
    await nc.flush();
    const payload = new TextEncoder().encode('hello lattice');
    const reply = await invokeActor(nc, LATTICE, clusterKey, actorId, 'Test.Echo', payload);
    expect(new TextDecoder().decode(reply)).toBe('hello lattice');
    // Invocation events go to wasmbus.rpcevt, not the main subject. The host publishes an event on
    // one connection, so a copy on the main subject would reach `nc` in order with the rpcevt one;
    // once that has come, a flush (a round trip to the server) lets anything queued behind it in.
    await eventually(
      () => onRpcEvents.some((event) => event.includes('invocation_succeeded')),
      'the invocation_succeeded event on wasmbus.rpcevt',
    );
    subscription.unsubscribe();
    await nc.flush();
    expect(events.named('invocation_succeeded')).toEqual([]);
  });

  test('an actor on the same host is called in place, without crossing NATS', async () => {
    const other = signForTest(unsignedActor('wasmbus-kvcounter'), {
      name: 'other',
      callAlias: 'wasmcloud-ts/other',
    });
    const otherPath = join(dir, 'other.wasm');
    writeFileSync(otherPath, other.bytes);
    await ctlRequest(nc, subjects.ctl.launchActor(testHost.id), { actor_ref: otherPath });
    await events.waitFor('actor_started', (data) => data.public_key === other.id);
    await eventuallyPasses(
      async () =>
        expect(await testHost.host.latticeData.actorByCallAlias('wasmcloud-ts/other')).toBe(other.id),
      { what: "testHost.host.latticeData.actorByCallAlias('wasmcloud-ts/other') to be (other.id)" },
    );

    // Every call served is reported on wasmbus.rpcevt, whatever path it came by; count them by target.
    const served: string[] = [];
    const subscription = nc.subscribe(subjects.events.invocations(), {
      callback: (_error, msg) =>
        served.push(
          (JSON.parse(new TextDecoder().decode(msg.data)) as { data: { dest: { public_key: string } } }).data
            .dest.public_key,
        ),
    });
    // A plain subscriber on other's RPC subject (outside the queue group) sees every invocation sent to it.
    let sentToOther = 0;
    const spy = nc.subscribe(subjects.rpc.actor(other.id), {
      callback: () => {
        sentToOther++;
      },
    });
    await nc.flush();
    const reply = await invokeActor(
      nc,
      LATTICE,
      clusterKey,
      actorId,
      'Test.CallAlias',
      new TextEncoder().encode('inner'),
    );
    expect(new TextDecoder().decode(reply)).toBe('inner');
    // The inner call ended before the outer one, and was reported too.
    await eventuallyPasses(async () => expect(served).toEqual([other.id, actorId]), {
      what: 'served to equal ([other.id, actorId])',
    });
    // The inner call to `other` never went through NATS: a call sent to it over NATS afterwards is the
    // only invocation the spy sees.
    const marker = new TextEncoder().encode('marker');
    await invokeActor(nc, LATTICE, clusterKey, other.id, 'Test.Echo', marker, actorEntity(actorId));
    await eventuallyPasses(async () => expect(sentToOther).toBe(1), { what: 'sentToOther to be (1)' });
    spy.unsubscribe();
    subscription.unsubscribe();
    await ctlRequest(nc, subjects.ctl.stopActor(testHost.id), { actor_ref: other.id, count: 0 });
  });

  test('payloads over 700 KB travel through the object store both ways', async () => {
    const big = new Uint8Array(1024 * 1024).map((_, index) => index % 251);
    const reply = await invokeActor(nc, LATTICE, clusterKey, actorId, 'Test.Echo', big);
    expect(reply.length).toBe(big.length);
    expect(Buffer.from(reply).equals(Buffer.from(big))).toBe(true);
  });

  test('an invocation signed by a cluster key the host does not trust is refused', async () => {
    const stranger = KeyPair.create('cluster');
    await expect(invokeActor(nc, LATTICE, stranger, actorId, 'Test.Echo', new Uint8Array(1))).rejects.toThrow(
      /issuer .* is not one of this lattice's cluster issuers/,
    );
  });

  test('a refused call with a 300 KB operation is reported by a bounded invocation_failed', async () => {
    const sizes: number[] = [];
    const failed: Array<{ operation: string }> = [];
    const subscription = nc.subscribe(subjects.events.invocations(), {
      callback: (_error, msg) => {
        sizes.push(msg.data.length);
        const event = JSON.parse(new TextDecoder().decode(msg.data)) as {
          type: string;
          data: { operation: string };
        };
        // Events of earlier tests' calls may still arrive (a worker sends them with its next write),
        // so only this test's operation counts.
        if (event.type.endsWith('invocation_failed') && event.data.operation.startsWith('Test.xxx'))
          failed.push(event.data);
      },
    });
    const stranger = KeyPair.create('cluster');
    const operation = `Test.${'x'.repeat(300 * 1024)}`; // the signed invocation must fit max_payload
    await expect(invokeActor(nc, LATTICE, stranger, actorId, operation, new Uint8Array(1))).rejects.toThrow(
      /cluster issuers/,
    );
    await eventuallyPasses(async () => expect(failed.length).toBe(1), { what: 'failed.length to be (1)' });
    subscription.unsubscribe();
    expect(failed[0]?.operation).toMatch(/^Test\.x+… \(\d+ bytes more\)$/);
    expect(Math.max(...sizes)).toBeLessThan(4 * 1024);
  });

  test('a provider whose contract the actor does not claim is refused', async () => {
    const origin = providerEntity(PROVIDER, 'wasmcloud:messaging', 'default');
    const call = invokeActor(nc, LATTICE, clusterKey, actorId, 'Test.Echo', new Uint8Array(1), origin);
    await expect(call).rejects.toThrow(RpcRemoteError);
    await expect(call).rejects.toThrow(/missing capability claim for wasmcloud:messaging/);
  });

  test('bytes that are not an invocation get a deser error reply', async () => {
    const reply = await nc.request(subjects.rpc.actor(actorId), new Uint8Array([0xc1, 0x00]), {
      timeout: 2_000,
    });
    expect(new TextDecoder().decode(reply.data)).toMatch(/deser error/);
  });
});

describe('actor commands', () => {
  test('scale, stop with a count, and stop all', async () => {
    expect(
      await ctlRequest(nc, subjects.ctl.scaleActor(testHost.id), {
        actor_id: actorId,
        actor_ref: actorPath,
        count: 3,
      }),
    ).toEqual({ accepted: true, error: '' });
    await eventuallyPasses(async () => expect(await instancesOf(actorId)).toBe(3), {
      what: 'instancesOf(actorId) to be (3)',
    });
    expect(
      await ctlRequest(nc, subjects.ctl.stopActor(testHost.id), { actor_ref: actorId, count: 1 }),
    ).toEqual({
      accepted: true,
      error: '',
    });
    await eventuallyPasses(async () => expect(await instancesOf(actorId)).toBe(2), {
      what: 'instancesOf(actorId) to be (2)',
    });
    await ctlRequest(nc, subjects.ctl.stopActor(testHost.id), { actor_ref: actorId, count: 0 });
    await eventuallyPasses(async () => expect(await instancesOf(actorId)).toBe(0), {
      what: 'instancesOf(actorId) to be (0)',
    });
    expect(events.named('actor_stopped').length).toBeGreaterThanOrEqual(3);
    // Gone from NATS too: nobody serves its subject any more.
    await expect(
      invokeActor(nc, LATTICE, clusterKey, actorId, 'Test.Echo', new Uint8Array(1)),
    ).rejects.toThrow(/no responders/);
    // And back, for the tests after this one.
    await ctlRequest(nc, subjects.ctl.launchActor(testHost.id), { actor_ref: actorPath });
    await eventuallyPasses(async () => expect(await instancesOf(actorId)).toBe(1), {
      what: 'instancesOf(actorId) to be (1)',
    });
  });

  test('a stop with annotations stops only instances carrying them, however large its count', async () => {
    const managed = { 'wasmcloud.dev/managed-by': 'wadm', 'wasmcloud.dev/appspec': 'shop' };
    await ctlRequest(nc, subjects.ctl.launchActor(testHost.id), {
      actor_ref: actorPath,
      count: 2,
      annotations: managed,
    });
    await eventuallyPasses(async () => expect(await instancesOf(actorId)).toBe(3), {
      what: 'the one unannotated and two annotated instances',
    });
    expect(
      await ctlRequest(nc, subjects.ctl.stopActor(testHost.id), {
        actor_ref: actorId,
        count: 5,
        annotations: { 'wasmcloud.dev/appspec': 'shop' },
      }),
    ).toEqual({ accepted: true, error: '' });
    await eventuallyPasses(async () => expect(await instancesOf(actorId)).toBe(1), {
      what: 'only the annotated instances to stop',
    });
    const inventory = hostInventorySchema.parse(
      await ctlRequest(nc, subjects.ctl.hostInventory(testHost.id)),
    );
    const left = inventory.actors.find((actor) => actor.id === actorId)?.instances ?? [];
    expect(left.map((instance) => instance.annotations)).toEqual([{}]);
  });

  test('a start that fails acks, then reports actor_start_failed with the reason', async () => {
    const missing = join(dir, 'missing.wasm');
    expect(await ctlRequest(nc, subjects.ctl.launchActor(testHost.id), { actor_ref: missing })).toEqual({
      accepted: true,
      error: '',
    });
    const failed = await events.waitFor('actor_start_failed', (data) => data.actor_ref === missing);
    expect((failed.data as { error: string }).error).toMatch(/no such file/);
  });

  test('stopping an actor that is not running is refused on the spot', async () => {
    const reply = await ctlRequest(nc, subjects.ctl.stopActor(testHost.id), {
      actor_ref: 'MNOTHERE',
      count: 1,
    });
    expect(reply).toEqual({
      accepted: false,
      error: 'actor MNOTHERE is not running on this host',
      code: 'ACTOR_NOT_RUNNING',
    });
  });

  test('live update: same key, new revision; another key is refused', async () => {
    const subject = KeyPair.create('module');
    const first = signForTest(unsignedActor('wasmbus-kvcounter'), { subject, name: 'v1' });
    const second = signForTest(unsignedActor('wasmbus-kvcounter'), { subject, name: 'v2' });
    const other = signForTest(unsignedActor('wasmbus-kvcounter'), { name: 'other' });
    const paths = ['v1', 'v2', 'other'].map((name) => join(dir, `${name}.wasm`));
    writeFileSync(paths[0]!, first.bytes);
    writeFileSync(paths[1]!, second.bytes);
    writeFileSync(paths[2]!, other.bytes);
    await ctlRequest(nc, subjects.ctl.launchActor(testHost.id), { actor_ref: paths[0] });
    await events.waitFor('actor_started', (data) => data.public_key === first.id);

    const updated = await ctlRequest(nc, subjects.ctl.updateActor(testHost.id), {
      actor_id: first.id,
      new_actor_ref: paths[1],
    });
    expect(updated).toEqual({ accepted: true, error: '' });
    await events.waitFor('actor_updated', (data) => data.public_key === first.id);
    const { claims } = claimsListSchema.parse(await ctlRequest(nc, subjects.ctl.getClaims()));
    expect(claims.find((entry) => entry.sub === first.id)?.name).toBe('v2');

    const refused = await ctlRequest(nc, subjects.ctl.updateActor(testHost.id), {
      actor_id: first.id,
      new_actor_ref: paths[2],
    });
    expect(refused.accepted).toBe(false);
    expect(refused.error).toMatch(/needs the same key/);
    await events.waitFor('actor_update_failed', (data) => data.public_key === first.id);
  });
});

describe('links', () => {
  const link = {
    actor_id: 'MDXHCNXB2KM3BBRNU6LDCXLK2ZJ4MY7UU44ABF6MJWPQVXZM5CTMENVE',
    provider_id: PROVIDER,
    contract_id: 'wasmcloud:keyvalue',
    link_name: 'default',
    values: { URL: 'redis://127.0.0.1:6379/' },
  };

  test('put stores the link in LATTICEDATA and publishes linkdef_set; del removes it', async () => {
    expect(await ctlRequest(nc, subjects.ctl.linkPut(), link)).toEqual({ accepted: true, error: '' });
    await events.waitFor('linkdef_set', (data) => data.actor_id === link.actor_id);
    const { links } = linksListSchema.parse(await ctlRequest(nc, subjects.ctl.getLinks()));
    expect(links).toContainEqual(expect.objectContaining(link));

    const kv = await nc.jetstream().views.kv(subjects.latticeData.bucket);
    const keys: string[] = [];
    for await (const key of await kv.keys()) if (key.startsWith('LINKDEF_')) keys.push(key);
    expect(keys).toHaveLength(1);

    const deleted = await ctlRequest(nc, subjects.ctl.linkDel(), {
      actor_id: link.actor_id,
      contract_id: link.contract_id,
      link_name: 'default',
    });
    expect(deleted).toEqual({ accepted: true, error: '' });
    await events.waitFor('linkdef_deleted', (data) => data.actor_id === link.actor_id);
    await eventuallyPasses(
      async () =>
        expect(await linksListSchema.parse(await ctlRequest(nc, subjects.ctl.getLinks())).links.length).toBe(
          0,
        ),
      { what: 'linksListSchema.parse(await ctlRequest(nc, subjects.ctl.getLinks())).links.length to be (0)' },
    );
  });

  test('deleting a link that does not exist says so', async () => {
    const reply = await ctlRequest(nc, subjects.ctl.linkDel(), {
      actor_id: link.actor_id,
      contract_id: 'wasmcloud:nothing',
      link_name: 'default',
    });
    expect(reply.accepted).toBe(false);
    expect(reply.error).toMatch(/no link for actor .* on wasmcloud:nothing/);
  });
});

describe('auctions and registries', () => {
  test('a host bids only when its labels satisfy the constraints', async () => {
    const bids = await gather(nc, subjects.ctl.actorAuction(), {
      actor_ref: actorPath,
      constraints: { zone: 'blue' },
    });
    expect(bids).toEqual([{ actor_ref: actorPath, constraints: { zone: 'blue' }, host_id: testHost.id }]);
    expect(
      await gather(nc, subjects.ctl.actorAuction(), { actor_ref: actorPath, constraints: { zone: 'red' } }),
    ).toEqual([]);
    const providerBids = await gather(nc, subjects.ctl.providerAuction(), {
      provider_ref: '/some/provider.par.gz',
      link_name: 'default',
      constraints: {},
    });
    expect(providerBids).toHaveLength(1);
  });

  test('registries.put is acknowledged', async () => {
    const reply = await ctlRequest(nc, subjects.ctl.registriesPut(), {
      'localhost:5000': { username: 'u', password: 'p', registryType: 'oci' },
    });
    expect(reply).toEqual({ accepted: true, error: '' });
  });
});

describe('malformed input never takes the host down', () => {
  const notJson = new TextEncoder().encode('{not json');
  const cases: [string, () => string, unknown, RegExp][] = [
    ['launch actor, not JSON', () => subjects.ctl.launchActor(testHost.id), notJson, /not valid JSON/],
    ['launch actor, no ref', () => subjects.ctl.launchActor(testHost.id), { count: 1 }, /actor_ref/],
    [
      'launch actor, count as text',
      () => subjects.ctl.launchActor(testHost.id),
      { actor_ref: 'x', count: 'two' },
      /count/,
    ],
    ['stop actor, no count', () => subjects.ctl.stopActor(testHost.id), { actor_ref: 'x' }, /count/],
    [
      'scale actor, bad key',
      () => subjects.ctl.scaleActor(testHost.id),
      { actor_id: 'nope', actor_ref: 'x', count: 1 },
      /actor_id/,
    ],
    ['update actor, empty', () => subjects.ctl.updateActor(testHost.id), {}, /actor_id/],
    [
      'launch provider, no link name type',
      () => subjects.ctl.launchProvider(testHost.id),
      { provider_ref: 1 },
      /provider_ref/,
    ],
    ['stop provider, list', () => subjects.ctl.stopProvider(testHost.id), [1, 2], /expected an object/],
    ['stop host, bad timeout', () => subjects.ctl.stopHost(testHost.id), { timeout: -5 }, /timeout/],
    [
      'link put, provider key wrong',
      () => subjects.ctl.linkPut(),
      { actor_id: 'M', provider_id: 'x', contract_id: 'c', link_name: 'default', values: {} },
      /actor_id|provider_id/,
    ],
    [
      'link put, values not strings',
      () => subjects.ctl.linkPut(),
      {
        actor_id: 'MDXHCNXB2KM3BBRNU6LDCXLK2ZJ4MY7UU44ABF6MJWPQVXZM5CTMENVE',
        provider_id: PROVIDER,
        contract_id: 'c',
        link_name: 'default',
        values: { A: 1 },
      },
      /values/,
    ],
    ['link del, empty body', () => subjects.ctl.linkDel(), new Uint8Array(0), /empty/],
    [
      'registries, wrong shape',
      () => subjects.ctl.registriesPut(),
      { reg: 'password' },
      /expected an object/,
    ],
    ['actor auction, no ref', () => subjects.ctl.actorAuction(), { constraints: {} }, /actor_ref/],
    [
      'provider auction, not UTF-8',
      () => subjects.ctl.providerAuction(),
      new Uint8Array([0xff, 0xfe]),
      /UTF-8/,
    ],
  ];

  test.each(cases)('%s → accepted:false with the reason', async (_name, subject, body, reason) => {
    const reply = await ctlRequest(nc, subject(), body);
    expect(reply.accepted).toBe(false);
    expect(reply.error).toMatch(reason);
  });

  test('the host still answers after all of that', async () => {
    const replies = await gather(nc, subjects.ctl.ping(), undefined);
    expect(replies).toHaveLength(1);
  });
});

describe('strict validation (issue 12): wrong types and nulls are refused, naming the field', () => {
  const badBodies: Array<[string, () => string, unknown, string]> = [
    ['launch actor, ref null', () => subjects.ctl.launchActor(testHost.id), { actor_ref: null }, 'actor_ref'],
    [
      'launch actor, count a list',
      () => subjects.ctl.launchActor(testHost.id),
      { actor_ref: 'r', count: [1] },
      'count',
    ],
    [
      'stop actor, count null',
      () => subjects.ctl.stopActor(testHost.id),
      { actor_ref: 'r', count: null },
      'count',
    ],
    [
      'stop actor, ref a number',
      () => subjects.ctl.stopActor(testHost.id),
      { actor_ref: 1, count: 1 },
      'actor_ref',
    ],
    [
      'scale actor, ref null',
      () => subjects.ctl.scaleActor(testHost.id),
      { actor_id: ACTOR_KEY, actor_ref: null, count: 1 },
      'actor_ref',
    ],
    [
      'scale actor, count text',
      () => subjects.ctl.scaleActor(testHost.id),
      { actor_id: ACTOR_KEY, actor_ref: 'r', count: '1' },
      'count',
    ],
    [
      'update actor, new ref null',
      () => subjects.ctl.updateActor(testHost.id),
      { actor_id: ACTOR_KEY, new_actor_ref: null },
      'new_actor_ref',
    ],
    [
      'update actor, key a number',
      () => subjects.ctl.updateActor(testHost.id),
      { actor_id: 5, new_actor_ref: 'r' },
      'actor_id',
    ],
    [
      'launch provider, ref null',
      () => subjects.ctl.launchProvider(testHost.id),
      { provider_ref: null },
      'provider_ref',
    ],
    [
      'launch provider, configuration an object',
      () => subjects.ctl.launchProvider(testHost.id),
      { provider_ref: 'p', configuration: { a: 1 } },
      'configuration',
    ],
    [
      'stop provider, ref null',
      () => subjects.ctl.stopProvider(testHost.id),
      { provider_ref: null },
      'provider_ref',
    ],
    [
      'stop provider, link name a number',
      () => subjects.ctl.stopProvider(testHost.id),
      { provider_ref: PROVIDER, link_name: 1 },
      'link_name',
    ],
    [
      'stop host, timeout null and no host_id',
      () => subjects.ctl.stopHost(testHost.id),
      { timeout: null },
      'host_id',
    ],
    ['stop host, host_id null', () => subjects.ctl.stopHost(testHost.id), { host_id: null }, 'host_id'],
    [
      'stop host, timeout text',
      () => subjects.ctl.stopHost(testHost.id),
      { host_id: OTHER_HOST, timeout: '10s' },
      'timeout',
    ],
    [
      'link put, contract null',
      () => subjects.ctl.linkPut(),
      { actor_id: ACTOR_KEY, provider_id: PROVIDER, contract_id: null },
      'contract_id',
    ],
    [
      'link del, actor key null',
      () => subjects.ctl.linkDel(),
      { actor_id: null, contract_id: 'c' },
      'actor_id',
    ],
    [
      'registries, credential null',
      () => subjects.ctl.registriesPut(),
      { 'localhost:5000': null },
      '["localhost:5000"]',
    ],
    [
      'registries, username a number',
      () => subjects.ctl.registriesPut(),
      { 'localhost:5000': { username: 1 } },
      '["localhost:5000"].username',
    ],
    ['actor auction, ref null', () => subjects.ctl.actorAuction(), { actor_ref: null }, 'actor_ref'],
    [
      'provider auction, constraints a list',
      () => subjects.ctl.providerAuction(),
      { provider_ref: 'p', constraints: [] },
      'constraints',
    ],
  ];

  test.each(badBodies)('%s → accepted:false naming the field', async (_name, subject, body, field) => {
    const reply = await ctlRequest(nc, subject(), body);
    expect(reply.accepted).toBe(false);
    expect(reply.error).toMatch(/^invalid [a-z -]+: /);
    expect(reply.error).toContain(`: ${field}: `);
  });

  test('stop host is refused without a body, and when the body names another host', async () => {
    const empty = await ctlRequest(nc, subjects.ctl.stopHost(testHost.id), new Uint8Array(0));
    expect(empty).toEqual({
      accepted: false,
      error: 'request body is not valid JSON: it is empty',
      code: 'CONTROL_BAD_REQUEST',
    });
    const other = await ctlRequest(nc, subjects.ctl.stopHost(testHost.id), { host_id: OTHER_HOST });
    expect(other).toEqual({
      accepted: false,
      error: `invalid stop-host request: host_id: names ${OTHER_HOST}, but this is host ${testHost.id}`,
      code: 'CONTROL_WRONG_HOST',
    });
  });

  test('unknown fields are still ignored, as 2022 did', async () => {
    const bids = await gather(nc, subjects.ctl.actorAuction(), {
      actor_ref: 'r',
      constraints: { zone: 'blue' },
      max_instances: 3,
      spread: { name: 'x' },
    });
    expect(bids).toEqual([{ actor_ref: 'r', constraints: { zone: 'blue' }, host_id: testHost.id }]);
    const registries = await ctlRequest(nc, subjects.ctl.registriesPut(), {
      'localhost:5001': { username: 'u', password: 'p', allowInsecure: true },
    });
    expect(registries).toEqual({ accepted: true, error: '' });
  });

  test('the host is still running and answering after all of that', async () => {
    expect(await gather(nc, subjects.ctl.ping(), undefined)).toHaveLength(1);
    expect(await instancesOf(actorId)).toBe(1);
  });
});

describe('untrusted input cannot flood the log or the events (issue 12)', () => {
  const HUGE = 800 * 1024;

  test('an 800 KB actor_ref gives bounded log lines, event and replies', async () => {
    const sizes: number[] = [];
    const subscription = nc.subscribe(subjects.events.subject(), {
      callback: (_error, msg) => sizes.push(msg.data.length),
    });
    const logsBefore = testHost.logs.length;
    const ref = `registry.invalid/${'x'.repeat(HUGE)}:1`;
    const launched = await ctlRequest(nc, subjects.ctl.launchActor(testHost.id), { actor_ref: ref });
    expect(launched).toEqual({ accepted: true, error: '' });
    const failed = await events.waitFor('actor_start_failed', (data) =>
      String(data.actor_ref).startsWith('registry.invalid/xxxx'),
    );
    const data = failed.data as { actor_ref: string; error: string };
    expect(data.actor_ref).toMatch(/^registry\.invalid\/x+… \(\d+ bytes more\)$/);
    expect(data.actor_ref.length).toBeLessThan(DISPLAY_VALUE_LIMIT + 40);
    expect(data.error.length).toBeLessThan(DISPLAY_ERROR_LIMIT + 40);
    subscription.unsubscribe();
    expect(Math.max(...sizes)).toBeLessThan(8 * 1024);

    // A refusal that quotes the ref back is bounded too.
    const stop = await ctlRequest(nc, subjects.ctl.stopActor(testHost.id), { actor_ref: ref, count: 1 });
    expect(stop.accepted).toBe(false);
    expect(String(stop.error)).toMatch(/^actor registry\.invalid\/x+… \(\d+ bytes more\) is not running/);
    expect(String(stop.error).length).toBeLessThan(DISPLAY_VALUE_LIMIT + 100);

    const lines = testHost.logs.slice(logsBefore);
    expect(lines.some((line) => line.includes('failed to start'))).toBe(true);
    for (const line of lines) expect(line.length).toBeLessThan(8 * 1024);
  });

  test('registry names and keys quoted in refusals are bounded', async () => {
    const longKey = 'k'.repeat(HUGE);
    const reply = await ctlRequest(nc, subjects.ctl.launchActor(testHost.id), {
      actor_ref: 'r',
      annotations: { [longKey]: 1 },
    });
    expect(reply.accepted).toBe(false);
    expect(String(reply.error).length).toBeLessThan(1024);
    expect(reply.error).toMatch(/^invalid launch-actor request: annotations\["k+… \(\d+ bytes more\)"\]: /);
    const registries = await ctlRequest(nc, subjects.ctl.registriesPut(), { [longKey]: { username: 'u' } });
    expect(registries.accepted).toBe(false);
    expect(String(registries.error).length).toBeLessThan(1024);
  });
});

describe('providers (control side)', () => {
  test('a provider that cannot be fetched reports provider_start_failed', async () => {
    const missing = join(dir, 'missing.par.gz');
    const reply = await ctlRequest(nc, subjects.ctl.launchProvider(testHost.id), {
      provider_ref: missing,
      link_name: 'default',
    });
    expect(reply).toEqual({ accepted: true, error: '' });
    const failed = await events.waitFor('provider_start_failed', (data) => data.provider_ref === missing);
    expect((failed.data as { error: string }).error).toMatch(/no such file/);
  });

  test('stopping a provider that is not running is refused', async () => {
    const reply = await ctlRequest(nc, subjects.ctl.stopProvider(testHost.id), {
      provider_ref: PROVIDER,
      link_name: 'default',
    });
    expect(reply.accepted).toBe(false);
    expect(reply.error).toMatch(/is not running on this host/);
  });
});

describe('stop host', () => {
  test('acks, stops, publishes host_stopped; the actor is gone from NATS', async () => {
    const payload = encodePayload('x');
    expect(await invokeActor(nc, LATTICE, clusterKey, actorId, 'Test.Echo', payload)).toEqual(payload);
    const reply = await ctlRequest(nc, subjects.ctl.stopHost(testHost.id), {
      host_id: testHost.id,
      timeout: 1000,
    });
    expect(reply).toEqual({ accepted: true, error: '' });
    await events.waitFor('host_stopped', () => true);
    expect(await gather(nc, subjects.ctl.ping(), undefined)).toEqual([]);
  });
});
