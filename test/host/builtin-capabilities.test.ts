// The built-in keyvalue and messaging providers (wasmcloud+builtin://keyvalue, …://messaging) on
// real hosts and a real nats-server with JetStream, beside the external providers (providers/
// keyvalue, providers/messaging) in the same lattice: the contract tests run table-driven over
// both, through a forwarder actor (test/helpers/wat-forwarder.ts) that hands each operation to its
// link. Also: kvcounter behind the built-in httpserver + built-in keyvalue counts exactly with two
// hosts racing; an actor without the claim gets the refusal it gets today; a built-in messaging
// subscription delivers HandleMessage once per host (a queue group: once in all); an actor on a
// host without the built-in is served over the provider RPC subject by one that has it; stopping a
// built-in closes its links and subscriptions.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { actorEntity } from '../../lattice/invocation.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { connectNats, type Msg } from '../../lattice/nats.ts';
import { decodePayload, encodePayload } from '../../lattice/payload.ts';
import { signForTest } from '../helpers/actors.ts';
import { eventually, eventuallyPasses } from '../helpers/eventually.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { ctlRequest } from '../helpers/lattice-client.ts';
import { freePort, startNatsServer } from '../helpers/nats-server.ts';
import { ACK, defaultLink, type ProviderArchive, ProviderLattice } from '../helpers/provider-lattice.ts';
import { connectionsTo } from '../helpers/tcp-connections.ts';
import { misbehavingComponent } from '../helpers/wat-component.ts';
import { forwarderActor, SEEN_SUBJECT } from '../helpers/wat-forwarder.ts';

