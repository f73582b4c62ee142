// The keyvalue provider (providers/keyvalue) built into its archive and run by a real host through
// the control interface, on a real nats-server with JetStream: the wasmbus-kvcounter actor counting
// through it, every KeyValue operation called as a linked actor, expiry, concurrent writers in two
// provider processes, a bucket on another NATS named by URI, and links it must refuse.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KeyPair } from '../../lattice/keys.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { decodePayload, encodePayload } from '../../lattice/payload.ts';
import { eventually, eventuallyPasses } from '../helpers/eventually.ts';
import { ctlRequest } from '../helpers/lattice-client.ts';
import { freePort, type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { ACK, type ProviderArchive, ProviderLattice } from '../helpers/provider-lattice.ts';
import { connectionsTo } from '../helpers/tcp-connections.ts';

const CONTRACT = 'wasmcloud:keyvalue';

let lattice: ProviderLattice;
let remote: NatsServer;
let noJetStream: NatsServer;
let remoteNc: NatsConnection;
let provider: ProviderArchive;
let actorId: string;

function link(actor: string, values: Record<string, string>, linkName = 'default'): LinkDefinition {
  return {
    actor_id: actor,
    provider_id: provider.providerKey,
    link_name: linkName,
    contract_id: CONTRACT,
    values,
  };
}

interface CallOptions {
  actor?: string;
  linkName?: string;
}

/** Calls the provider as a linked actor would (signed invocation); the raw reply payload. */
function callRaw(operation: string, request: unknown, options: CallOptions = {}): Promise<Uint8Array> {
  return lattice.callProvider({
    actorId: options.actor ?? actorId,
    providerKey: provider.providerKey,
    contractId: CONTRACT,
    linkName: options.linkName,
    operation: `KeyValue.${operation}`,
    msg: encodePayload(request),
    timeoutMs: 15_000,
  });
}

async function call(operation: string, request: unknown, options: CallOptions = {}): Promise<unknown> {
  return decodePayload(await callRaw(operation, request, options));
}

/** The error text of a call that must fail. */
async function failure(operation: string, request: unknown, options: CallOptions = {}): Promise<string> {
  try {
    await callRaw(operation, request, options);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`KeyValue.${operation} succeeded`);
}

/** Waits until the provider accepts calls from `actor` on `linkName` (its link arrived). */
function waitForLink(options: CallOptions = {}): Promise<void> {
  const what = `the link of ${options.actor ?? actorId} (${options.linkName ?? 'default'})`;
  return lattice.waitForLink(provider.providerKey, what, () => call('Contains', 'probe', options));
}

async function bucketEntry(connection: NatsConnection, bucket: string, kvKey: string): Promise<unknown> {
  const kv = await connection.jetstream().views.kv(bucket, { bindOnly: true });
  const entry = await kv.get(kvKey);
  if (entry === null || entry.operation !== 'PUT') return entry?.operation ?? null;
  return JSON.parse(new TextDecoder().decode(entry.value));
}

/** The provider's log lines (the host logs them as `[V…]: …`) matching `pattern`. */
function providerLog(pattern: RegExp): string[] {
  return lattice.providerLog(provider.providerKey, pattern);
}

beforeAll(async () => {
  [lattice, remote, noJetStream] = await Promise.all([
    ProviderLattice.start({ lattice: 'kvprov', name: 'keyvalue', providerHealthIntervalMs: 500 }),
    startNatsServer(),
    startNatsServer({ jetstream: false }),
  ]);
  remoteNc = await connectNats({ url: remote.url });
  provider = await lattice.buildProvider('keyvalue');
  actorId = await lattice.startActor('wasmbus-kvcounter');
  await lattice.startProvider(provider);
  await lattice.putLink(link(actorId, { BUCKET: 'counters' }));
  await waitForLink();
}, 90_000);

afterAll(async () => {
  await lattice?.stop();
  await remoteNc?.close();
  await Promise.all([remote?.stop(), noJetStream?.stop()]);
});

test('the wasmbus-kvcounter actor counts through KeyValue.Increment in the bucket its link names', async () => {
  const request = encodePayload({
    method: 'GET',
    path: '/',
    queryString: '',
    header: {},
    body: new Uint8Array(),
  });
  const count = async () => {
    const reply = await lattice.invokeActor(actorId, 'HttpServer.HandleRequest', request);
    const response = decodePayload(reply) as { statusCode: number; body: Uint8Array };
    expect(response.statusCode).toBe(200);
    return JSON.parse(new TextDecoder().decode(response.body)) as { counter: number };
  };
  // actor_started can come a moment before the actor's RPC subscription: wait for a responder
  // (a call nobody received changed nothing).
  const first = await eventually(
    () =>
      count().catch((error: Error) =>
        error.message.includes('no responders') ? false : Promise.reject(error),
      ),
    'the actor to answer',
  );
  expect(first).toEqual({ counter: 1 });
  expect(await count()).toEqual({ counter: 2 });
  // Stored where the link said: bucket `counters` on the lattice's NATS, a plain key.
  expect(await bucketEntry(lattice.nc, 'counters', 'counter')).toEqual({ type: 'string', value: '2' });
  expect(await call('Get', 'counter')).toEqual({ value: '2', exists: true });
}, 30_000);

describe('every operation, called as the linked actor', () => {
  test('Get, Set, Del and Contains, with payloads shaped as the 2022 interface', async () => {
    const missing = await callRaw('Get', 'greeting');
    // GetResponse is a map keyed `value`, `exists`, in that order.
    expect(missing).toEqual(encodePayload({ value: '', exists: false }));
    expect(await callRaw('Set', { key: 'greeting', value: 'hello', expires: 0 })).toHaveLength(0);
    expect(await call('Get', 'greeting')).toEqual({ value: 'hello', exists: true });
    // Scalar replies are the msgpack scalar itself.
    expect(await callRaw('Contains', 'greeting')).toEqual(encodePayload(true));
    expect(await call('Contains', 'nothing-here')).toBe(false);
    // `expires` may be left out, as serde's default allows.
    await call('Set', { key: 'greeting', value: 'hello again' });
    expect(await call('Get', 'greeting')).toEqual({ value: 'hello again', exists: true });
    expect(await callRaw('Del', 'greeting')).toEqual(encodePayload(true));
    expect(await call('Del', 'greeting')).toBe(false);
    expect(await call('Get', 'greeting')).toEqual({ value: '', exists: false });
    expect(await call('Contains', 'greeting')).toBe(false);
  });

  test('any string is a key: those KV cannot hold are stored base64url-encoded, and keys do not collide', async () => {
    const key = 'user:42 ü/é.x';
    await call('Set', { key, value: 'unicode' });
    await call('Set', { key: 'user42', value: 'plain' });
    expect(await call('Get', key)).toEqual({ value: 'unicode', exists: true });
    expect(await call('Get', 'user42')).toEqual({ value: 'plain', exists: true });
    const kvKey = `=${Buffer.from(key, 'utf8').toString('base64url')}`;
    expect(await bucketEntry(lattice.nc, 'counters', kvKey)).toEqual({ type: 'string', value: 'unicode' });
    expect(await failure('Get', '')).toMatch(/KeyValue.Get: the key is empty/);
    expect(await failure('Set', { key: 'x'.repeat(1025), value: 'v' })).toMatch(
      /the key is 1025 bytes long; at most 1024/,
    );
  });

  test('Increment adds to a missing key, an integer string, and stops at the i32 range', async () => {
    expect(await callRaw('Increment', { key: 'n', value: 5 })).toEqual(encodePayload(5));
    expect(await call('Increment', { key: 'n', value: -7 })).toBe(-2);
    expect(await call('Get', 'n')).toEqual({ value: '-2', exists: true });
    await call('Set', { key: 'big', value: '2147483647' });
    expect(await failure('Increment', { key: 'big', value: 1 })).toMatch(
      /KeyValue.Increment: incrementing key "big" by 1 would leave the 32-bit integer range/,
    );
    await call('Set', { key: 'word', value: 'hello' });
    expect(await failure('Increment', { key: 'word', value: 1 })).toMatch(
      /the value of key "word" is not an integer: "hello"/,
    );
    // A value written by another NATS client (not this provider's JSON) reads as a string.
    const kv = await lattice.nc.jetstream().views.kv('counters', { bindOnly: true });
    await kv.put('seeded', new TextEncoder().encode('41'));
    expect(await call('Increment', { key: 'seeded', value: 1 })).toBe(42);
  });

  test('ListAdd, ListRange, ListDel and ListClear behave as RPUSH, LRANGE, LREM 1 and DEL', async () => {
    const added = [];
    for (const value of ['a', 'b', 'c', 'b']) added.push(await call('ListAdd', { listName: 'l', value }));
    expect(added).toEqual([1, 2, 3, 4]);
    expect(await call('ListRange', { listName: 'l', start: 0, stop: -1 })).toEqual(['a', 'b', 'c', 'b']);
    expect(await call('ListRange', { listName: 'l', start: 1, stop: 2 })).toEqual(['b', 'c']);
    expect(await call('ListRange', { listName: 'l', start: -2, stop: -1 })).toEqual(['c', 'b']);
    expect(await call('ListRange', { listName: 'l', start: 2, stop: 100 })).toEqual(['c', 'b']);
    expect(await call('ListRange', { listName: 'l', start: 5, stop: 10 })).toEqual([]);
    expect(await call('ListRange', { listName: 'nope', start: 0, stop: -1 })).toEqual([]);
    expect(await call('ListDel', { listName: 'l', value: 'b' })).toBe(true);
    expect(await call('ListRange', { listName: 'l', start: 0, stop: -1 })).toEqual(['a', 'c', 'b']);
    expect(await call('ListDel', { listName: 'l', value: 'zz' })).toBe(false);
    expect(await call('ListClear', 'l')).toBe(true);
    expect(await call('ListClear', 'l')).toBe(false);
    expect(await call('Contains', 'l')).toBe(false);
    // The last item removed deletes the list, as in Redis.
    await call('ListAdd', { listName: 'single', value: 'x' });
    await call('ListDel', { listName: 'single', value: 'x' });
    expect(await call('Contains', 'single')).toBe(false);
  });

  test('SetAdd, SetDel, SetQuery, SetUnion, SetIntersection and SetClear', async () => {
    expect(await call('SetAdd', { setName: 's1', value: 'x' })).toBe(1);
    expect(await call('SetAdd', { setName: 's1', value: 'y' })).toBe(1);
    expect(await call('SetAdd', { setName: 's1', value: 'x' })).toBe(0);
    expect(await call('SetDel', { setName: 's1', value: 'y' })).toBe(1);
    expect(await call('SetDel', { setName: 's1', value: 'y' })).toBe(0);
    expect(await call('SetQuery', 's1')).toEqual(['x']);
    await call('SetAdd', { setName: 's2', value: 'z' });
    await call('SetAdd', { setName: 's2', value: 'x' });
    expect(await call('SetQuery', 's2')).toEqual(['x', 'z']);
    expect(await call('SetUnion', ['s1', 's2', 'missing'])).toEqual(['x', 'z']);
    expect(await call('SetIntersection', ['s1', 's2'])).toEqual(['x']);
    expect(await call('SetIntersection', ['s1', 'missing'])).toEqual([]);
    expect(await call('SetIntersection', [])).toEqual([]);
    expect(await call('SetQuery', 'missing')).toEqual([]);
    expect(await call('SetClear', 's2')).toBe(true);
    expect(await call('SetQuery', 's2')).toEqual([]);
    expect(await call('SetClear', 's2')).toBe(false);
  });

  test('a key holds one kind of value: other kinds of operation on it fail, naming it', async () => {
    await call('SetAdd', { setName: 'kinds', value: 'v' });
    expect(await failure('ListAdd', { listName: 'kinds', value: 'v' })).toBe(
      'KeyValue.ListAdd: key "kinds" holds a set, not a list',
    );
    expect(await failure('Get', 'kinds')).toBe('KeyValue.Get: key "kinds" holds a set, not a string');
    expect(await failure('Increment', { key: 'kinds', value: 1 })).toMatch(/holds a set, not a string/);
    expect(await failure('SetUnion', ['kinds', 'n'])).toMatch(/key "n" holds a string, not a set/);
    // Set replaces whatever the key held, as Redis SET does.
    await call('Set', { key: 'kinds', value: 'now a string' });
    expect(await call('Get', 'kinds')).toEqual({ value: 'now a string', exists: true });
  });

  test('malformed requests get a clear error and the provider keeps serving', async () => {
    expect(await failure('Get', { key: 'x' })).toMatch(
      /KeyValue.Get: invalid request: expected a msgpack string \(the key\)/,
    );
    expect(await failure('Set', { key: 'x' })).toMatch(/KeyValue.Set: invalid request: value: /);
    expect(await failure('Increment', { key: 'x', value: 1.5 })).toMatch(/value: must be an integer/);
    expect(await failure('Increment', { key: 'x', value: 2 ** 31 })).toMatch(/value: /);
    expect(await failure('ListRange', { listName: 'l' })).toMatch(/start: .*; stop: /);
    expect(await failure('SetUnion', 'one-name')).toMatch(/expected a msgpack list of strings/);
    expect(await failure('Get', undefined)).toMatch(/KeyValue.Get: invalid request/);
    expect(await failure('Frobnicate', 'x')).toMatch(/operation KeyValue.Frobnicate is not handled/);
    expect(await call('Contains', 'counter')).toBe(true);
  });
});

test('Set with expires: the value reads as absent once the time has passed, and is then deleted', async () => {
  const setAt = Date.now();
  await call('Set', { key: 'ttl', value: 'short-lived', expires: 1 });
  await call('Set', { key: 'kept', value: 'forever', expires: 0 });
  expect(await call('Get', 'ttl')).toEqual({ value: 'short-lived', exists: true });
  const stored = (await bucketEntry(lattice.nc, 'counters', 'ttl')) as { expires_at: number };
  expect(stored.expires_at).toBeGreaterThanOrEqual(setAt + 1000);
  await eventuallyPasses(async () => expect(await call('Get', 'ttl')).toEqual({ value: '', exists: false }), {
    what: "call('Get', 'ttl') to equal ({ value: '', exists: false })",
    timeoutMs: 5_000,
    intervalMs: 100,
  });
  expect(Date.now() - setAt).toBeGreaterThanOrEqual(1000);
  expect(await call('Contains', 'ttl')).toBe(false);
  // The read that found it expired deleted the entry.
  expect(await bucketEntry(lattice.nc, 'counters', 'ttl')).toBe('DEL');
  expect(await call('Get', 'kept')).toEqual({ value: 'forever', exists: true });
  // Increment keeps a live expiry (INCRBY does), and an expired counter starts again from zero.
  await call('Set', { key: 'ttl-counter', value: '10', expires: 1 });
  expect(await call('Increment', { key: 'ttl-counter', value: 1 })).toBe(11);
  await eventuallyPasses(async () => expect(await call('Contains', 'ttl-counter')).toBe(false), {
    what: "call('Contains', 'ttl-counter') to be (false)",
    timeoutMs: 5_000,
    intervalMs: 100,
  });
  expect(await call('Increment', { key: 'ttl-counter', value: 1 })).toBe(1);
}, 20_000);

test('concurrent writers in two provider processes sharing a bucket lose no update', async () => {
  // A second process of the same provider, under link name `other`, linked to the same bucket.
  await lattice.startProvider(provider, 'other');
  await lattice.putLink(link(actorId, { BUCKET: 'counters' }, 'other'));
  await waitForLink({ linkName: 'other' });
  const before = (await call('Increment', { key: 'race', value: 0 })) as number;
  const perProcess = 25;
  const both = ['default', 'other'];
  const calls = both.flatMap((linkName) =>
    Array.from({ length: perProcess }, (_, index) => ({ linkName, index })),
  );
  const [increments, lengths, setAdds] = await Promise.all([
    Promise.all(calls.map(({ linkName }) => call('Increment', { key: 'race', value: 1 }, { linkName }))),
    Promise.all(
      calls.map(({ linkName, index }) =>
        call('ListAdd', { listName: 'race-list', value: `${linkName}-${index}` }, { linkName }),
      ),
    ),
    Promise.all(
      calls.map(({ linkName, index }) =>
        call('SetAdd', { setName: 'race-set', value: `${linkName}-${index}` }, { linkName }),
      ),
    ),
  ]);
  const total = calls.length;
  // Every increment saw a distinct value, and every append a distinct length: none was lost.
  expect((increments as number[]).toSorted((a, b) => a - b)).toEqual(
    Array.from({ length: total }, (_, index) => before + index + 1),
  );
  expect((lengths as number[]).toSorted((a, b) => a - b)).toEqual(
    Array.from({ length: total }, (_, index) => index + 1),
  );
  expect(setAdds).toEqual(Array.from({ length: total }, () => 1));
  expect(await call('Get', 'race')).toEqual({ value: String(before + total), exists: true });
  const list = (await call('ListRange', { listName: 'race-list', start: 0, stop: -1 })) as string[];
  expect(list.toSorted()).toEqual(calls.map(({ linkName, index }) => `${linkName}-${index}`).toSorted());
  expect(await call('SetQuery', 'race-set', { linkName: 'other' })).toHaveLength(total);
}, 60_000);

test('a link with URI keeps its bucket on that NATS (comma list allowed); deleting it closes that connection', async () => {
  const other = KeyPair.create('module').publicKey;
  const deadPort = await freePort();
  const connectionsBefore = connectionsTo(remote.port);
  await lattice.putLink(link(other, { uri: `127.0.0.1:${deadPort}, ${remote.url}`, bucket: 'elsewhere' }));
  await waitForLink({ actor: other });
  await call('Set', { key: 'where', value: 'remote' }, { actor: other });
  expect(await bucketEntry(remoteNc, 'elsewhere', 'where')).toEqual({ type: 'string', value: 'remote' });
  const latticeStreams = await (await lattice.nc.jetstreamManager()).streams.names().next();
  expect(latticeStreams).not.toContain('KV_elsewhere');
  expect(connectionsTo(remote.port)).toBe(connectionsBefore + 1);

  // Links without BUCKET get a bucket named after the actor: separate from everyone else's.
  const third = KeyPair.create('module').publicKey;
  await lattice.putLink(link(third, {}));
  await waitForLink({ actor: third });
  await call('Set', { key: 'counter', value: 'mine' }, { actor: third });
  expect(await bucketEntry(lattice.nc, third, 'counter')).toEqual({ type: 'string', value: 'mine' });
  expect(await call('Get', 'counter')).not.toEqual({ value: 'mine', exists: true });

  const { actor_id, contract_id, link_name } = link(other, {});
  expect(
    await ctlRequest(lattice.nc, lattice.subjects.ctl.linkDel(), { actor_id, contract_id, link_name }),
  ).toEqual(ACK);
  await eventuallyPasses(async () => expect(await connectionsTo(remote.port)).toBe(connectionsBefore), {
    what: 'connectionsTo(remote.port) to be (connectionsBefore)',
    timeoutMs: 10_000,
  });
  expect(await failure('Get', 'where', { actor: other })).toMatch(/has no link to this provider/);
}, 40_000);

test('bad link values are refused with a clear reason; the other links keep working; a duplicate put is a no-op', async () => {
  const deadPort = await freePort();
  const refusals: [Record<string, string>, RegExp][] = [
    [{ BUCKET: 'bad.name' }, /BUCKET "bad.name" is not a KV bucket name/],
    [{ URI: `127.0.0.1:${deadPort}` }, new RegExp(`cannot connect to NATS at 127.0.0.1:${deadPort}`)],
    [{ URI: noJetStream.url }, /JetStream is not enabled on the NATS server at nats:\/\/127.0.0.1/],
    [
      { URI: remote.url, CLIENT_JWT: 'eyJ0eXAiOiJKV1QifQ' },
      /CLIENT_JWT and CLIENT_SEED must be given together/,
    ],
    [{ CLIENT_JWT: 'jwt', CLIENT_SEED: 'SU' }, /CLIENT_JWT and CLIENT_SEED need URI/],
    [{ URI: ' , ' }, /URI is empty/],
    [{ BUCKET: 'a', bucket: 'b' }, /link values BUCKET and bucket disagree/],
  ];
  for (const [values, reason] of refusals) {
    const refused = KeyPair.create('module').publicKey;
    await lattice.putLink(link(refused, values));
    const refusedLines = () => providerLog(new RegExp(`Refused the link of actor ${refused}`));
    await eventuallyPasses(async () => expect(await refusedLines().length).toBeGreaterThan(0), {
      what: 'refusedLines().length to be greater than (0)',
      timeoutMs: 15_000,
    });
    for (const line of refusedLines()) expect(line).toMatch(reason);
    expect(await failure('Get', 'x', { actor: refused })).toMatch(/has no link to this provider/);
  }
  expect(await call('Get', 'counter')).toEqual({ value: expect.any(String), exists: true });

  // The same link again: the provider ignores it and the bucket is untouched.
  const duplicatesBefore = providerLog(new RegExp(`Ignoring duplicate link put for actor ${actorId}`)).length;
  await call('Set', { key: 'survives', value: 'yes' });
  await lattice.putLink(link(actorId, { BUCKET: 'counters' }));
  await eventuallyPasses(
    async () =>
      expect(
        await providerLog(new RegExp(`Ignoring duplicate link put for actor ${actorId}`)).length,
      ).toBeGreaterThan(duplicatesBefore),
    {
      what: 'providerLog(new RegExp(`Ignoring duplicate link put for actor {actorId}`)).length to be greater ...',
    },
  );
  expect(await call('Get', 'survives')).toEqual({ value: 'yes', exists: true });
}, 90_000);
