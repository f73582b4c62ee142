// The heartbeat a host publishes after `ping.hosts` (OTP 0.57), and the wasmcloud-ts addition that
// declines it: a ping whose body is `{"heartbeat": false}` is answered as usual and followed by no
// heartbeat; the 2022 empty body, and any other body, keep the heartbeat. One host on a real
// nats-server. Absence is proved with a marker: a plain ping sent once the ping under test was
// answered. The host publishes a ping's heartbeat right after its reply, on the connection that
// carries its replies, before it reads the next message; so what arrives here, in order, is the
// reply, that ping's heartbeat if any, the marker's reply, then the marker's heartbeat.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hostPingReplySchema } from '../../lattice/control.ts';
import { eventNameOf, parseCloudEvent } from '../../lattice/events.ts';
import { connectNats, createInbox, type NatsConnection } from '../../lattice/nats.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { eventually } from '../helpers/eventually.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const LATTICE = 'pingbeat';
const subjects = latticeSubjects(LATTICE);
const REPLIES = createInbox();

let nats: NatsServer;
let nc: NatsConnection;
let testHost: TestHost;
/** Replies (`reply:{name}`, the name of the ping) and heartbeats, in the order they arrived. */
const arrivals: string[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  // One connection for both: NATS keeps the order of one publisher's messages to one subscriber.
  nc.subscribe(subjects.events.subject(), {
    callback: (_error, msg) => {
      const event = parseCloudEvent(msg.data);
      if (event.ok && eventNameOf(event.value) === 'host_heartbeat') arrivals.push('heartbeat');
    },
  });
  nc.subscribe(`${REPLIES}.*`, {
    callback: (_error, msg) => {
      expect(hostPingReplySchema.parse(msg.json()).id).toBe(testHost.id);
      arrivals.push(`reply:${msg.subject.slice(REPLIES.length + 1)}`);
    },
  });
  await nc.flush();
  testHost = await startTestHost({ natsUrl: nats.url, settings: { latticePrefix: LATTICE } });
  // The heartbeat at start, so that it cannot be taken for one of a ping below.
  await eventually(() => arrivals.includes('heartbeat'), 'the heartbeat at start');
});

afterAll(async () => {
  await testHost?.host.stop();
  await nc?.close();
  await nats?.stop();
});

/** Sends a ping named `name` with `body` and waits for its reply. */
async function ping(name: string, body: Uint8Array): Promise<void> {
  nc.publish(subjects.ctl.ping(), body, { reply: `${REPLIES}.${name}` });
  await eventually(() => arrivals.includes(`reply:${name}`), `the reply to ping ${name}`);
}

/** What arrived from the ping with `body` to the heartbeat of the marker ping sent after it. */
async function arrivalsAfterPingWith(body: string | Uint8Array): Promise<string[]> {
  arrivals.length = 0;
  await ping('tested', typeof body === 'string' ? new TextEncoder().encode(body) : body);
  await ping('marker', new Uint8Array(0));
  await eventually(
    () => arrivals.indexOf('heartbeat', arrivals.indexOf('reply:marker')) >= 0,
    'the heartbeat after the marker ping',
  );
  return [...arrivals];
}

const WITH_HEARTBEAT = ['reply:tested', 'heartbeat', 'reply:marker', 'heartbeat'];

describe('the heartbeat after a ping', () => {
  test('{"heartbeat": false}: the ping is answered and no heartbeat follows', async () => {
    expect(await arrivalsAfterPingWith('{"heartbeat":false}')).toEqual([
      'reply:tested',
      'reply:marker',
      'heartbeat',
    ]);
  });

  test('the 2022 empty body still triggers one', async () => {
    expect(await arrivalsAfterPingWith('')).toEqual(WITH_HEARTBEAT);
  });

  test('any other body is answered and triggers one, as an empty body does', async () => {
    const bodies: Array<[string, string | Uint8Array]> = [
      ['true', '{"heartbeat":true}'],
      ['null', '{"heartbeat":null}'],
      ['a string', '{"heartbeat":"false"}'],
      ['no field', '{}'],
      ['a list', '[false]'],
      ['not JSON', 'not json at all'],
      ['not UTF-8', new Uint8Array([0xff, 0xfe, 0x7b])],
    ];
    for (const [what, body] of bodies) {
      expect({ what, arrived: await arrivalsAfterPingWith(body) }).toEqual({ what, arrived: WITH_HEARTBEAT });
    }
    expect(testHost.logs.some((line) => line.includes('ERROR'))).toBe(false);
  });
});