const KEYVALUE = 'wasmcloud:keyvalue';
const MESSAGING = 'wasmcloud:messaging';
const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** The tests call the forwarders as another actor would (a provider origin needs its contract's claim). */
const CALLER = actorEntity(KeyPair.create('module').publicKey);

let lattice: ProviderLattice;
let second: TestHost | undefined;
let externalKeyValue: ProviderArchive;
let externalMessaging: ProviderArchive;

/** One way of serving a contract: the provider's key, and the forwarder actor linked to it. */
interface Served {
  name: 'external' | 'built-in';
  keyvalueKey: string;
  messagingKey: string;
  actorId: string;
}
const served: Served[] = [];

/** Calls the forwarder `actorId`, which hands the operation to its provider: the raw reply. */
function callRaw(actorId: string, operation: string, request: unknown): Promise<Uint8Array> {
  return lattice.invokeActor(actorId, operation, encodePayload(request), CALLER);
}

async function call(actorId: string, operation: string, request: unknown): Promise<unknown> {
  return decodePayload(await callRaw(actorId, operation, request));
}

async function failure(actorId: string, operation: string, request: unknown): Promise<string> {
  try {
    await callRaw(actorId, operation, request);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${operation} succeeded`);
}

function collect(subject: string): Msg[] {
  const received: Msg[] = [];
  lattice.nc.subscribe(subject, { callback: (_error, msg) => received.push(msg) });
  return received;
}

beforeAll(async () => {
  lattice = await ProviderLattice.start({ lattice: 'builtincaps', name: 'builtin-capabilities' });
  [externalKeyValue, externalMessaging] = await Promise.all([
    lattice.buildProvider('keyvalue'),
    lattice.buildProvider('messaging'),
  ]);
  await lattice.startProvider(externalKeyValue);
  await lattice.startProvider(externalMessaging);
  const builtinKeyValue = await lattice.startBuiltin(lattice.host.id, 'keyvalue');
  const builtinMessaging = await lattice.startBuiltin(lattice.host.id, 'messaging');
  for (const [name, keyvalueKey, messagingKey] of [
    ['external', externalKeyValue.providerKey, externalMessaging.providerKey],
    ['built-in', builtinKeyValue, builtinMessaging],
  ] as const) {
    const forwarder = await forwarderActor(undefined, `forwarder-${name}`);
    const actorId = await lattice.startSignedActor(forwarder.bytes, `forwarder-${name}`);
    const tag = name === 'external' ? 'ext' : 'bi';
    await lattice.putLink(defaultLink(actorId, keyvalueKey, KEYVALUE, { BUCKET: `contract_${tag}` }));
    // The external provider's default NATS is 127.0.0.1:4222; the built-in's is the lattice's.
    const messagingValues: Record<string, string> = { SUBSCRIPTION: `deliver.${tag}` };
    if (name === 'external') messagingValues.URI = lattice.nats.url;
    await lattice.putLink(defaultLink(actorId, messagingKey, MESSAGING, messagingValues));
    served.push({ name, keyvalueKey, messagingKey, actorId });
  }
  for (const { actorId } of served) {
    await eventually(
      () => call(actorId, 'KeyValue.Contains', 'probe').then(() => true),
      `the keyvalue link of ${actorId}`,
      20_000,
    );
    await eventually(
      () =>
        call(actorId, 'Messaging.Publish', { subject: 'link.check', body: new Uint8Array() }).then(
          () => true,
        ),
      `the messaging link of ${actorId}`,
      20_000,
    );
  }
}, 120_000);

afterAll(async () => {
  await second?.host.stop();
  await lattice?.stop();
});

describe.each([0, 1])('keyvalue contract, served by path %i (0 external, 1 built-in)', (index) => {
  const actor = () => served[index]!.actorId;
  const kv = (operation: string, request: unknown) => call(actor(), `KeyValue.${operation}`, request);
  const kvFailure = (operation: string, request: unknown) =>
    failure(actor(), `KeyValue.${operation}`, request);

  test('Get, Set, Del and Contains, with payloads shaped as the 2022 interface', async () => {
    expect(await callRaw(actor(), 'KeyValue.Get', 'greeting')).toEqual(
      encodePayload({ value: '', exists: false }),
    );
    expect(
      await callRaw(actor(), 'KeyValue.Set', { key: 'greeting', value: 'hello', expires: 0 }),
    ).toHaveLength(0);
    expect(await kv('Get', 'greeting')).toEqual({ value: 'hello', exists: true });
    expect(await callRaw(actor(), 'KeyValue.Contains', 'greeting')).toEqual(encodePayload(true));
    expect(await kv('Del', 'greeting')).toBe(true);
    expect(await kv('Del', 'greeting')).toBe(false);
    expect(await kv('Contains', 'greeting')).toBe(false);
  });

  test('Increment, lists and sets behave as INCRBY, RPUSH/LRANGE/LREM and SADD/SINTER', async () => {
    expect(await kv('Increment', { key: 'n', value: 5 })).toBe(5);
    expect(await kv('Increment', { key: 'n', value: -7 })).toBe(-2);
    for (const value of ['a', 'b', 'c', 'b']) await kv('ListAdd', { listName: 'l', value });
    expect(await kv('ListRange', { listName: 'l', start: -2, stop: -1 })).toEqual(['c', 'b']);
    expect(await kv('ListDel', { listName: 'l', value: 'b' })).toBe(true);
    expect(await kv('ListRange', { listName: 'l', start: 0, stop: -1 })).toEqual(['a', 'c', 'b']);
    expect(await kv('ListClear', 'l')).toBe(true);
    await kv('SetAdd', { setName: 's1', value: 'x' });
    await kv('SetAdd', { setName: 's2', value: 'x' });
    await kv('SetAdd', { setName: 's2', value: 'z' });
    expect(await kv('SetUnion', ['s1', 's2'])).toEqual(['x', 'z']);
    expect(await kv('SetIntersection', ['s1', 's2'])).toEqual(['x']);
    expect(await kv('SetClear', 's2')).toBe(true);
  });

  test('failures read the same: wrong kind, out of range, malformed request, unknown operation', async () => {
    await kv('SetAdd', { setName: 'kinds', value: 'v' });
    expect(await kvFailure('ListAdd', { listName: 'kinds', value: 'v' })).toContain(
      'KeyValue.ListAdd: key "kinds" holds a set, not a list',
    );
    await kv('Set', { key: 'big', value: '2147483647' });
    expect(await kvFailure('Increment', { key: 'big', value: 1 })).toMatch(
      /KeyValue.Increment: incrementing key "big" by 1 would leave the 32-bit integer range/,
    );
    expect(await kvFailure('Get', { key: 'x' })).toMatch(
      /KeyValue.Get: invalid request: expected a msgpack string \(the key\)/,
    );
    expect(await kvFailure('Get', '')).toMatch(/KeyValue.Get: the key is empty/);
    expect(await kvFailure('Frobnicate', 'x')).toMatch(
      /operation KeyValue.Frobnicate is not handled by provider V/,
    );
  });

  test('Set with expires: the value reads as absent once its time has passed', async () => {
    const setAt = Date.now();
    await kv('Set', { key: 'ttl', value: 'short-lived', expires: 1 });
    expect(await kv('Get', 'ttl')).toEqual({ value: 'short-lived', exists: true });
    await eventuallyPasses(async () => expect(await kv('Get', 'ttl')).toEqual({ value: '', exists: false }), {
      what: 'the value to expire',
      timeoutMs: 5_000,
      intervalMs: 100,
    });
    expect(Date.now() - setAt).toBeGreaterThanOrEqual(1000);
  });

  test('the data is in the bucket the link names, on the lattice NATS', async () => {
    await kv('Set', { key: 'where', value: 'here' });
    const bucket = index === 0 ? 'contract_ext' : 'contract_bi';
    const store = await lattice.nc.jetstream().views.kv(bucket, { bindOnly: true });
    const entry = await store.get('where');
    expect(JSON.parse(decoder.decode(entry!.value))).toEqual({ type: 'string', value: 'here' });
  });
});

describe.each([0, 1])('messaging contract, served by path %i (0 external, 1 built-in)', (index) => {
  const actor = () => served[index]!.actorId;
  const tag = index === 0 ? 'ext' : 'bi';

  test('Publish goes out with its replyTo; Request returns the ReplyMessage', async () => {
    const published = collect(`pub.${tag}`);
    await lattice.nc.flush();
    await call(actor(), 'Messaging.Publish', {
      subject: `pub.${tag}`,
      replyTo: 'back',
      body: encoder.encode('hi'),
    });
    await eventually(() => published.length === 1, 'the published message');
    expect(decoder.decode(published[0]!.data)).toBe('hi');
    expect(published[0]!.reply).toBe('back');

    lattice.nc.subscribe(`svc.${tag}`, {
      callback: (_error, msg) => msg.respond(encoder.encode(`re: ${decoder.decode(msg.data)}`)),
    });
    await lattice.nc.flush();
    const reply = (await call(actor(), 'Messaging.Request', {
      subject: `svc.${tag}`,
      body: encoder.encode('q'),
      timeoutMs: 2000,
    })) as {
      subject: string;
      body: Uint8Array;
    };
    // The reply's subject is the request's inbox, as the 2022 provider passed it on.
    expect(reply.subject).toMatch(/^_INBOX\./);
    expect(decoder.decode(reply.body)).toBe('re: q');
  });

  test('Request failures and bad subjects read the same', async () => {
    expect(
      await failure(actor(), 'Messaging.Request', {
        subject: `nobody.${tag}`,
        body: new Uint8Array(),
        timeoutMs: 500,
      }),
    ).toMatch(/Messaging.Request: no responders on nobody\./);
    expect(await failure(actor(), 'Messaging.Publish', { subject: 'a.*', body: new Uint8Array() })).toMatch(
      /Messaging.Publish: subject "a.\*" has a wildcard/,
    );
    expect(await failure(actor(), 'Messaging.Publish', { subject: 7 })).toMatch(
      /Messaging.Publish: invalid request/,
    );
  });

  test("a message on the link's SUBSCRIPTION reaches the actor as HandleMessage {subject, replyTo, body}", async () => {
    const seen = collect(SEEN_SUBJECT);
    await lattice.nc.flush();
    lattice.nc.publish(`deliver.${tag}`, encoder.encode(`to ${tag}`), { reply: 'answer.here' });
    await eventually(
      () => seen.some((msg) => decoder.decode(msg.data).includes(`to ${tag}`)),
      'the delivery',
    );
    const delivered = seen.map(
      (msg) => decodePayload(msg.data) as { subject: string; replyTo?: string; body: Uint8Array },
    );
    const mine = delivered.filter((message) => message.subject === `deliver.${tag}`);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.replyTo).toBe('answer.here');
    expect(decoder.decode(mine[0]!.body)).toBe(`to ${tag}`);
  });
});

describe('built-in only', () => {
  test('an actor without the wasmcloud:keyvalue claim gets the refusal it gets today, before anything is sent', async () => {
    const builtin = served[1]!;
    const refusals: string[] = [];
    for (const keyvalueKey of [externalKeyValue.providerKey, builtin.keyvalueKey]) {
      const unclaimed = await forwarderActor([MESSAGING], 'forwarder-no-kv');
      const actorId = await lattice.startSignedActor(unclaimed.bytes, `forwarder-no-kv-${refusals.length}`);
      await lattice.putLink(defaultLink(actorId, keyvalueKey, KEYVALUE, { BUCKET: 'unclaimed' }));
      refusals.push(await failure(actorId, 'KeyValue.Get', 'x'));
    }
    for (const refusal of refusals)
      expect(refusal).toMatch(
        /Invocation not authorized: actor M\w+ is missing capability claim for wasmcloud:keyvalue/,
      );
    expect(refusals[0]!.replace(/M\w{55}/g, 'M…')).toBe(refusals[1]!.replace(/M\w{55}/g, 'M…'));
  });

  test('a link with URI keeps its bucket on that NATS, one connection per worker and one for the host; deleting it closes them', async () => {
    const remote = await startNatsServer();
    try {
      const builtin = served[1]!;
      const other = await forwarderActor([KEYVALUE], 'forwarder-remote');
      const otherId = await lattice.startSignedActor(other.bytes, 'forwarder-remote');
      const before = connectionsTo(remote.port);
      const deadPort = await freePort();
      await lattice.putLink(
        defaultLink(otherId, builtin.keyvalueKey, KEYVALUE, {
          uri: `127.0.0.1:${deadPort}, ${remote.url}`,
          bucket: 'elsewhere',
        }),
      );
      await eventuallyPasses(
        async () =>
          expect(await call(otherId, 'KeyValue.Set', { key: 'where', value: 'remote' })).toBeUndefined(),
        { what: 'the URI link open' },
      );
      const remoteNc = await connectNats({ url: remote.url });
      const store = await remoteNc.jetstream().views.kv('elsewhere', { bindOnly: true });
      expect(JSON.parse(decoder.decode((await store.get('where'))!.value))).toEqual({
        type: 'string',
        value: 'remote',
      });
      await remoteNc.close();
      // The host's one worker and its main thread (which answers the RPC subject) each hold one.
      expect(connectionsTo(remote.port)).toBe(before + 2);
      expect(
        await ctlRequest(lattice.nc, lattice.subjects.ctl.linkDel(), {
          actor_id: otherId,
          contract_id: KEYVALUE,
          link_name: 'default',
        }),
      ).toEqual(ACK);
      await eventuallyPasses(async () => expect(connectionsTo(remote.port)).toBe(before), {
        what: 'the link connections closed',
      });
    } finally {
      await remote.stop();
    }
  }, 60_000);

  test('bad link values are refused with the reason (log, health_check_failed); the other links keep serving', async () => {
    const builtin = served[1]!;
    const noJetStream = await startNatsServer({ jetstream: false });
    try {
      const deadPort = await freePort();
      const refusals: [Record<string, string>, RegExp][] = [
        [{ BUCKET: 'bad.name' }, /BUCKET "bad.name" is not a KV bucket name/],
        [{ URI: `127.0.0.1:${deadPort}` }, new RegExp(`cannot connect to NATS at 127.0.0.1:${deadPort}`)],
        [{ URI: noJetStream.url }, /JetStream is not enabled on the NATS server at nats:\/\/127.0.0.1/],
        [{ CLIENT_JWT: 'jwt', CLIENT_SEED: 'SU' }, /CLIENT_JWT and CLIENT_SEED need URI/],
      ];
      for (const [values, reason] of refusals) {
        const refused = KeyPair.create('module').publicKey;
        await lattice.putLink(defaultLink(refused, builtin.keyvalueKey, KEYVALUE, values));
        const failed = await lattice.events.waitFor(
          'health_check_failed',
          (data) => data.public_key === builtin.keyvalueKey && reason.test(String(data.message)),
          15_000,
        );
        expect(String((failed.data as Record<string, unknown>).message)).toMatch(reason);
        expect(
          lattice.host.logs.some(
            (line) => line.includes(`Refused the link of actor ${refused}`) && reason.test(line),
          ),
        ).toBe(true);
        expect(await call(builtin.actorId, 'KeyValue.Contains', 'x')).toBe(false);
        expect(
          await ctlRequest(lattice.nc, lattice.subjects.ctl.linkDel(), {
            actor_id: refused,
            contract_id: KEYVALUE,
            link_name: 'default',
          }),
        ).toEqual(ACK);
      }
      // No link refused any more: healthy again (its last health event is a pass).
      await eventually(() => {
        const health = lattice.events.events.filter(
          (event) =>
            (event.type.endsWith('health_check_passed') || event.type.endsWith('health_check_failed')) &&
            (event.data as Record<string, unknown>).public_key === builtin.keyvalueKey &&
            event.source === lattice.host.id,
        );
        return health.at(-1)?.type.endsWith('health_check_passed') === true;
      }, 'health_check_passed once the refused links are gone');
    } finally {
      await noJetStream.stop();
    }
  }, 90_000);

  test('a replaced worker reopens the built-in links: calls are answered in it again, none goes over NATS', async () => {
    const builtin = served[1]!;
    // Every invocation sent to the built-in keyvalue's RPC subject (a plain subscription sees all).
    const overNats: Msg[] = [];
    const watch = lattice.nc.subscribe(lattice.subjects.rpc.provider(builtin.keyvalueKey, 'default'), {
      callback: (_error, msg) => overNats.push(msg),
    });
    await lattice.nc.flush();
    // A component that loops without yield points stalls the host's only worker, which is replaced.
    const looping = signForTest(await misbehavingComponent(), {
      name: 'misbehave',
      caps: ['wasmcloud:httpserver'],
    });
    const loopId = await lattice.startSignedActor(looping.bytes, 'misbehave');
    await lattice.invokeActor(loopId, 'loop', new Uint8Array()).catch(() => 'timed out, as it must');
    await lattice.events.waitFor(
      'actor_interrupted',
      (data) => data.public_key === loopId && data.action === 'worker_replaced',
      15_000,
    );
    await eventuallyPasses(
      async () =>
        expect(
          await call(builtin.actorId, 'KeyValue.Set', { key: 'after', value: 'replaced' }),
        ).toBeUndefined(),
      { what: 'the replacement worker answering', timeoutMs: 20_000 },
    );
    // Once the replacement has reopened the link, its calls stay in it.
    await eventuallyPasses(
      async () => {
        overNats.length = 0;
        for (let i = 0; i < 5; i++)
          await call(builtin.actorId, 'KeyValue.Increment', { key: 'replaced', value: 1 });
        expect(overNats).toEqual([]);
      },
      { what: 'calls answered in the replacement worker', timeoutMs: 20_000 },
    );
    expect(await call(builtin.actorId, 'KeyValue.Get', 'after')).toEqual({ value: 'replaced', exists: true });
    // A subscriber that never answers would look like a provider to the callers of later tests.
    watch.unsubscribe();
  }, 60_000);

  test('kvcounter behind the built-in httpserver + built-in keyvalue counts exactly with two hosts racing', async () => {
    second = await startTestHost({
      natsUrl: lattice.nats.url,
      settings: { latticePrefix: lattice.prefix, clusterSeed: lattice.clusterKey.seed, actorWorkers: '2' },
    });
    const hosts = [lattice.host.id, second.id];
    const httpKey = await lattice.startBuiltin(lattice.host.id, 'httpserver');
    await lattice.startBuiltin(second.id, 'httpserver');
    const kvKey = served[1]!.keyvalueKey;
    await lattice.startBuiltin(second.id, 'keyvalue');
    await lattice.startBuiltin(second.id, 'messaging');
    const kvcounterId = await lattice.startActor('wasmbus-kvcounter');
    // The same actor on the second host (started by file, as startActor does on the first).
    expect(
      await ctlRequest(lattice.nc, lattice.subjects.ctl.launchActor(second.id), {
        actor_ref: `${lattice.dir}/wasmbus-kvcounter.wasm`,
        count: 1,
      }),
    ).toEqual(ACK);
    await eventually(
      () => lattice.events.named('actor_started').some((event) => event.source === second!.id),
      'kvcounter on the second host',
    );
    const port = await freePort();
    await lattice.putLink(defaultLink(kvcounterId, kvKey, KEYVALUE, { BUCKET: 'race' }));
    await lattice.putLink(
      defaultLink(kvcounterId, httpKey, 'wasmcloud:httpserver', { ADDRESS: `127.0.0.1:${port}` }),
    );
    const get = async (): Promise<number> => {
      const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`${response.status}: ${text}`);
      return (JSON.parse(text) as { counter: number }).counter;
    };
    // Both hosts have the link open (each logs it), so both answer requests on the port.
    await eventuallyPasses(
      async () => {
        for (const host of [lattice.host, second!])
          expect(
            host.logs.some((line) =>
              line.includes(`actor ${kvcounterId} listening on http://127.0.0.1:${port}`),
            ),
          ).toBe(true);
        expect(await get()).toBeGreaterThan(0);
      },
      { what: 'both hosts serving the counter', timeoutMs: 20_000 },
    );
    const start = await get();
    const N = 200;
    const counters = await Promise.all(Array.from({ length: N }, () => get()));
    // Every increment saw its own value: none was lost to a concurrent writer on either host.
    expect(new Set(counters).size).toBe(N);
    expect(Math.min(...counters)).toBe(start + 1);
    expect(Math.max(...counters)).toBe(start + N);
    expect(await get()).toBe(start + N + 1);
    expect(hosts).toHaveLength(2);
  }, 120_000);

  test('a built-in messaging subscription is held once per host; a queue group delivers each message once in all', async () => {
    // Both hosts run the built-in messaging and both get the link: one subscription each.
    const actorId = served[1]!.actorId;
    const seen = collect(SEEN_SUBJECT);
    await lattice.nc.flush();
    const delivered = (subject: string, bodyPrefix: string) =>
      seen
        .map((msg) => decodePayload(msg.data) as { subject: string; body: Uint8Array })
        .filter(
          (message) => message.subject === subject && decoder.decode(message.body).startsWith(bodyPrefix),
        );
    await eventuallyPasses(
      async () => {
        lattice.nc.publish('deliver.bi', encoder.encode('probe'));
        expect(delivered('deliver.bi', 'probe').length).toBeGreaterThanOrEqual(2);
      },
      { what: 'both hosts subscribed', timeoutMs: 20_000 },
    );
    lattice.nc.publish('deliver.bi', encoder.encode('once per host'));
    // One delivery per host running the built-in (no queue group), as one per provider process.
    await eventually(
      () => delivered('deliver.bi', 'once per host').length === 2,
      'a delivery from each host',
    );
    await lattice.putLink(
      defaultLink(actorId, served[1]!.messagingKey, MESSAGING, { SUBSCRIPTION: 'deliver.q|workers' }),
    );
    await eventually(() => {
      lattice.nc.publish('deliver.q', encoder.encode('probe'));
      return delivered('deliver.q', 'probe').length > 0;
    }, 'the queue subscription');
    for (let i = 0; i < 20; i++) lattice.nc.publish('deliver.q', encoder.encode(`job ${i}`));
    await eventually(() => delivered('deliver.q', 'job ').length >= 20, 'every job delivered');
    const jobs = delivered('deliver.q', 'job ').map((message) => decoder.decode(message.body));
    expect(jobs.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `job ${i}`).sort());
    // The old subject is no longer subscribed: the put replaced the link's subscriptions.
    lattice.nc.publish('deliver.bi', encoder.encode('after the change'));
    lattice.nc.publish('deliver.ext', encoder.encode('marker'));
    await eventually(() => delivered('deliver.ext', 'marker').length === 1, 'the marker');
    expect(delivered('deliver.bi', 'after the change')).toEqual([]);
  }, 60_000);

  test('an actor on a host without the built-in is served over the provider RPC subject by a host that runs it', async () => {
    const builtin = served[1]!;
    // The forwarder runs on the first host only; stop that host's built-in keyvalue.
    expect(
      await ctlRequest(lattice.nc, lattice.subjects.ctl.stopProvider(lattice.host.id), {
        host_id: lattice.host.id,
        provider_ref: builtin.keyvalueKey,
        link_name: 'default',
        contract_id: KEYVALUE,
      }),
    ).toEqual(ACK);
    await eventually(
      () =>
        lattice.events
          .named('provider_stopped')
          .some(
            (event) =>
              event.source === lattice.host.id &&
              (event.data as Record<string, unknown>).public_key === builtin.keyvalueKey,
          ),
      'the first host to stop its built-in keyvalue',
    );
    // Now the call leaves the host, signed, and the second host's built-in answers it.
    await eventuallyPasses(
      async () =>
        expect(
          await call(builtin.actorId, 'KeyValue.Set', { key: 'remote', value: 'via host 2' }),
        ).toBeUndefined(),
      { what: 'the remote built-in to answer' },
    );
    expect(await call(builtin.actorId, 'KeyValue.Get', 'remote')).toEqual({
      value: 'via host 2',
      exists: true,
    });
    const store = await lattice.nc.jetstream().views.kv('contract_bi', { bindOnly: true });
    expect(JSON.parse(decoder.decode((await store.get('remote'))!.value))).toEqual({
      type: 'string',
      value: 'via host 2',
    });
    expect(await failure(builtin.actorId, 'KeyValue.Frobnicate', 'x')).toMatch(
      /operation KeyValue.Frobnicate is not handled by provider V/,
    );
  }, 60_000);

  test('stopping the built-in closes its links: calls then fail, subscriptions end', async () => {
    const builtin = served[1]!;
    for (const hostId of [lattice.host.id, second!.id]) {
      for (const [name, key] of [
        ['keyvalue', builtin.keyvalueKey],
        ['messaging', builtin.messagingKey],
      ] as const) {
        // The first host's built-in keyvalue was stopped by the test before.
        if (hostId === lattice.host.id && name === 'keyvalue') continue;
        expect(
          await ctlRequest(lattice.nc, lattice.subjects.ctl.stopProvider(hostId), {
            host_id: hostId,
            provider_ref: key,
            link_name: 'default',
            contract_id: `wasmcloud:${name}`,
          }),
        ).toEqual(ACK);
      }
    }
    await eventually(
      () =>
        lattice.events
          .named('provider_stopped')
          .filter((event) => (event.data as Record<string, unknown>).public_key === builtin.messagingKey)
          .length === 2,
      'both built-in messaging providers stopped',
    );
    // With no provider left, the call goes to the lattice and nobody answers.
    await eventuallyPasses(
      async () =>
        expect(await failure(builtin.actorId, 'KeyValue.Get', 'x')).toMatch(/no responders|timed out|RPC_/),
      {
        what: 'the keyvalue link closed',
      },
    );
    const seen = collect(SEEN_SUBJECT);
    await lattice.nc.flush();
    lattice.nc.publish('deliver.q', encoder.encode('after stop'));
    await lattice.nc.flush();
    // The external messaging provider's forwarder is still subscribed to its own subject: a
    // message there still arrives, so the silence on deliver.q is the built-in's.
    lattice.nc.publish('deliver.ext', encoder.encode('still there'));
    await eventually(
      () => seen.some((msg) => (decodePayload(msg.data) as { subject: string }).subject === 'deliver.ext'),
      'the external delivery',
    );
    expect(
      seen.filter((msg) => (decodePayload(msg.data) as { subject: string }).subject === 'deliver.q'),
    ).toEqual([]);
  }, 60_000);
});
