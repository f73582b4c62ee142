// ControlClient against a real nats-server and scripted fake hosts: what is sent on which subject,
// scatter/gather, validation of replies, nacks, timeouts and event waits. The end-to-end tests
// against the real host live in test/wash-cli/ctl*.test.ts.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ControlClient,
  ControlNoReplyError,
  ControlRejectedError,
  ControlReplyError,
  EventTimeoutError,
} from '../../lattice/control-client.ts';
import { cloudEvent } from '../../lattice/events.ts';
import { decodeJsonBytes, encodeJsonMessage } from '../../lattice/json-message.ts';
import { connectNats, type Msg, type NatsConnection } from '../../lattice/nats.ts';
import { ACTOR, HOST, OTHER_HOST, PROVIDER } from '../helpers/keys.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

let server: NatsServer;
let clientConnection: NatsConnection;
let hostConnection: NatsConnection;
const fakeSubscriptions: Array<{ unsubscribe(): void }> = [];

beforeAll(async () => {
  server = await startNatsServer({ jetstream: false });
  clientConnection = await connectNats({ url: server.url });
  hostConnection = await connectNats({ url: server.url });
});

afterEach(() => {
  for (const subscription of fakeSubscriptions.splice(0)) subscription.unsubscribe();
});

afterAll(async () => {
  await clientConnection?.close();
  await hostConnection?.close();
  await server?.stop();
});

/** A fake host answering `subject`: `answer` gets the decoded request and returns the reply body. */
async function fakeHost(
  subject: string,
  answer: (request: unknown, msg: Msg) => unknown,
  connection = hostConnection,
): Promise<unknown[]> {
  const seen: unknown[] = [];
  const subscription = connection.subscribe(subject, {
    callback: (_error, msg) => {
      const decoded = msg.data.length === 0 ? undefined : decodeJsonBytes(msg.data);
      const request = decoded?.ok ? decoded.value : undefined;
      seen.push(request);
      const reply = answer(request, msg);
      if (reply === undefined) return; // stay silent
      msg.respond(typeof reply === 'string' ? new TextEncoder().encode(reply) : encodeJsonMessage(reply));
    },
  });
  fakeSubscriptions.push(subscription);
  await connection.flush();
  return seen;
}

function ping(id: string) {
  return { id, uptime_seconds: 12, labels: { 'hostcore.os': 'linux' }, friendly_name: 'calm-river-1234' };
}

const client = (timeoutMs = 300, latticePrefix = 'default') =>
  new ControlClient(clientConnection, { timeoutMs, latticePrefix });

