// Calls out that stay in their worker (issue 15, item 4), on real hosts and a real nats-server: an
// actor's call to another actor of the same host runs in the calling worker (no NATS message, and it
// completes while the test process's main thread — every in-process host's main thread — is blocked);
// a call to an actor of another host, and a provider call, is a signed invocation sent from the
// worker's own connection; links and call aliases that change after start reach the workers; a
// missing capability claim is refused in the same words; and WASMCLOUD_INVOCATION_EVENTS=each|off
// reports every path, or none.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { builtinProviderKey } from '../../lattice/builtin-providers.ts';
import { verifySignedWasm } from '../../lattice/claims.ts';
import { errorMessage } from '../../lattice/errors.ts';
import { type CloudEvent, parseCloudEvent } from '../../lattice/events.ts';
import { actorEntity, decodeInvocation, type Invocation, providerEntity } from '../../lattice/invocation.ts';
import { validateInvocation } from '../../lattice/invocation-validation.ts';
import { missingCapabilityText } from '../../lattice/missing-capability.ts';
import type { Subscription } from '../../lattice/nats.ts';
import { decodePayload, encodePayload } from '../../lattice/payload.ts';
import { invocationReply } from '../../lattice/rpc.ts';
import { builtActor, signForTest, unsignedActor } from '../helpers/actors.ts';
import { callWhileMainThreadBlocked } from '../helpers/blocked-main-thread.ts';
import { eventually, eventuallyPasses } from '../helpers/eventually.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { PROVIDER } from '../helpers/keys.ts';
import { ctlRequest } from '../helpers/lattice-client.ts';
import { freePort } from '../helpers/nats-server.ts';
import { ACK, ProviderLattice } from '../helpers/provider-lattice.ts';
import { misbehavingComponent } from '../helpers/wat-component.ts';

const KEYVALUE = 'wasmcloud:keyvalue';
const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** The origin invokeActor gives a call: an httpserver provider. */
const HTTP_ORIGIN = providerEntity(PROVIDER, 'wasmcloud:httpserver', 'default');

/** The test plays the keyvalue provider: it checks each call's signature and answers 7 to every one. */
class KeyValueResponder {
  readonly received: Invocation[] = [];
  readonly #subscription: Subscription;
  constructor(lattice: ProviderLattice) {
    const issuers = new Set([lattice.clusterKey.publicKey]);
    this.#subscription = lattice.nc.subscribe(lattice.subjects.rpc.provider(PROVIDER, 'default'), {
      callback: (_error, msg) => {
        const invocation = decodeInvocation(msg.data);
        validateInvocation(invocation, { clusterIssuers: issuers });
        this.received.push(invocation);
        void invocationReply(invocation.id, encodePayload(7), undefined).then((reply) => msg.respond(reply));
      },
    });
  }
  stop(): void {
    this.#subscription.unsubscribe();
  }
}

/** The counter's HttpResponse body, or the call's error text. */
async function counterCall(call: () => Promise<Uint8Array>): Promise<string> {
  try {
    const response = decodePayload(await call()) as { body: Uint8Array };
    return decoder.decode(response.body);
  } catch (error) {
    return errorMessage(error);
  }
}

/** A second host on the lattice of `lattice`, with settings of its own. */
async function secondHost(
  lattice: ProviderLattice,
  settings: Record<string, string> = {},
): Promise<TestHost> {
  return startTestHost({
    natsUrl: lattice.nats.url,
    settings: { latticePrefix: lattice.prefix, clusterSeed: lattice.clusterKey.seed, ...settings },
  });
}

/** Starts a signed actor on `host` (not the lattice's own host) and waits for its actor_started. */
async function startOn(
  lattice: ProviderLattice,
  host: TestHost,
  bytes: Uint8Array,
  name: string,
): Promise<string> {
  const path = join(lattice.dir, `${name}.wasm`);
  writeFileSync(path, bytes);
  const actorId = verifySignedWasm(bytes).claims.sub;
  expect(
    await ctlRequest(lattice.nc, lattice.subjects.ctl.launchActor(host.id), { actor_ref: path }),
  ).toEqual(ACK);
  await lattice.events.waitFor('actor_started', (data) => data.public_key === actorId, 20_000);
  return actorId;
}

