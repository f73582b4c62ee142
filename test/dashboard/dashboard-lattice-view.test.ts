// The dashboard's lattice-wide view and its limits, with short timings: a dashboard started on its
// own beside a real host (as a host starts it, on port 0), a host that stops heartbeating dropped,
// junk on the event subject ignored, events of a megabyte kept small, upload size limits, and
// listening errors said plainly.

import { afterAll, beforeAll, expect, test } from 'vitest';
import { type Dashboard, DashboardStartError, startDashboard } from '../../dashboard/mod.ts';
import type { LatticeSnapshot } from '../../dashboard/snapshot.ts';
import { cloudEvent } from '../../lattice/events.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { createLogger } from '../../lattice/log.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { builtActor, signForTest, unsignedActor } from '../helpers/actors.ts';
import { apiGet, apiUpload } from '../helpers/dashboard-client.ts';
import { eventually, eventuallyPasses } from '../helpers/eventually.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const LATTICE = 'dashview';
const subjects = latticeSubjects(LATTICE);
const encoder = new TextEncoder();

let nats: NatsServer;
let dashboardNc: NatsConnection;
let nc: NatsConnection;
let testHost: TestHost;
let dashboard: Dashboard;
const logs: string[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  dashboardNc = await connectNats({ url: nats.url });
  testHost = await startTestHost({ natsUrl: nats.url, settings: { latticePrefix: LATTICE } });
  dashboard = await startDashboard({
    nc: dashboardNc,
    latticePrefix: LATTICE,
    hostId: testHost.id,
    data: testHost.host.latticeData,
    log: createLogger({ level: 'debug', structured: false, write: (line) => logs.push(line) }),
    listen: { host: '127.0.0.1', port: 0 },
    view: { refreshIntervalMs: 300, hostOverdueMs: 1_500, pingTimeoutMs: 200 },
    uploads: { maxFileBytes: 8 * 1024, maxTotalBytes: 12 * 1024 },
  });
}, 60_000);

afterAll(async () => {
  await dashboard?.close();
  await testHost?.host.stop();
  await dashboardNc?.close();
  await nc?.close();
  await nats?.stop();
});

async function hostIds(): Promise<string[]> {
  const reply = await apiGet<LatticeSnapshot>(dashboard.url, '/api/lattice');
  return reply.body.hosts.map((host) => host.id);
}

test('port 0 listens on a free port and logs the URL to open', () => {
  expect(dashboard.port).toBeGreaterThan(0);
  expect(dashboard.url).toBe(`http://127.0.0.1:${dashboard.port}`);
  expect(logs.join('')).toContain(`INFO  dashboard listening on ${dashboard.url}\n`);
});

test('readyz says not ready, and why, until the serving host has been seen in the lattice', async () => {
  const unseen = await startDashboard({
    nc: dashboardNc,
    latticePrefix: LATTICE,
    hostId: KeyPair.create('server').publicKey,
    data: testHost.host.latticeData,
    log: createLogger({ level: 'error', structured: false, write: () => undefined }),
    listen: { host: '127.0.0.1', port: 0 },
    view: { pingTimeoutMs: 200 },
  });
  try {
    await eventuallyPasses(
      async () =>
        expect(await (await apiGet(unseen.url, '/api/readyz')).body.checks).toMatchObject({
          lattice_view: 'synced',
        }),
      {
        what: "(await apiGet(unseen.url, '/api/readyz')).body.checks toMatchObject({ lattice_view: 'synced' })",
        timeoutMs: 5_000,
      },
    );
    const readiness = await apiGet(unseen.url, '/api/readyz');
    expect(readiness.status).toBe(503);
    expect(readiness.body).toEqual({
      ready: false,
      checks: {
        nats: 'connected',
        lattice_data: 'loaded',
        lattice_view: 'synced',
        host: 'not yet seen in the lattice',
      },
    });
  } finally {
    await unseen.close();
  }
});

test('a host whose heartbeat is overdue leaves the view; a host that answers stays', async () => {
  const ghost = KeyPair.create('server').publicKey;
  const heartbeat = cloudEvent('host_heartbeat', ghost, {
    actors: {},
    providers: [],
    labels: { zone: 'ghost' },
    friendly_name: 'ghost-host',
  });
  nc.publish(subjects.events.subject(), encoder.encode(JSON.stringify(heartbeat)));
  await eventuallyPasses(async () => expect(await hostIds()).toContain(ghost), {
    what: 'hostIds to contain (ghost)',
    timeoutMs: 5_000,
  });
  const seen = (await apiGet<LatticeSnapshot>(dashboard.url, '/api/lattice')).body.hosts.find(
    (host) => host.id === ghost,
  );
  expect(seen).toMatchObject({ friendly_name: 'ghost-host', labels: { zone: 'ghost' }, local: false });
  // Nobody answers its inventory request: shown, not hidden.
  await eventuallyPasses(
    async () =>
      expect(
        await (await apiGet<LatticeSnapshot>(dashboard.url, '/api/lattice')).body.hosts.find(
          (host) => host.id === ghost,
        )?.inventory_error,
      ).toMatch(/^no host .* nobody is listening/),
    {
      what: "(await apiGet<LatticeSnapshot>(dashboard.url, '/api/lattice')).body.hosts.find((host) => host.id ...",
    },
  );
  await eventuallyPasses(async () => expect(await hostIds()).toEqual([testHost.id]), {
    what: 'hostIds to equal ([testHost.id])',
    timeoutMs: 10_000,
  });
  expect(logs.join('')).toMatch(
    new RegExp(`dashboard: host ${ghost} left the view \\(no heartbeat for \\d+ s\\)`),
  );
});

