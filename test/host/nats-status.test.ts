// A host losing NATS and getting it back: a real nats-server is killed (SIGKILL) and started again
// on the same port with the same store while a host with its dashboard runs. The host must log the
// loss and the return of each connection, show "reconnecting" in the dashboard's API while NATS is
// gone, and publish nats_reconnected once it is back. The events are recorded by a JetStream stream
// (kept across the restart), since a subscriber of our own would be reconnecting at the same time
// and could miss them.

import { afterAll, beforeAll, expect, test } from 'vitest';
import type { LatticeSnapshot } from '../../dashboard/snapshot.ts';
import { type CloudEvent, eventNameOf, parseCloudEvent } from '../../lattice/events.ts';
import { connectNats, type JetStreamManager, type NatsConnection } from '../../lattice/nats.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { apiGet } from '../helpers/dashboard-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { freePort, type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const LATTICE = 'natsstatus';
const STREAM = 'NATS_STATUS_TEST_EVENTS';

let nats: NatsServer;
let testHost: TestHost;
let base: string;

beforeAll(async () => {
  nats = await startNatsServer();
  const nc = await connectNats({ url: nats.url });
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: STREAM, subjects: [latticeSubjects(LATTICE).events.subject()] });
  } finally {
    await nc.close();
  }
  testHost = await startTestHost({
    natsUrl: nats.url,
    settings: { latticePrefix: LATTICE, dashboardPort: String(await freePort()) },
  });
  base = testHost.host.dashboardUrl ?? '';
});

afterAll(async () => {
  await testHost?.host.stop();
  await nats?.stop();
});

/** Every event the stream recorded. */
async function recordedEvents(jsm: JetStreamManager): Promise<CloudEvent[]> {
  const { state } = await jsm.streams.info(STREAM);
  const events: CloudEvent[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq += 1) {
    const parsed = parseCloudEvent((await jsm.streams.getMessage(STREAM, { seq })).data);
    if (!parsed.ok) throw new Error(parsed.error);
    events.push(parsed.value);
  }
  return events;
}

const logged = (pattern: RegExp) => testHost.logs.filter((line) => pattern.test(line));

test('a host logs, shows and announces losing NATS and getting it back', async () => {
  const server = `127.0.0.1:${nats.port}`;
  const before = await apiGet<LatticeSnapshot>(base, '/api/lattice');
  expect(before.body.nats.map(({ connection, state }) => ({ connection, state }))).toEqual([
    { connection: 'control', state: 'connected' },
    { connection: 'rpc', state: 'connected' },
  ]);

  let whileDown: LatticeSnapshot | undefined;
  let readyWhileDown: { status: number; body: Record<string, unknown> } | undefined;
  await nats.restart(async () => {
    await eventually(
      () => logged(/WARN {2}lost NATS at .*; reconnecting…/).length >= 2,
      'both connections to log the loss',
    );
    whileDown = (await apiGet<LatticeSnapshot>(base, '/api/lattice')).body;
    readyWhileDown = await apiGet(base, '/api/readyz');
  });

  // While NATS was gone: one warning per connection, the dashboard still answering with its state.
  const lost = logged(/lost NATS at/);
  expect(lost.map((line) => /connection=(\w+)/.exec(line)?.[1]).sort()).toEqual(['control', 'rpc']);
  for (const line of lost) expect(line).toContain(`lost NATS at ${server}; reconnecting…`);
  expect(whileDown?.nats).toEqual([
    expect.objectContaining({ connection: 'control', server, state: 'reconnecting', disconnects: 1 }),
    expect.objectContaining({ connection: 'rpc', server, state: 'reconnecting', disconnects: 1 }),
  ]);
  expect(readyWhileDown?.status).toBe(503);
  expect(readyWhileDown?.body).toMatchObject({
    ready: false,
    checks: { nats: expect.stringMatching(/connection lost; reconnecting to 127\.0\.0\.1:\d+ since /) },
  });

  // Back: one info line per connection with how long it was down, and one event per connection.
  const back = await eventually(() => {
    const lines = logged(/INFO {2}NATS connection back after \d+ ms/);
    return lines.length >= 2 && lines;
  }, 'both connections to log their return');
  expect(back.map((line) => /connection=(\w+)/.exec(line)?.[1]).sort()).toEqual(['control', 'rpc']);

  const nc: NatsConnection = await connectNats({ url: nats.url });
  try {
    const jsm = await nc.jetstreamManager();
    const reconnected = await eventually(async () => {
      const found = (await recordedEvents(jsm)).filter(
        (event) => eventNameOf(event) === 'nats_reconnected' && event.source === testHost.id,
      );
      return found.length >= 2 && found;
    }, 'nats_reconnected for both connections in the stream');
    const byConnection = Object.fromEntries(
      reconnected.map((event) => [(event.data as { connection: string }).connection, event.data]),
    );
    for (const connection of ['control', 'rpc']) {
      const data = byConnection[connection] as { server: string; down_ms: number; disconnected_at: string };
      expect(data.server).toBe(server);
      expect(data.down_ms).toBeGreaterThan(0);
      expect(Date.parse(data.disconnected_at)).toBeLessThan(Date.now() - data.down_ms + 1);
    }
  } finally {
    await nc.close();
  }

  // The dashboard: connected again, one loss counted, and the events in its list.
  const after = await eventually(async () => {
    const { body } = await apiGet<LatticeSnapshot>(base, '/api/lattice');
    const listed = body.events.filter((event) => event.name === 'nats_reconnected');
    return body.nats.every((report) => report.state === 'connected') && listed.length >= 2 && body;
  }, 'the dashboard to show NATS back and the events');
  expect(after.nats).toEqual([
    expect.objectContaining({ connection: 'control', server, state: 'connected', disconnects: 1 }),
    expect.objectContaining({ connection: 'rpc', server, state: 'connected', disconnects: 1 }),
  ]);
  expect(Date.parse(after.nats[0]!.since)).toBeGreaterThan(Date.parse(whileDown!.nats[0]!.since));
  const ready = await eventually(async () => {
    const reply = await apiGet(base, '/api/readyz');
    return reply.status === 200 && reply;
  }, 'the dashboard to be ready again');
  expect(ready.body).toMatchObject({ checks: { nats: 'connected' } });
}, 60_000);