/** Waits until Test.CallAlias through `actorId` echoes `text`: the alias has reached its host's workers. */
function aliasAnswers(
  lattice: ProviderLattice,
  actorId: string,
  text: string,
  what: string,
): Promise<boolean> {
  return eventually(
    () =>
      lattice.invokeActor(actorId, 'Test.CallAlias', encoder.encode(text)).then(
        (reply) => decoder.decode(reply) === text,
        () => false,
      ),
    what,
  );
}

/**
 * Test.CallAlias through `actorId` echoes `text` while this process's main thread (the in-process
 * hosts' main threads) is blocked: the whole call never needed it.
 */
async function expectEchoedWhileBlocked(
  lattice: ProviderLattice,
  actorId: string,
  text: string,
): Promise<void> {
  const outcome = await callWhileMainThreadBlocked({
    natsUrl: lattice.nats.url,
    lattice: lattice.prefix,
    clusterSeed: lattice.clusterKey.seed,
    actorId,
    operation: 'Test.CallAlias',
    payload: encoder.encode(text),
    origin: HTTP_ORIGIN,
  });
  expect(outcome.error).toBeUndefined();
  expect(outcome.whileBlocked).toBe('ok');
  expect(decoder.decode(outcome.reply)).toBe(text);
}

/** Counts the invocations published on an actor's RPC subject (a plain subscriber sees every one). */
function spyOn(lattice: ProviderLattice, actorId: string): { sent: Invocation[]; stop: () => void } {
  const sent: Invocation[] = [];
  const subscription = lattice.nc.subscribe(lattice.subjects.rpc.actor(actorId), {
    callback: (_error, msg) => sent.push(decodeInvocation(msg.data)),
  });
  return { sent, stop: () => subscription.unsubscribe() };
}