describe('ControlClient queries', () => {
  it('gathers every ping reply until the timeout and skips invalid ones', async () => {
    const invalid: string[] = [];
    await fakeHost('wasmbus.ctl.default.ping.hosts', () => ping(HOST));
    const second = await connectNats({ url: server.url });
    try {
      await fakeHost('wasmbus.ctl.default.ping.hosts', () => ping(OTHER_HOST), second);
      await fakeHost('wasmbus.ctl.default.ping.hosts', () => ({ id: 'not-a-host', uptime_seconds: 1 }));
      const started = Date.now();
      const hosts = await new ControlClient(clientConnection, {
        timeoutMs: 400,
        onInvalidMessage: (_subject, error) => invalid.push(error),
      }).getHosts();
      expect(Date.now() - started).toBeGreaterThanOrEqual(380);
      expect(hosts.map((host) => host.id).sort()).toEqual([HOST, OTHER_HOST].sort());
      expect(invalid).toHaveLength(1);
      expect(invalid[0]).toMatch(/^invalid ping reply: id: expected a host public key/);
    } finally {
      await second.close();
    }
  });

  it('returns no hosts from an empty lattice, and only asks its own lattice', async () => {
    await fakeHost('wasmbus.ctl.other.ping.hosts', () => ping(HOST));
    const invalid: string[] = [];
    const quiet = new ControlClient(clientConnection, {
      timeoutMs: 200,
      onInvalidMessage: (_subject, error) => invalid.push(error),
    });
    // The server's "no responders" status message must not count as a (bad) reply.
    expect(await quiet.getHosts()).toEqual([]);
    expect(invalid).toEqual([]);
    expect((await client(200, 'other').getHosts()).map((host) => host.id)).toEqual([HOST]);
  });

  it('with settleMs, stops gathering once the replies stop rather than at the timeout', async () => {
    await fakeHost('wasmbus.ctl.default.ping.hosts', () => ping(HOST));
    const began = Date.now();
    const hosts = await client(60_000).getHosts(60_000, { settleMs: 50 });
    expect(hosts.map((host) => host.id)).toEqual([HOST]);
    // Far below the 60 s timeout: it ended because nothing more came.
    expect(Date.now() - began).toBeLessThan(30_000);
  });

  it('with settleMs, waits twice as long as the first reply took when that is longer', async () => {
    // Hosts that answer slowly (far away, busy) are given time in proportion: the first answers
    // after 150 ms, the second 120 ms after it, beyond the 30 ms settle but within 2 × 150 ms.
    const later = (delayMs: number, id: string) =>
      fakeHost('wasmbus.ctl.default.ping.hosts', (_request, msg) => {
        setTimeout(() => msg.respond(encodeJsonMessage(ping(id))), delayMs);
        return undefined;
      });
    await later(150, HOST);
    await later(270, OTHER_HOST);
    const hosts = await client(60_000).getHosts(60_000, { settleMs: 30 });
    expect(hosts.map((host) => host.id).sort()).toEqual([HOST, OTHER_HOST].sort());
  });

  it('pings with the 2022 empty body, or {"heartbeat":false} when asked to spare the heartbeat', async () => {
    const bodies: number[] = [];
    const seen = await fakeHost('wasmbus.ctl.default.ping.hosts', (_request, msg) => {
      bodies.push(msg.data.length);
      return ping(HOST);
    });
    expect((await client(200).getHosts()).map((host) => host.id)).toEqual([HOST]);
    expect((await client(200).getHosts(200, { heartbeat: false })).map((host) => host.id)).toEqual([HOST]);
    expect((await client(200).getHosts(200, { heartbeat: true })).map((host) => host.id)).toEqual([HOST]);
    expect([bodies[0], bodies[2]]).toEqual([0, 0]);
    expect(seen).toEqual([undefined, { heartbeat: false }, undefined]);
  });

  it('merges the repeated actor entries of an OTP 0.57 inventory', async () => {
    const instance = (id: string) => ({ instance_id: id, revision: 1, annotations: {} });
    const actor = {
      id: ACTOR,
      name: 'echo',
      image_ref: 'echo.wasm',
      instances: [instance('a'), instance('b')],
    };
    await fakeHost(`wasmbus.ctl.default.get.${HOST}.inv`, () => ({
      host_id: HOST,
      labels: {},
      actors: [actor, actor],
      providers: [],
    }));
    const inventory = await client().getInventory(HOST);
    expect(inventory.actors).toHaveLength(1);
    expect(inventory.actors[0]?.instances).toHaveLength(2);
  });

  it('turns an inventory nack into a rejection carrying the host message', async () => {
    await fakeHost(`wasmbus.ctl.default.get.${HOST}.inv`, () => ({ accepted: false, error: 'wrong host' }));
    const error = await client()
      .getInventory(HOST)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ControlRejectedError);
    expect((error as ControlRejectedError).hostMessage).toBe('wrong host');
    // A 2022 host sends no code beside its reason.
    expect((error as ControlRejectedError).hostCode).toBeUndefined();
    expect((error as Error).message).toBe(`host ${HOST} refused the inventory request: wrong host`);
  });

  it('rejects a reply that breaks the schema, naming the subject and the field', async () => {
    await fakeHost('wasmbus.ctl.default.get.links', () => ({ links: [{ actor_id: ACTOR }] }));
    const error = await client()
      .getLinks()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ControlReplyError);
    expect((error as Error).message).toMatch(
      /^reply on wasmbus\.ctl\.default\.get\.links: invalid links list: links\[0\]\.provider_id: missing/,
    );
  });

  it('reads claims and links', async () => {
    await fakeHost('wasmbus.ctl.default.get.claims', () => ({
      claims: [{ sub: ACTOR, iss: 'A', caps: '' }],
    }));
    await fakeHost('wasmbus.ctl.default.get.links', () => ({
      links: [
        { actor_id: ACTOR, provider_id: PROVIDER, contract_id: 'wasmcloud:httpserver', link_name: null },
      ],
    }));
    expect(await client().getClaims()).toEqual([{ sub: ACTOR, iss: 'A', caps: '' }]);
    expect(await client().getLinks()).toEqual([
      {
        actor_id: ACTOR,
        provider_id: PROVIDER,
        contract_id: 'wasmcloud:httpserver',
        link_name: 'default',
        values: {},
      },
    ]);
  });
});