test('junk on the event subject and events from non-hosts leave the view as it was', async () => {
  const subject = subjects.events.subject();
  nc.publish(subject, encoder.encode('not json'));
  nc.publish(subject, encoder.encode(JSON.stringify({ specversion: '1.0', type: 'nonsense' })));
  nc.publish(subject, new Uint8Array([0xff, 0xfe, 0x00]));
  const fromNobody = cloudEvent('actor_started', 'n/a', {
    public_key: KeyPair.create('module').publicKey,
    instance_id: 'x',
    annotations: {},
  });
  nc.publish(subject, encoder.encode(JSON.stringify(fromNobody)));
  // A marker after them: the view takes events in order, so once this valid event (host_stopped of
  // a host it never knew, which changes nothing) is listed, the junk has been handled too.
  const marker = cloudEvent('host_stopped', KeyPair.create('server').publicKey, { labels: {} });
  nc.publish(subject, encoder.encode(JSON.stringify(marker)));
  await nc.flush();
  await eventually(
    async () =>
      (await apiGet<LatticeSnapshot>(dashboard.url, '/api/lattice')).body.events.some(
        (event) => event.id === marker.id,
      ),
    'the marker event in the recent-event list',
  );
  expect(await hostIds()).toEqual([testHost.id]);
  const live = await apiGet(dashboard.url, '/api/livez');
  expect(live.status).toBe(200);
});

test('events of 900 KB leave the recent-event list and /api/lattice small (issue 12)', async () => {
  const subject = subjects.events.subject();
  const huge = 'x'.repeat(450 * 1000); // two of them: an event of 900 KB, near max_payload
  for (let i = 0; i < 60; i++) {
    const event = cloudEvent('actor_start_failed', testHost.id, {
      actor_ref: `flood-${i}-${huge}`,
      error: huge,
    });
    nc.publish(subject, encoder.encode(JSON.stringify(event)));
    if (i % 10 === 9) await nc.flush();
  }
  await nc.flush();
  await eventuallyPasses(
    async () =>
      expect(
        await (await apiGet<LatticeSnapshot>(dashboard.url, '/api/lattice')).body.events[0]?.data,
      ).toMatchObject({ actor_ref: expect.stringMatching(/^flood-59-x+… \(\d+ bytes more\)$/) }),
    {
      what: "(await apiGet<LatticeSnapshot>(dashboard.url, '/api/lattice')).body.events[0]?.data toMatchObject...",
      timeoutMs: 10_000,
    },
  );
  const reply = await apiGet<LatticeSnapshot>(dashboard.url, '/api/lattice');
  const answered = JSON.stringify(reply.body).length;
  expect(answered).toBeLessThan(400 * 1024);
  for (const event of reply.body.events) expect(JSON.stringify(event).length).toBeLessThan(10 * 1024);
  expect(reply.body.events.length).toBeGreaterThan(5);
});

test('uploads over the size limit, or beyond the total kept, are refused naming the limit', async () => {
  const big = await apiUpload<{ error: { message: string } }>(
    dashboard.url,
    'kind=actor',
    new Uint8Array(9 * 1024),
  );
  expect(big.status).toBe(413);
  expect(big.body.error.message).toBe('the request body is larger than the limit of 8192 bytes');

  expect((await apiUpload(dashboard.url, 'kind=actor', builtActor('wasmbus-echo'))).status).toBe(201);
  expect((await apiUpload(dashboard.url, 'kind=actor', builtActor('wasmbus-kvcounter'))).status).toBe(201);
  const third = signForTest(unsignedActor('wasmbus-echo')).bytes;
  const full = await apiUpload<{ error: { code: string; message: string } }>(
    dashboard.url,
    'kind=actor',
    third,
  );
  expect(full.status).toBe(507);
  expect(full.body.error.code).toBe('UPLOADS_FULL');
  expect(full.body.error.message).toMatch(/the limit is 12288 \(restart the host to clear them\)$/);
});

test('a port in use is a clear error; a host whose dashboard cannot listen runs on without it', async () => {
  const options = {
    nc: dashboardNc,
    latticePrefix: LATTICE,
    hostId: testHost.id,
    data: testHost.host.latticeData,
    log: createLogger({ level: 'error', structured: false, write: () => undefined }),
  };
  const inUse = startDashboard({ ...options, listen: { host: '127.0.0.1', port: dashboard.port } });
  await expect(inUse).rejects.toThrow(DashboardStartError);
  await expect(inUse).rejects.toThrow(
    `cannot listen on 127.0.0.1:${dashboard.port}: the port is in use (choose another with WASMCLOUD_DASHBOARD_PORT / --dashboard-port, or off)`,
  );
  await expect(startDashboard({ ...options, listen: { host: '192.0.2.1', port: 0 } })).rejects.toThrow(
    'cannot listen on 192.0.2.1:0: no such address on this machine (WASMCLOUD_DASHBOARD_HOST / --dashboard-host)',
  );

  const second = await startTestHost({
    natsUrl: nats.url,
    settings: { latticePrefix: LATTICE, dashboardPort: String(dashboard.port) },
  });
  try {
    expect(second.host.dashboardUrl).toBeUndefined();
    expect(second.logs.join('')).toContain(
      `WARN  dashboard not started: cannot listen on 127.0.0.1:${dashboard.port}: the port is in use`,
    );
    await eventuallyPasses(async () => expect(await hostIds()).toContain(second.id), {
      what: 'hostIds to contain (second.id)',
      timeoutMs: 5_000,
    });
  } finally {
    await second.host.stop();
  }
});