describe('calls out stay in their worker', () => {
  let lattice: ProviderLattice;
  let remote: TestHost;
  let responder: KeyValueResponder;
  let callerId: string;
  let otherId: string;
  let remoteCallerId: string;
  const other = signForTest(unsignedActor('wasmbus-kvcounter'), {
    name: 'other',
    callAlias: 'wasmcloud-ts/other',
  });

  beforeAll(async () => {
    lattice = await ProviderLattice.start({ lattice: 'localcalls', name: 'local-calls' });
    remote = await secondHost(lattice);
    responder = new KeyValueResponder(lattice);
    callerId = await lattice.startActor('wasmbus-kvcounter');
    const remoteCaller = signForTest(unsignedActor('wasmbus-kvcounter'), {
      name: 'remote-caller',
      caps: ['wasmcloud:httpserver', KEYVALUE],
    });
    remoteCallerId = await startOn(lattice, remote, remoteCaller.bytes, 'remote-caller');
  }, 60_000);

  afterAll(async () => {
    responder?.stop();
    await remote?.host.stop();
    await lattice?.stop();
  });

  test('a call alias that appears after start reaches the workers; the call then runs in the calling worker', async () => {
    // No actor has the alias yet: refused in the main thread's words.
    await expect(lattice.invokeActor(callerId, 'Test.CallAlias', encoder.encode('x'))).rejects.toThrow(
      'no actor has the key or call alias "wasmcloud-ts/other"',
    );
    otherId = await lattice.startSignedActor(other.bytes, 'other');
    await aliasAnswers(lattice, callerId, 'x', 'the workers to know the alias wasmcloud-ts/other');

    const spy = spyOn(lattice, otherId);
    await lattice.nc.flush();
    // Made while this process's main thread (the hosts' main threads) is blocked: it never needs it.
    await expectEchoedWhileBlocked(lattice, callerId, 'same host');
    // Nor NATS: a call sent to `other` over NATS afterwards is the first invocation the spy sees.
    await lattice.invokeActor(otherId, 'Test.Echo', encoder.encode('marker'), actorEntity(callerId));
    await eventuallyPasses(
      async () => expect(spy.sent.map((invocation) => decoder.decode(invocation.msg))).toEqual(['marker']),
      {
        what: 'only the marker sent to other over NATS',
      },
    );
    spy.stop();
  });

  test('a call to an actor of another host is signed and sent from the worker, with the main thread blocked', async () => {
    // `other` runs on the first host only; the caller on the second.
    const spy = spyOn(lattice, otherId);
    await lattice.nc.flush();
    await expectEchoedWhileBlocked(lattice, remoteCallerId, 'other host');
    await eventuallyPasses(async () => expect(spy.sent).toHaveLength(1), {
      what: 'one invocation sent to other',
    });
    const [sent] = spy.sent;
    expect(validateInvocation(sent!, { clusterIssuers: new Set([lattice.clusterKey.publicKey]) })).toEqual({
      issuer: lattice.clusterKey.publicKey,
    });
    expect(sent).toMatchObject({
      origin: actorEntity(remoteCallerId),
      host_id: remote.id,
      operation: 'Test.Echo',
    });
    spy.stop();
  });

  test('provider calls: a link put after start reaches the workers, the call leaves signed from the worker, a delete takes it away', async () => {
    const handle = () => lattice.invokeActor(callerId, 'HttpServer.HandleRequest', new Uint8Array());
    expect(await counterCall(handle)).toContain(
      `Invocation not authorized: missing link definition for ${callerId} on ${KEYVALUE} (link default)`,
    );
    await lattice.putLink({
      actor_id: callerId,
      provider_id: PROVIDER,
      contract_id: KEYVALUE,
      link_name: 'default',
      values: {},
    });
    await eventually(
      async () => (await counterCall(handle)) === '{"counter":7}',
      'the link to reach the worker',
    );

    // The provider is played from the calling thread meanwhile (this one is blocked), answering 8.
    responder.stop();
    const outcome = await callWhileMainThreadBlocked({
      natsUrl: lattice.nats.url,
      lattice: lattice.prefix,
      clusterSeed: lattice.clusterKey.seed,
      actorId: callerId,
      operation: 'HttpServer.HandleRequest',
      payload: new Uint8Array(),
      origin: HTTP_ORIGIN,
      provider: { subject: lattice.subjects.rpc.provider(PROVIDER, 'default'), answer: encodePayload(8) },
    });
    responder = new KeyValueResponder(lattice);
    expect(outcome.error).toBeUndefined();
    expect(outcome.whileBlocked).toBe('ok');
    expect(decoder.decode((decodePayload(outcome.reply!) as { body: Uint8Array }).body)).toBe(
      '{"counter":8}',
    );
    expect(outcome.providerCalls).toHaveLength(1);
    const [call] = outcome.providerCalls;
    expect(
      validateInvocation(call!, { clusterIssuers: new Set([lattice.clusterKey.publicKey]) }),
    ).toBeTruthy();
    expect(call).toMatchObject({
      origin: actorEntity(callerId),
      target: providerEntity(PROVIDER, KEYVALUE, 'default'),
      operation: 'KeyValue.Increment',
      host_id: lattice.host.id,
    });

    expect(
      await ctlRequest(lattice.nc, lattice.subjects.ctl.linkDel(), {
        actor_id: callerId,
        contract_id: KEYVALUE,
        link_name: 'default',
      }),
    ).toEqual(ACK);
    await eventually(
      async () => (await counterCall(handle)).includes('missing link definition'),
      'the link deletion to reach the worker',
    );
  });

  test('a missing capability claim is refused in the worker in the same words, and nothing is sent', async () => {
    const noKeyValue = signForTest(unsignedActor('wasmbus-kvcounter'), {
      name: 'nokv',
      caps: ['wasmcloud:httpserver'],
    });
    const actorId = await lattice.startSignedActor(noKeyValue.bytes, 'nokv');
    await lattice.putLink({
      actor_id: actorId,
      provider_id: PROVIDER,
      contract_id: KEYVALUE,
      link_name: 'default',
      values: {},
    });
    // Linked or not, the claim is checked first.
    const before = responder.received.length;
    const handle = () => lattice.invokeActor(actorId, 'HttpServer.HandleRequest', new Uint8Array());
    expect(await counterCall(handle)).toContain(
      `Invocation not authorized: ${missingCapabilityText(actorId, KEYVALUE)}`,
    );
    expect(responder.received.length).toBe(before);
  });

  test('a replacement worker gets the routes again: the call still never needs the main thread', async () => {
    // A component looping without yield points stalls the host's only worker, which is replaced.
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
    await aliasAnswers(lattice, callerId, 'replaced', 'the replacement worker to serve the caller');
    // Without the routes replayed the replacement would send the call out to the main thread.
    await expectEchoedWhileBlocked(lattice, callerId, 'after replacement');
  }, 60_000);
});