describe('ControlClient commands', () => {
  it('sends the 2022 request bodies on the host command subjects', async () => {
    const ok = () => ({ accepted: true, error: '' });
    const launched = await fakeHost(`wasmbus.ctl.default.cmd.${HOST}.la`, ok);
    const stopped = await fakeHost(`wasmbus.ctl.default.cmd.${HOST}.sa`, ok);
    const scaled = await fakeHost(`wasmbus.ctl.default.cmd.${HOST}.scale`, ok);
    const updated = await fakeHost(`wasmbus.ctl.default.cmd.${HOST}.upd`, ok);
    const providers = await fakeHost(`wasmbus.ctl.default.cmd.${HOST}.lp`, ok);
    const providerStops = await fakeHost(`wasmbus.ctl.default.cmd.${HOST}.sp`, ok);
    const hostStops = await fakeHost(`wasmbus.ctl.default.cmd.${HOST}.stop`, ok);
    const links = await fakeHost('wasmbus.ctl.default.linkdefs.put', ok);
    const unlinks = await fakeHost('wasmbus.ctl.default.linkdefs.del', ok);
    const c = client();
    await c.startActor(HOST, 'echo.wasm', 2, { a: 'b' });
    await c.stopActor(HOST, ACTOR, 0);
    await c.scaleActor(HOST, ACTOR, 'echo.wasm', 3);
    await c.updateActor(HOST, ACTOR, 'echo2.wasm');
    await c.startProvider(HOST, 'http.par', 'web', '{"x":1}');
    await c.stopProvider(HOST, PROVIDER, 'web', 'wasmcloud:httpserver');
    await c.stopHost(HOST, 500);
    await c.putLink({ actor_id: ACTOR, provider_id: PROVIDER, contract_id: 'wasmcloud:httpserver' });
    await c.deleteLink(ACTOR, 'wasmcloud:httpserver');
    expect(launched).toEqual([{ actor_ref: 'echo.wasm', count: 2, annotations: { a: 'b' }, host_id: HOST }]);
    expect(stopped).toEqual([{ actor_ref: ACTOR, count: 0, annotations: {}, host_id: HOST }]);
    expect(scaled).toEqual([
      { actor_id: ACTOR, actor_ref: 'echo.wasm', count: 3, annotations: {}, host_id: HOST },
    ]);
    expect(updated).toEqual([
      { actor_id: ACTOR, new_actor_ref: 'echo2.wasm', annotations: {}, host_id: HOST },
    ]);
    expect(providers).toEqual([
      {
        provider_ref: 'http.par',
        link_name: 'web',
        configuration: '{"x":1}',
        annotations: {},
        host_id: HOST,
      },
    ]);
    expect(providerStops).toEqual([
      {
        provider_ref: PROVIDER,
        link_name: 'web',
        contract_id: 'wasmcloud:httpserver',
        annotations: {},
        host_id: HOST,
      },
    ]);
    expect(hostStops).toEqual([{ host_id: HOST, timeout: 500 }]);
    expect(links).toEqual([
      {
        actor_id: ACTOR,
        provider_id: PROVIDER,
        contract_id: 'wasmcloud:httpserver',
        link_name: 'default',
        values: {},
      },
    ]);
    expect(unlinks).toEqual([{ actor_id: ACTOR, contract_id: 'wasmcloud:httpserver', link_name: 'default' }]);
  });

  it("turns a nack into a ControlRejectedError with the host's message", async () => {
    await fakeHost(`wasmbus.ctl.default.cmd.${HOST}.la`, () => ({ accepted: false, error: 'no room' }));
    const error = await client()
      .startActor(HOST, 'echo.wasm')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ControlRejectedError);
    expect((error as Error).message).toBe(`host ${HOST} rejected the start of actor echo.wasm: no room`);
  });

  it('keeps the code our hosts add beside the reason of a refusal', async () => {
    await fakeHost(`wasmbus.ctl.default.cmd.${HOST}.sa`, () => ({
      accepted: false,
      error: 'actor MX is not running on this host',
      code: 'ACTOR_NOT_RUNNING',
    }));
    const error = await client()
      .stopActor(HOST, 'MX', 1)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ControlRejectedError);
    expect((error as ControlRejectedError).code).toBe('CTL_REJECTED');
    expect((error as ControlRejectedError).hostCode).toBe('ACTOR_NOT_RUNNING');
  });

  it('says which host, subject and how long when a host does not answer in time', async () => {
    await fakeHost(`wasmbus.ctl.default.cmd.${HOST}.la`, () => undefined);
    const error = await client(250)
      .startActor(HOST, 'echo.wasm')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ControlNoReplyError);
    expect((error as Error).message).toBe(
      `no reply from host ${HOST} within 250 ms on wasmbus.ctl.default.cmd.${HOST}.la`,
    );
  });

  it('says so at once when nobody listens for that host', async () => {
    const started = Date.now();
    const error = await client(5000)
      .stopHost(OTHER_HOST)
      .catch((caught: unknown) => caught);
    expect(Date.now() - started).toBeLessThan(2000);
    expect((error as Error).message).toBe(
      `no host ${OTHER_HOST} in lattice "default": nobody is listening on wasmbus.ctl.default.cmd.${OTHER_HOST}.stop`,
    );
  });

  it('rejects a reply that is not an ack', async () => {
    await fakeHost('wasmbus.ctl.default.linkdefs.del', () => 'not json');
    const error = await client()
      .deleteLink(ACTOR, 'wasmcloud:httpserver')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ControlReplyError);
    expect((error as Error).message).toMatch(
      /^reply on wasmbus\.ctl\.default\.linkdefs\.del: .*not valid JSON/,
    );
  });

  it('refuses a host ID that would change the subject', async () => {
    await expect(client().startActor('N.*', 'x')).rejects.toThrow(/invalid host ID "N\.\*"/);
  });
});

