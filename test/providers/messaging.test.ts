// The NATS messaging provider (providers/messaging) built into its archive and run by a real host
// through the control interface. The lattice runs on one nats-server and the actors' messages go
// through a second one (the "broker"), so every check below tells the two apart: Publish and
// Request called as a linked actor, subscriptions (plain, wildcard, queue group) delivered to the
// service-applier actor as MessageSubscriber.HandleMessage, the SubMessage on the wire, link values
// in all their forms, refusals, duplicate puts, and a deleted link's connection closing.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  decodeInvocation,
  encodeInvocationResponse,
  type Invocation,
  providerEntity,
} from '../../lattice/invocation.ts';
import { KeyPair } from '../../lattice/keys.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import { connectNats, type Msg, type NatsConnection } from '../../lattice/nats.ts';
import { decodePayload, encodePayload } from '../../lattice/payload.ts';
import { eventually } from '../helpers/eventually.ts';
import { ctlRequest } from '../helpers/lattice-client.ts';
import { freePort, type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { ACK, type ProviderArchive, ProviderLattice } from '../helpers/provider-lattice.ts';
import { connectionsTo } from '../helpers/tcp-connections.ts';

const CONTRACT = 'wasmcloud:messaging';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

let lattice: ProviderLattice;
let broker: NatsServer;
let brokerNc: NatsConnection;
let provider: ProviderArchive;
/** The service-applier actor: it handles MessageSubscriber.HandleMessage and logs what it got. */
let applierId: string;
let applierLink: LinkDefinition;

function link(actor: string, values: Record<string, string>): LinkDefinition {
  return {
    actor_id: actor,
    provider_id: provider.providerKey,
    link_name: 'default',
    contract_id: CONTRACT,
    values,
  };
}

/** Calls the provider as the linked actor `actor` would (a signed invocation); the raw reply. */
function callRaw(operation: string, request: unknown, actor = applierId): Promise<Uint8Array> {
  return lattice.callProvider({
    actorId: actor,
    providerKey: provider.providerKey,
    contractId: CONTRACT,
    operation,
    msg: encodePayload(request),
  });
}

async function failure(operation: string, request: unknown, actor = applierId): Promise<string> {
  try {
    await callRaw(operation, request, actor);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${operation} succeeded`);
}

function publishRequest(subject: string, body: string, replyTo?: string) {
  return { subject, replyTo, body: encoder.encode(body) };
}

/** Waits until the provider takes calls from `actor` (its link arrived and was accepted). */
function waitForLink(actor: string): Promise<void> {
  return lattice.waitForLink(provider.providerKey, `the link of ${actor}`, () =>
    callRaw('Messaging.Publish', publishRequest('link.check', ''), actor),
  );
}

/** Messages on `subject` of `connection`, collected from now on. */
function collect(connection: NatsConnection, subject: string, queue?: string): Msg[] {
  const received: Msg[] = [];
  connection.subscribe(subject, { queue, callback: (_error, msg) => received.push(msg) });
  return received;
}

/** The service-applier's log lines saying it received a message on `subject`. */
function handledOn(subject: string): string[] {
  return lattice.host.logs.filter((line) =>
    line.includes(`service-applier: ignoring a message on ${subject}:`),
  );
}

function providerLog(pattern: RegExp): string[] {
  return lattice.providerLog(provider.providerKey, pattern);
}

/** Answers every invocation addressed to actor `actorId` on the lattice, recording it. */
function fakeActor(actorId: string): Invocation[] {
  const received: Invocation[] = [];
  lattice.nc.subscribe(lattice.subjects.rpc.actor(actorId), {
    callback: (_error, msg) => {
      const invocation = decodeInvocation(msg.data);
      received.push(invocation);
      msg.respond(encodeInvocationResponse({ msg: new Uint8Array(), invocation_id: invocation.id }));
    },
  });
  return received;
}

beforeAll(async () => {
  [lattice, broker] = await Promise.all([
    ProviderLattice.start({ lattice: 'msgprov', name: 'messaging', providerHealthIntervalMs: 500 }),
    startNatsServer({ jetstream: false }),
  ]);
  brokerNc = await connectNats({ url: broker.url });
  provider = await lattice.buildProvider('messaging');
  applierId = await lattice.startActor('service-applier');
  await lattice.startProvider(provider);
  applierLink = link(applierId, { URI: broker.url, SUBSCRIPTION: 'applier.>, jobs|workers' });
  await lattice.putLink(applierLink);
  await waitForLink(applierId);
}, 90_000);

afterAll(async () => {
  await lattice?.stop();
  await brokerNc?.close();
  await broker?.stop();
});

describe('actor → provider', () => {
  test("Messaging.Publish goes out on the link's NATS (with replyTo), not on the lattice's", async () => {
    const onBroker = collect(brokerNc, 'greetings');
    const onLattice = collect(lattice.nc, 'greetings');
    await brokerNc.flush();
    await lattice.nc.flush();
    const reply = await callRaw('Messaging.Publish', publishRequest('greetings', 'hello', 'answers.here'));
    expect(reply).toHaveLength(0);
    await eventually(() => onBroker.length === 1, 'the message on the broker');
    expect(decoder.decode(onBroker[0]!.data)).toBe('hello');
    expect(onBroker[0]!.reply).toBe('answers.here');
    // Nothing on the lattice: the provider answered the call on its lattice connection after any
    // publish there, and that answer came to lattice.nc, where onLattice listens, so a stray copy
    // would be in onLattice already. Nothing more on the broker: a second publish through the same
    // link arrives right after the first, in order.
    expect(onLattice).toEqual([]);
    await callRaw('Messaging.Publish', publishRequest('greetings', 'marker'));
    await eventually(() => onBroker.length === 2, 'the marker message on the broker');
    expect(onBroker.map((msg) => decoder.decode(msg.data))).toEqual(['hello', 'marker']);
    expect(onLattice).toEqual([]);
  });

  test('Messaging.Request returns the ReplyMessage {subject, body} with its 2022 names', async () => {
    brokerNc.subscribe('upper', {
      callback: (_error, msg) => msg.respond(encoder.encode(decoder.decode(msg.data).toUpperCase())),
    });
    await brokerNc.flush();
    const raw = await callRaw('Messaging.Request', {
      subject: 'upper',
      body: encoder.encode('ping'),
      timeoutMs: 2_000,
    });
    const reply = decodePayload(raw) as Record<string, unknown>;
    expect(Object.keys(reply)).toEqual(['subject', 'body']);
    expect(reply.subject).toMatch(/^_INBOX\./);
    expect(decoder.decode(reply.body as Uint8Array)).toBe('PING');
    // timeoutMs 0 (or left out) means the host's RPC timeout.
    const defaulted = decodePayload(
      await callRaw('Messaging.Request', { subject: 'upper', body: encoder.encode('x') }),
    );
    expect(decoder.decode((defaulted as { body: Uint8Array }).body)).toBe('X');
  });

  test('Request failures say what happened: no responders, no reply in time', async () => {
    expect(
      await failure('Messaging.Request', {
        subject: 'nobody.home',
        body: encoder.encode(''),
        timeoutMs: 1_000,
      }),
    ).toBe('Messaging.Request: no responders on nobody.home');
    collect(brokerNc, 'silent');
    await brokerNc.flush();
    expect(
      await failure('Messaging.Request', { subject: 'silent', body: encoder.encode(''), timeoutMs: 300 }),
    ).toBe('Messaging.Request: no reply on silent within 300 ms');
  });

  test('malformed requests and subjects get clear errors', async () => {
    expect(await failure('Messaging.Publish', publishRequest('a.*', 'x'))).toMatch(
      /Messaging.Publish: subject "a.\*" has a wildcard/,
    );
    expect(await failure('Messaging.Publish', publishRequest('two words', 'x'))).toMatch(
      /contains whitespace/,
    );
    expect(await failure('Messaging.Publish', publishRequest('a..b', 'x'))).toMatch(/has an empty token/);
    expect(await failure('Messaging.Publish', publishRequest('', 'x'))).toMatch(/the subject is empty/);
    expect(await failure('Messaging.Publish', publishRequest('ok', 'x', 'bad reply'))).toMatch(
      /contains whitespace/,
    );
    expect(await failure('Messaging.Publish', { subject: 'ok' })).toMatch(
      /Messaging.Publish: invalid request: body: expected bytes/,
    );
    expect(
      await failure('Messaging.Request', { subject: 'ok', body: encoder.encode(''), timeoutMs: -1 }),
    ).toMatch(/Messaging.Request: invalid request: timeoutMs: /);
    expect(await failure('Messaging.Publish', 'just a string')).toMatch(/invalid request/);
    expect(await failure('Messaging.Subscribe', {})).toMatch(/operation Messaging.Subscribe is not handled/);
    // A str body is taken as its bytes.
    const onBroker = collect(brokerNc, 'str.body');
    await brokerNc.flush();
    await callRaw('Messaging.Publish', { subject: 'str.body', body: 'text' });
    await eventually(() => onBroker.length === 1, 'the message');
    expect(decoder.decode(onBroker[0]!.data)).toBe('text');
  });
});

describe('provider → actor', () => {
  test('a message on a subscribed subject reaches the service-applier actor as HandleMessage', async () => {
    brokerNc.publish('applier.first', encoder.encode('not an event'));
    await eventually(() => handledOn('applier.first').length === 1, 'the actor to log the message');
    expect(handledOn('applier.first')[0]).toMatch(/the message is not JSON/);
    // Only subscribed subjects are delivered.
    // A marker on a subscribed subject after it: the provider's connection gets the broker's
    // messages in order, so once the marker is handled, a delivered 'elsewhere' would have been too.
    brokerNc.publish('elsewhere', encoder.encode('not an event'));
    brokerNc.publish('applier.after-elsewhere', encoder.encode('not an event'));
    await eventually(() => handledOn('applier.after-elsewhere').length === 1, 'the marker after "elsewhere"');
    expect(handledOn('elsewhere')).toEqual([]);
  });

  test('a queue subscription (subject|queue) shares the messages with the other members of the group', async () => {
    const member = collect(brokerNc, 'jobs', 'workers');
    await brokerNc.flush();
    const total = 40;
    for (let index = 0; index < total; index++) brokerNc.publish('jobs', encoder.encode(`job ${index}`));
    await brokerNc.flush();
    await eventually(
      () => member.length + handledOn('jobs').length === total,
      'all jobs handled once',
      15_000,
    );
    // Each message went to one member only: both got some (2^-39 odds that one got all).
    expect(member.length).toBeGreaterThan(0);
    expect(handledOn('jobs').length).toBeGreaterThan(0);
    // No job twice: a marker on the same connection after the jobs, handled, means every job the
    // provider was sent reached the actor before it; our own member has had all of its (flush).
    brokerNc.publish('applier.after-jobs', encoder.encode('not an event'));
    await eventually(() => handledOn('applier.after-jobs').length === 1, 'the marker after the jobs');
    await brokerNc.flush();
    expect(member.length + handledOn('jobs').length).toBe(total);
  });

  test('config_json (cluster_uris with a dead server first) and config_b64 links: the SubMessage on the wire', async () => {
    const deadPort = await freePort();
    const jsonActor = KeyPair.create('module').publicKey;
    const b64Actor = KeyPair.create('module').publicKey;
    const jsonReceived = fakeActor(jsonActor);
    const b64Received = fakeActor(b64Actor);
    await lattice.nc.flush();
    const jsonConfig = { cluster_uris: [`127.0.0.1:${deadPort}`, broker.url], subscriptions: ['from.json'] };
    await lattice.putLink(link(jsonActor, { config_json: JSON.stringify(jsonConfig) }));
    const b64Config = Buffer.from(JSON.stringify({ cluster_uris: [broker.url] })).toString('base64');
    await lattice.putLink(link(b64Actor, { config_b64: b64Config, SUBSCRIPTION: 'from.b64|b64group' }));
    await waitForLink(jsonActor);
    await waitForLink(b64Actor);

    brokerNc.publish('from.json', encoder.encode('payload one'), { reply: 'reply.to.me' });
    brokerNc.publish('from.b64', encoder.encode('payload two'));
    await eventually(() => jsonReceived.length === 1 && b64Received.length === 1, 'both deliveries');
    const [first] = jsonReceived;
    expect(first!.operation).toBe('MessageSubscriber.HandleMessage');
    expect(first!.origin).toEqual(providerEntity(provider.providerKey, CONTRACT, 'default'));
    // SubMessage {subject, replyTo?, body}: the 2022 names, body as msgpack bin.
    expect(first!.msg).toEqual(
      encodePayload({ subject: 'from.json', replyTo: 'reply.to.me', body: encoder.encode('payload one') }),
    );
    // With no reply subject, replyTo is left out.
    expect(b64Received[0]!.msg).toEqual(
      encodePayload({ subject: 'from.b64', body: encoder.encode('payload two') }),
    );

    // Publish through those links reaches the broker too.
    const onBroker = collect(brokerNc, 'via.config');
    await brokerNc.flush();
    await callRaw('Messaging.Publish', publishRequest('via.config', 'json'), jsonActor);
    await callRaw('Messaging.Publish', publishRequest('via.config', 'b64'), b64Actor);
    await eventually(() => onBroker.length === 2, 'both messages');
    expect(onBroker.map((msg) => decoder.decode(msg.data)).sort()).toEqual(['b64', 'json']);
  }, 30_000);
});

test('bad link values are refused with a clear reason while the other links keep working', async () => {
  const deadPort = await freePort();
  const refusals: [Record<string, string>, RegExp][] = [
    [
      { URI: broker.url, CLIENT_JWT: 'eyJhbGciOiJlZDI1NTE5In0' },
      /CLIENT_JWT and CLIENT_SEED .* must be given together/,
    ],
    [{ URI: broker.url, CLIENT_SEED: 'SUAM' }, /CLIENT_JWT and CLIENT_SEED .* must be given together/],
    [{ config_json: '{"auth_jwt": "x"}', URI: broker.url }, /must be given together/],
    [{ config_json: '{nope' }, /config_json is not JSON/],
    [{ config_json: '{"subscriptions": "a,b"}' }, /config_json is not a connection config: subscriptions: /],
    [{ config_b64: '!!not base64!!' }, /config_b64 is not base64/],
    [{ URI: broker.url, SUBSCRIPTION: 'bad subject' }, /subscription "bad subject": .*contains whitespace/],
    [{ URI: broker.url, SUBSCRIPTION: 'a.b*' }, /misuses a wildcard/],
    [{ URI: broker.url, SUBSCRIPTION: 'a|b|c' }, /use subject or subject\|queue/],
    [{ URI: broker.url, SUBSCRIPTION: 'a|' }, /the queue group must be non-empty/],
    [{ URI: `127.0.0.1:${deadPort}` }, new RegExp(`cannot connect to NATS at 127.0.0.1:${deadPort}`)],
    [{ URI: broker.url, uri: 'elsewhere:4222' }, /link values URI and uri disagree/],
  ];
  for (const [values, reason] of refusals) {
    const refused = KeyPair.create('module').publicKey;
    await lattice.putLink(link(refused, values));
    const lines = () => providerLog(new RegExp(`Refused the link of actor ${refused}`));
    await eventually(() => lines().length > 0, `the refusal of ${JSON.stringify(values)}`, 15_000);
    for (const line of lines()) expect(line).toMatch(reason);
    expect(await failure('Messaging.Publish', publishRequest('x', 'y'), refused)).toMatch(
      /has no link to this provider/,
    );
  }
  const onBroker = collect(brokerNc, 'still.working');
  await brokerNc.flush();
  await callRaw('Messaging.Publish', publishRequest('still.working', 'yes'));
  await eventually(() => onBroker.length === 1, 'the message');
}, 90_000);

test('a duplicate link put is a no-op: one connection, each message handled once', async () => {
  const connections = connectionsTo(broker.port);
  const duplicates = () =>
    providerLog(new RegExp(`Ignoring duplicate link put for actor ${applierId}`)).length;
  const before = duplicates();
  await lattice.putLink(applierLink);
  await eventually(() => duplicates() > before, 'the provider to ignore the duplicate');
  expect(connectionsTo(broker.port)).toBe(connections);
  brokerNc.publish('applier.once', encoder.encode('not an event'));
  await eventually(() => handledOn('applier.once').length === 1, 'the message handled');
  // Handled once, not twice: a marker after it on the same (single) connection is handled after any
  // second delivery would have been.
  brokerNc.publish('applier.after-once', encoder.encode('not an event'));
  await eventually(() => handledOn('applier.after-once').length === 1, 'the marker after the message');
  expect(handledOn('applier.once')).toHaveLength(1);
});

test("deleting a link drains and closes that actor's connection", async () => {
  // Subscribed: a request on a subject of the link finds a subscriber (that does not answer).
  await expect(brokerNc.request('applier.probe', encoder.encode(''), { timeout: 300 })).rejects.toMatchObject(
    {
      code: 'TIMEOUT',
    },
  );
  const connections = connectionsTo(broker.port);
  const { actor_id, contract_id, link_name } = applierLink;
  expect(
    await ctlRequest(lattice.nc, lattice.subjects.ctl.linkDel(), { actor_id, contract_id, link_name }),
  ).toEqual(ACK);
  await eventually(() => connectionsTo(broker.port) === connections - 1, 'the connection to close');
  await expect(
    brokerNc.request('applier.probe', encoder.encode(''), { timeout: 1_000 }),
  ).rejects.toMatchObject({
    code: '503',
  });
  expect(await failure('Messaging.Publish', publishRequest('x', 'y'))).toMatch(
    /has no link to this provider/,
  );
});