describe('a call the worker cannot run now goes to another worker over their channel', () => {
  let lattice: ProviderLattice;

  beforeAll(async () => {
    lattice = await ProviderLattice.start({
      lattice: 'peercalls',
      name: 'peer-calls',
      hostSettings: { actorWorkers: '2' },
    });
  }, 60_000);

  afterAll(async () => {
    await lattice?.stop();
  });

  test('an actor calling itself by alias with one instance per worker: the inner call runs in the other worker', async () => {
    // One instance (one call at a time per worker): its Test.CallAlias holds this worker's instance,
    // so its call to itself (it has the alias wasmcloud-ts/other) can only run in the other worker.
    const self = signForTest(unsignedActor('wasmbus-kvcounter'), {
      name: 'self',
      callAlias: 'wasmcloud-ts/other',
      caps: ['wasmcloud:httpserver'],
    });
    const actorId = await lattice.startSignedActor(self.bytes, 'self');
    await aliasAnswers(lattice, actorId, 'warming up', 'the workers to know the alias');
    const spy = spyOn(lattice, actorId);
    // The peer that runs an inner call reports it (events each, the default); told apart by size
    // (the warm-up's own may still arrive: it is 10 bytes).
    const innerSizes: number[] = [];
    const events = lattice.nc.subscribe(lattice.subjects.events.invocations(), {
      callback: (_error, msg) => {
        const parsed = parseCloudEvent(msg.data);
        if (!parsed.ok) throw new Error(parsed.error);
        const data = parsed.value.data as {
          source: { public_key: string };
          operation: string;
          bytes: number;
        };
        if (data.source.public_key === actorId && data.operation === 'Test.Echo') innerSizes.push(data.bytes);
      },
    });
    await lattice.nc.flush();
    for (const text of ['a', 'bb', 'ccc', 'dddd']) await expectEchoedWhileBlocked(lattice, actorId, text);
    // Only the four outer calls crossed NATS; none of the inner ones.
    await eventuallyPasses(async () => expect(spy.sent).toHaveLength(4), { what: 'the four outer calls' });
    expect(spy.sent.every((invocation) => invocation.operation === 'Test.CallAlias')).toBe(true);
    await eventuallyPasses(
      async () => expect(innerSizes.filter((size) => size <= 4).sort()).toEqual([1, 2, 3, 4]),
      {
        what: 'an invocation event for each inner call',
      },
    );
    events.unsubscribe();
    spy.stop();
  });
});

/** An invocation event as the test compares it. */
interface Served {
  host: string;
  origin: string;
  dest: string;
  operation: string;
  name: string;
}