describe('ControlClient auctions', () => {
  it('collects the bids of qualifying hosts only', async () => {
    const requests = await fakeHost('wasmbus.ctl.default.auction.actor', (request) => {
      const { constraints } = request as { constraints: Record<string, string> };
      return constraints.zone === 'east' ? undefined : { actor_ref: 'echo.wasm', constraints, host_id: HOST };
    });
    expect(await client().auctionActor('echo.wasm', {}, 200)).toEqual([
      { actor_ref: 'echo.wasm', constraints: {}, host_id: HOST },
    ]);
    expect(await client().auctionActor('echo.wasm', { zone: 'east' }, 200)).toEqual([]);
    expect(requests).toEqual([
      { actor_ref: 'echo.wasm', constraints: {} },
      { actor_ref: 'echo.wasm', constraints: { zone: 'east' } },
    ]);
  });

  it('sends the link name in a provider auction', async () => {
    const requests = await fakeHost('wasmbus.ctl.default.auction.provider', (request) => ({
      ...(request as object),
      host_id: OTHER_HOST,
    }));
    const bids = await client().auctionProvider('http.par', 'web', { os: 'linux' }, 200);
    expect(bids.map((bid) => bid.host_id)).toEqual([OTHER_HOST]);
    expect(requests).toEqual([{ provider_ref: 'http.par', link_name: 'web', constraints: { os: 'linux' } }]);
  });
});

describe('ControlClient events', () => {
  it('does not miss an event published right after the ack', async () => {
    await fakeHost(`wasmbus.ctl.default.cmd.${HOST}.la`, (_request, msg) => {
      msg.respond(encodeJsonMessage({ accepted: true, error: '' }));
      const event = cloudEvent('actor_started', HOST, {
        public_key: ACTOR,
        image_ref: 'echo.wasm',
        instance_id: 'i-1',
        annotations: {},
      });
      hostConnection.publish('wasmbus.evt.default', encodeJsonMessage(event));
      return undefined;
    });
    const c = client();
    const started = await c.commandWithOutcome(
      () => c.startActor(HOST, 'echo.wasm'),
      (event) => (event.source === HOST && event.type.endsWith('actor_started') ? event : undefined),
      2000,
    );
    expect((started.data as { public_key: string }).public_key).toBe(ACTOR);
  });

  it('skips events that do not match and times out naming what it waited for', async () => {
    const c = client();
    const stream = await c.subscribeEvents();
    try {
      const other = cloudEvent('host_stopped', OTHER_HOST, { labels: {} });
      hostConnection.publish('wasmbus.evt.default', encodeJsonMessage(other));
      hostConnection.publish('wasmbus.evt.default', new TextEncoder().encode('{"not":"an event"}'));
      const error = await stream
        .waitFor((event) => (event.source === HOST ? event : undefined), 300, 'host_stopped from the host')
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(EventTimeoutError);
      expect((error as Error).message).toBe(
        'no host_stopped from the host event within 300 ms on wasmbus.evt.default',
      );
      // The earlier event is still there for a wait that wants it.
      const seen = await stream.waitFor(
        (event) => (event.source === OTHER_HOST ? event.type : undefined),
        300,
      );
      expect(seen).toBe('com.wasmcloud.lattice.host_stopped');
    } finally {
      stream.close();
    }
  });

  it('waits for a single event with waitForEvent', async () => {
    const c = client();
    const waiting = c.waitForEvent((event) => (event.source === HOST ? event.id : undefined), 2000);
    // waitForEvent subscribes before its first await; publish once the server has it: a flush of
    // the same connection is answered after the server has taken the subscription.
    await clientConnection.flush();
    const event = cloudEvent('host_started', HOST, { labels: {} });
    hostConnection.publish('wasmbus.evt.default', encodeJsonMessage(event));
    expect(await waiting).toBe(event.id);
  });
});