describe.each(['each', 'off'] as const)('WASMCLOUD_INVOCATION_EVENTS=%s', (mode) => {
  let lattice: ProviderLattice;
  let second: TestHost;
  let responder: KeyValueResponder;
  const served: Served[] = [];
  let callerId: string;
  let otherId: string;
  let remoteCallerId: string;
  let builtinKey: string;

  beforeAll(async () => {
    lattice = await ProviderLattice.start({
      lattice: `events${mode}`,
      name: `events-${mode}`,
      hostSettings: { invocationEvents: mode },
    });
    const first = lattice.host;
    second = await secondHost(lattice, { invocationEvents: mode });
    responder = new KeyValueResponder(lattice);
    lattice.nc.subscribe(lattice.subjects.events.invocations(), {
      callback: (_error, msg) => {
        const parsed = parseCloudEvent(msg.data);
        if (!parsed.ok) throw new Error(parsed.error);
        const event = parsed.value as CloudEvent<{
          source: { public_key: string };
          dest: { public_key: string };
          operation: string;
        }>;
        served.push({
          host: event.source,
          origin: event.data.source.public_key,
          dest: event.data.dest.public_key,
          operation: event.data.operation,
          name: event.type,
        });
      },
    });
    callerId = await startOn(lattice, first, builtActor('wasmbus-kvcounter'), 'caller');
    otherId = await startOn(
      lattice,
      first,
      signForTest(unsignedActor('wasmbus-kvcounter'), { name: 'other', callAlias: 'wasmcloud-ts/other' })
        .bytes,
      'other',
    );
    remoteCallerId = await startOn(
      lattice,
      second,
      signForTest(unsignedActor('wasmbus-kvcounter'), {
        name: 'remote-caller',
        caps: ['wasmcloud:httpserver'],
      }).bytes,
      'remote-caller',
    );
    await lattice.putLink({
      actor_id: callerId,
      provider_id: PROVIDER,
      contract_id: KEYVALUE,
      link_name: 'default',
      values: {},
    });
    builtinKey = builtinProviderKey(lattice.clusterKey.seed, 'httpserver').publicKey;
    expect(
      await ctlRequest(lattice.nc, lattice.subjects.ctl.launchProvider(first.id), {
        provider_ref: 'wasmcloud+builtin://httpserver',
        link_name: 'default',
      }),
    ).toEqual(ACK);
    await lattice.events.waitFor('provider_started', (data) => data.public_key === builtinKey);
  }, 60_000);

  afterAll(async () => {
    responder?.stop();
    await second?.host.stop();
    await lattice?.stop();
  });

  test('every path reports its calls, or none', async () => {
    const first = lattice.host;
    // 1. From NATS.
    expect(decoder.decode(await lattice.invokeActor(callerId, 'Test.Echo', encoder.encode('a')))).toBe('a');
    // 2. Actor → actor in the worker (and the outer call from NATS).
    await aliasAnswers(lattice, callerId, 'b', 'the alias to reach the workers');
    // 3. The built-in httpserver in the worker (the counter's call to the keyvalue provider goes out too).
    const port = await freePort();
    await lattice.putLink({
      actor_id: callerId,
      provider_id: builtinKey,
      contract_id: 'wasmcloud:httpserver',
      link_name: 'default',
      values: { ADDRESS: `127.0.0.1:${port}` },
    });
    const body = await eventually(
      () =>
        fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } }).then(
          (response) => response.text(),
          () => undefined,
        ),
      'the built-in listener',
    );
    expect(body).toBe('{"counter":7}');
    // 4. From the second host's worker to an actor of the first (served there from NATS).
    await aliasAnswers(lattice, remoteCallerId, 'c', 'the second host to know the alias');
    // Each worker sends one more invocation on its connection: any event it published before is in
    // `served` by the time the test sees that invocation arrive (NATS keeps a connection's order).
    const received = responder.received.length;
    await lattice.invokeActor(callerId, 'HttpServer.HandleRequest', new Uint8Array());
    const spy = spyOn(lattice, otherId);
    await lattice.nc.flush();
    await lattice.invokeActor(remoteCallerId, 'Test.CallAlias', encoder.encode('d'));
    await eventuallyPasses(async () => expect(spy.sent.length).toBeGreaterThan(0), {
      what: 'the second sentinel',
    });
    expect(responder.received.length).toBeGreaterThan(received);
    spy.stop();

    const expected: Served[] = [
      {
        host: first.id,
        origin: PROVIDER,
        dest: callerId,
        operation: 'Test.Echo',
        name: 'com.wasmcloud.lattice.invocation_succeeded',
      },
      {
        host: first.id,
        origin: callerId,
        dest: otherId,
        operation: 'Test.Echo',
        name: 'com.wasmcloud.lattice.invocation_succeeded',
      },
      {
        host: first.id,
        origin: PROVIDER,
        dest: callerId,
        operation: 'Test.CallAlias',
        name: 'com.wasmcloud.lattice.invocation_succeeded',
      },
      {
        host: first.id,
        origin: builtinKey,
        dest: callerId,
        operation: 'HttpServer.HandleRequest',
        name: 'com.wasmcloud.lattice.invocation_succeeded',
      },
      {
        host: first.id,
        origin: remoteCallerId,
        dest: otherId,
        operation: 'Test.Echo',
        name: 'com.wasmcloud.lattice.invocation_succeeded',
      },
      {
        host: second.id,
        origin: PROVIDER,
        dest: remoteCallerId,
        operation: 'Test.CallAlias',
        name: 'com.wasmcloud.lattice.invocation_succeeded',
      },
    ];
    if (mode === 'off') expect(served).toEqual([]);
    else for (const event of expected) expect(served).toContainEqual(event);
  });
});
