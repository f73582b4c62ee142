// The dashboard's JSON API against a real host (its own nats-server, the dashboard on a free port):
// health endpoints, the lattice view, every input validated with the field named, the origin and
// Host guards, uploads, and every action carried out on the lattice with its outcome or its error.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LatticeSnapshot } from '../../dashboard/snapshot.ts';
import { verifySignedWasm } from '../../lattice/claims.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { type BuiltProbe, buildProbeArchive } from '../fixtures/providers/provider-test-kit.ts';
import { builtActor, unsignedActor } from '../helpers/actors.ts';
import {
  apiGet,
  apiPost,
  apiUpload,
  expectInvalidInput,
  rawRequest,
  StateStream,
} from '../helpers/dashboard-client.ts';
import { eventuallyPasses } from '../helpers/eventually.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { EventLog } from '../helpers/lattice-client.ts';
import { freePort, type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const LATTICE = 'dashapi';
const clusterKey = KeyPair.create('cluster');
const ECHO = builtActor('wasmbus-echo');
const ECHO_ID = verifySignedWasm(ECHO).claims.sub;
const KVCOUNTER = builtActor('wasmbus-kvcounter');
const KVCOUNTER_ID = verifySignedWasm(KVCOUNTER).claims.sub;
const SOME_HOST = KeyPair.create('server').publicKey;
const SOME_PROVIDER = KeyPair.create('service').publicKey;

let nats: NatsServer;
let nc: NatsConnection;
let events: EventLog;
let testHost: TestHost;
let base: string;
let port: number;
let dir: string;
let probe: BuiltProbe;
let kvcounterPath: string;

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  events = new EventLog(nc, LATTICE);
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-dashapi-'));
  probe = await buildProbeArchive(dir);
  kvcounterPath = join(dir, 'kvcounter_s.wasm');
  writeFileSync(kvcounterPath, KVCOUNTER);
  port = await freePort();
  testHost = await startTestHost({
    natsUrl: nats.url,
    settings: { latticePrefix: LATTICE, clusterSeed: clusterKey.seed, dashboardPort: String(port) },
    labels: { zone: 'dash' },
    providerHealthIntervalMs: 300,
  });
  base = testHost.host.dashboardUrl ?? '';
}, 60_000);

afterAll(async () => {
  await testHost?.host.stop();
  await nc?.close();
  await nats?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function lattice(): Promise<LatticeSnapshot> {
  const reply = await apiGet<LatticeSnapshot>(base, '/api/lattice');
  expect(reply.status).toBe(200);
  return reply.body;
}

interface ErrorBody {
  error: { code: string; message: string; issues?: Array<{ path: string; message: string }> };
}

describe('health and the view', () => {
  test('livez answers; readyz says ready once NATS answers and the first ping is in', async () => {
    expect(base).toBe(`http://127.0.0.1:${port}`);
    expect(testHost.logs.join('')).toContain(`dashboard listening on http://127.0.0.1:${port}`);
    const live = await apiGet(base, '/api/livez');
    expect(live.status).toBe(200);
    expect(live.body.status).toBe('ok');
    await eventuallyPasses(
      async () =>
        expect(await (await apiGet(base, '/api/readyz')).body).toEqual({
          ready: true,
          checks: { nats: 'connected', lattice_data: 'loaded', lattice_view: 'synced', host: 'joined' },
        }),
      {
        what: "(await apiGet(base, '/api/readyz')).body to equal ({ ready: true, checks: { nats: 'connected', la...",
        timeoutMs: 10_000,
      },
    );
  });

  test('the lattice lists this host with its name, labels and uptime, marked local', async () => {
    const state = await lattice();
    expect(state).toMatchObject({ lattice: LATTICE, host_id: testHost.id, synced: true });
    expect(state.hosts).toEqual([
      expect.objectContaining({
        id: testHost.id,
        friendly_name: testHost.host.config.friendlyName,
        local: true,
        labels: expect.objectContaining({ zone: 'dash', 'hostcore.os': 'linux' }),
        inventory_error: null,
      }),
    ]);
    expect(state.hosts[0]?.uptime_seconds).toBeGreaterThanOrEqual(0);
    expect(state.events.map((event) => event.name)).toContain('host_started');
  });

  test('the page and its modules are served under a strict CSP; other paths are 404', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(await page.text()).toContain('<script type="module" src="/app.js"></script>');
    for (const file of ['/app.js', '/forms.js', '/lattice-picture.js', '/tables.js', '/dashboard.css']) {
      const response = await fetch(`${base}${file}`);
      expect(response.status, file).toBe(200);
    }
    const etag = (await fetch(`${base}/app.js`)).headers.get('etag') ?? '';
    expect((await fetch(`${base}/app.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(`${base}/../package.json`)).status).toBe(404);
    expect((await fetch(`${base}/host.ts`)).status).toBe(404);
    const api = await apiGet<ErrorBody>(base, '/api/nothing');
    expect(api.status).toBe(404);
    expect(api.body.error.message).toBe(
      'no such API endpoint: GET /api/nothing (docs/dashboard.md lists them)',
    );
  });
});

describe('GET /api/load', () => {
  test("every host's load with its labels, and totals over them", async () => {
    await eventuallyPasses(
      async () => expect((await lattice()).hosts.map((host) => host.id)).toContain(testHost.id),
      {
        what: 'the view to know the host',
        timeoutMs: 10_000,
      },
    );
    const reply = await apiGet<{
      at: number;
      hosts: Array<{
        host_id: string;
        labels: Record<string, string>;
        actors: Array<{ id: string; instances: number }>;
      }>;
      unanswered: unknown[];
      totals: { in_flight: number; queued: number; instances: number };
    }>(base, '/api/load');
    expect(reply.status).toBe(200);
    expect(reply.body.unanswered).toEqual([]);
    const host = reply.body.hosts.find((entry) => entry.host_id === testHost.id);
    expect(host?.labels.zone).toBe('dash');
    const instances = host!.actors.reduce((total, actor) => total + actor.instances, 0);
    expect(reply.body.totals).toEqual({ in_flight: 0, queued: 0, instances });
    expect(reply.body.at).toBeLessThanOrEqual(Date.now());
  });
});

describe('every input is validated, naming the field', () => {
  const upload = '3b241101-e2bb-4255-8caf-4136c566a962';
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['/api/actors', {}, 'actor_ref', /give either actor_ref .* or upload_id, not neither/],
    ['/api/actors', { actor_ref: 'a', upload_id: upload }, 'actor_ref', /not both/],
    ['/api/actors', { actor_ref: '  ' }, 'actor_ref', /must not be empty/],
    [
      '/api/actors',
      { upload_id: 'nope' },
      'upload_id',
      /expected an upload ID returned by POST \/api\/uploads/,
    ],
    ['/api/actors', { actor_ref: 'a', count: 0 }, 'count', /must be at least 1/],
    ['/api/actors', { actor_ref: 'a', count: 2.5 }, 'count', /expected a whole number/],
    ['/api/actors', { actor_ref: 'a', count: 70_000 }, 'count', /must be at most 65535/],
    ['/api/actors', { actor_ref: 'a', host_id: 'Nshort' }, 'host_id', /expected a host public key/],
    [
      '/api/actors',
      { actor_ref: 'a', host_id: SOME_HOST, constraints: 'zone=a' },
      'constraints',
      /leave them out when host_id is given/,
    ],
    ['/api/actors', { actor_ref: 'a', constraints: 'zone' }, 'constraints', /"zone" is not KEY=VALUE/],
    ['/api/actors', { actor_ref: 'a', extra: true }, '', /Unrecognized key: "extra"/],
    ['/api/actors/scale', { host_id: SOME_HOST, actor_id: ECHO_ID }, 'count', /missing/],
    [
      '/api/actors/scale',
      { host_id: SOME_HOST, actor_id: SOME_HOST, count: 1 },
      'actor_id',
      /actor public key/,
    ],
    ['/api/actors/stop', { host_id: SOME_HOST }, 'actor_id', /missing/],
    ['/api/providers', { provider_ref: 'p', link_name: 'a.b' }, 'link_name', /may not contain '\.'/],
    [
      '/api/providers',
      { provider_ref: 'p', configuration: 'x'.repeat(70_000) },
      'configuration',
      /at most 65536/,
    ],
    [
      '/api/providers',
      { provider_ref: 'p', constraints: { 'bad key': 'x' } },
      'constraints',
      /a key is letters/,
    ],
    [
      '/api/providers/stop',
      { host_id: SOME_HOST, provider_id: SOME_PROVIDER, contract_id: SOME_PROVIDER },
      'contract_id',
      /this is a public key, not a contract ID/,
    ],
    [
      '/api/links',
      { actor_id: ECHO_ID, provider_id: SOME_PROVIDER, contract_id: 'wasmcloud:probe', values: 'A=1,A=2' },
      'values',
      /the key A is given twice/,
    ],
    [
      '/api/links',
      { actor_id: ECHO_ID, provider_id: ECHO_ID, contract_id: 'wasmcloud:probe' },
      'provider_id',
      /provider public key/,
    ],
    [
      '/api/links',
      { actor_id: ECHO_ID, provider_id: SOME_PROVIDER, contract_id: 'a b' },
      'contract_id',
      /whitespace/,
    ],
    ['/api/links/delete', { actor_id: ECHO_ID }, 'contract_id', /missing/],
  ];
  test.each(cases.map(([path, body, field, message]) => [path, field, body, message] as const))(
    'POST %s is refused when %s is wrong (%#)',
    (path, field, body, message) => expectInvalidInput(base, path, body, field, message),
  );

  test('malformed JSON, no body, a wrong content type and an oversized body each say what is wrong', async () => {
    const broken = await apiPost<ErrorBody>(base, '/api/links', '{"actor_id": ');
    expect(broken.status).toBe(400);
    expect(broken.body.error).toMatchObject({ code: 'INVALID_JSON' });
    expect(broken.body.error.message).toMatch(/^request body is not valid JSON: /);

    const empty = await apiPost<ErrorBody>(base, '/api/links', '');
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toBe('request body is not valid JSON: it is empty');

    const none = await fetch(`${base}/api/links`, { method: 'POST' });
    expect(none.status).toBe(400);
    expect(((await none.json()) as ErrorBody).error.message).toBe(
      'a link definition needs a JSON body with Content-Type: application/json',
    );

    const text = await fetch(`${base}/api/actors`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'actor_ref=x',
    });
    expect(text.status).toBe(415);
    expect(((await text.json()) as ErrorBody).error.message).toBe(
      'Content-Type text/plain is not accepted here: send application/json',
    );

    const huge = await apiPost<ErrorBody>(base, '/api/links', { values: 'x'.repeat(200_000) });
    expect(huge.status).toBe(413);
    expect(huge.body.error.message).toBe('the request body is larger than the limit of 131072 bytes');

    const query = await apiUpload<ErrorBody>(base, 'kind=wasm', ECHO);
    expect(query.status).toBe(400);
    expect(query.body.error.message).toBe('invalid upload query: kind: expected actor or provider');
    const name = await apiUpload<ErrorBody>(base, 'kind=actor&name=..%2Fecho.wasm', ECHO);
    expect(name.body.error.message).toMatch(/name: a file name without \//);
  });

  test('another origin, or a Host name other than localhost, may not use the API', async () => {
    const crossSite = await apiPost<ErrorBody>(
      base,
      '/api/links/delete',
      { actor_id: ECHO_ID, contract_id: 'wasmcloud:probe' },
      { origin: 'http://attacker.example' },
    );
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.error.message).toBe(
      "requests from http://attacker.example may not change the lattice; use the dashboard's own page",
    );
    const rebound = await rawRequest(port, {
      method: 'GET',
      path: '/api/lattice',
      headers: { host: `attacker.example:${port}` },
    });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error.code).toBe('FORBIDDEN_HOST');
    const wrongPort = await rawRequest(port, { method: 'GET', path: '/', headers: { host: 'localhost:1' } });
    expect(wrongPort.status).toBe(403);
    const local = await rawRequest(port, {
      method: 'GET',
      path: '/api/livez',
      headers: { host: `localhost:${port}` },
    });
    expect(local.status).toBe(200);
    const sameOrigin = await apiPost<ErrorBody>(base, '/api/links/delete', {}, { origin: base });
    expect(sameOrigin.status).toBe(400); // past the guard, refused for its body
  });
});

describe('uploads', () => {
  test('a signed actor is checked and stored once; an unsigned module and a non-archive are refused', async () => {
    const first = await apiUpload(base, 'kind=actor&name=echo.wasm', ECHO);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      kind: 'actor',
      file_name: 'echo.wasm',
      size: ECHO.length,
      public_key: ECHO_ID,
      name: verifySignedWasm(ECHO).claims.wascap.name,
    });
    expect(first.body).not.toHaveProperty('path');
    const again = await apiUpload(base, 'kind=actor&name=again.wasm', ECHO);
    expect(again.body.upload_id).toBe(first.body.upload_id);

    const unsigned = await apiUpload<ErrorBody>(
      base,
      'kind=actor&name=plain.wasm',
      unsignedActor('wasmbus-echo'),
    );
    expect(unsigned.status).toBe(422);
    expect(unsigned.body.error).toEqual({
      code: 'NOT_A_SIGNED_ACTOR',
      message: 'plain.wasm: no claims found in this module: it is not signed (wash claims sign)',
    });
    const notArchive = await apiUpload<ErrorBody>(base, 'kind=provider&name=echo.par.gz', ECHO);
    expect(notArchive.status).toBe(422);
    expect(notArchive.body.error.message).toBe(
      'echo.par.gz: this is not a provider archive: neither a tar nor gzip',
    );
    const empty = await apiUpload<ErrorBody>(base, 'kind=actor', new Uint8Array());
    expect(empty.status).toBe(400);
    expect(empty.body.error).toEqual({ code: 'EMPTY_UPLOAD', message: 'actor.wasm is empty' });
    const json = await apiPost<ErrorBody>(base, '/api/uploads?kind=actor', { file: 'x' });
    expect(json.status).toBe(415);
    expect(json.body.error.message).toBe(
      'Content-Type application/json is not accepted here: send the file as the request body with Content-Type: application/octet-stream',
    );
    const nothing = await fetch(`${base}/api/uploads?kind=actor`, { method: 'POST' });
    expect(nothing.status).toBe(400);
    expect(((await nothing.json()) as ErrorBody).error.message).toBe(
      'send the file as the request body with Content-Type: application/octet-stream',
    );
    const listed = await apiGet<{ uploads: Array<{ upload_id: string }> }>(base, '/api/uploads');
    expect(listed.body.uploads.map((entry) => entry.upload_id)).toEqual([first.body.upload_id]);
  });
});

describe('actions', () => {
  test('an uploaded actor starts on the chosen host, scales, and stops; each shows at once', async () => {
    const upload = await apiUpload(base, 'kind=actor&name=echo.wasm', ECHO);
    const started = await apiPost(base, '/api/actors', {
      upload_id: upload.body.upload_id,
      host_id: testHost.id,
    });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ host_id: testHost.id, actor_id: ECHO_ID, count: 1 });
    expect(started.body.message).toMatch(/^started actor .* on host /);
    let state = await lattice();
    expect(state.actors).toEqual([
      expect.objectContaining({
        id: ECHO_ID,
        uploaded_file: 'echo.wasm',
        total_instances: 1,
        instances: [expect.objectContaining({ host_id: testHost.id, count: 1 })],
      }),
    ]);

    const scaled = await apiPost(base, '/api/actors/scale', {
      host_id: testHost.id,
      actor_id: ECHO_ID,
      count: 3,
    });
    expect(scaled.status).toBe(200);
    expect(scaled.body.message).toMatch(/^scaled actor .* to 3 on host /);
    state = await lattice();
    expect(state.actors[0]?.total_instances).toBe(3);
    expect(state.hosts[0]?.actor_instances).toBe(3);

    const stopped = await apiPost(base, '/api/actors/stop', { host_id: testHost.id, actor_id: ECHO_ID });
    expect(stopped.status).toBe(200);
    expect(stopped.body.message).toMatch(/^stopped every instance of actor .* on host /);
    expect((await lattice()).actors).toEqual([]);
  });

  test('without a host an auction chooses one whose labels match; no match is a clear 409', async () => {
    const started = await apiPost(base, '/api/actors', {
      actor_ref: kvcounterPath,
      constraints: 'zone=dash',
      count: 2,
    });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({
      host_id: testHost.id,
      actor_id: KVCOUNTER_ID,
      actor_ref: kvcounterPath,
    });
    const state = await lattice();
    expect(state.actors.find((actor) => actor.id === KVCOUNTER_ID)).toMatchObject({
      image_ref: kvcounterPath,
      uploaded_file: null,
      total_instances: 2,
    });

    const nobody = await apiPost<ErrorBody>(base, '/api/actors', {
      actor_ref: kvcounterPath,
      constraints: { zone: 'mars' },
    });
    expect(nobody.status).toBe(409);
    expect(nobody.body.error).toEqual({
      code: 'NO_HOST',
      message: `no host bid to run actor ${kvcounterPath} with labels zone=mars within 1000 ms`,
    });
    await apiPost(base, '/api/actors/stop', { host_id: testHost.id, actor_id: KVCOUNTER_ID });
  });

  test("a start the host cannot do reports the host's reason; an unknown host or a stop of nothing is refused", async () => {
    const missing = join(dir, 'missing.wasm');
    const failed = await apiPost<ErrorBody>(base, '/api/actors', {
      actor_ref: missing,
      host_id: testHost.id,
    });
    expect(failed.status).toBe(422);
    expect(failed.body.error.code).toBe('ACTION_FAILED');
    expect(failed.body.error.message).toBe(
      `starting actor ${missing} on host ${testHost.host.config.friendlyName} (${testHost.id.slice(0, 8)}…) failed: cannot read ${missing}: no such file`,
    );
    await events.waitFor('actor_start_failed', (data) => data.actor_ref === missing);

    const unknownHost = await apiPost<ErrorBody>(base, '/api/actors', {
      actor_ref: missing,
      host_id: SOME_HOST,
    });
    expect(unknownHost.status).toBe(503);
    expect(unknownHost.body.error.message).toMatch(
      new RegExp(`^no host ${SOME_HOST} in lattice "${LATTICE}"`),
    );

    const notRunning = await apiPost<ErrorBody>(base, '/api/actors/stop', {
      host_id: testHost.id,
      actor_id: ECHO_ID,
    });
    expect(notRunning.status).toBe(409);
    expect(notRunning.body.error.message).toBe(
      `host ${testHost.id} rejected the stop of actor ${ECHO_ID}: actor ${ECHO_ID} is not running on this host`,
    );
    const noLink = await apiPost<ErrorBody>(base, '/api/links/delete', {
      actor_id: ECHO_ID,
      contract_id: 'wasmcloud:probe',
    });
    expect(noLink.status).toBe(409);
    expect(noLink.body.error.message).toMatch(/no link for actor .* on wasmcloud:probe \(link default\)/);
  });

  test('a provider from an upload, linked to an actor: health and link show; deleting and stopping remove them', async () => {
    const actor = await apiUpload(base, 'kind=actor&name=echo.wasm', ECHO);
    expect(
      (await apiPost(base, '/api/actors', { upload_id: actor.body.upload_id, host_id: testHost.id })).status,
    ).toBe(200);
    const archive = await apiUpload(base, 'kind=provider&name=probe.par.gz', probe.archive);
    expect(archive.status).toBe(201);
    expect(archive.body).toMatchObject({
      public_key: probe.providerKey,
      name: 'Probe',
      contract_id: 'wasmcloud:probe',
    });
    const started = await apiPost(base, '/api/providers', {
      upload_id: archive.body.upload_id,
      link_name: 'default',
    });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({
      host_id: testHost.id,
      provider_id: probe.providerKey,
      link_name: 'default',
    });
    expect((await lattice()).providers).toEqual([
      expect.objectContaining({
        id: probe.providerKey,
        name: 'Probe',
        link_name: 'default',
        contract_id: 'wasmcloud:probe',
        uploaded_file: 'probe.par.gz',
      }),
    ]);
    await eventuallyPasses(
      async () =>
        expect(await (await lattice()).providers[0]?.hosts).toEqual([
          { host_id: testHost.id, health: 'healthy' },
        ]),
      {
        what: "(await lattice()).providers[0]?.hosts to equal ([{ host_id: testHost.id, health: 'healthy' }])",
        timeoutMs: 10_000,
      },
    );

    const linked = await apiPost(base, '/api/links', {
      actor_id: ECHO_ID,
      provider_id: probe.providerKey,
      contract_id: 'wasmcloud:probe',
      values: 'GREETING=hi,SUBSCRIPTION=a,b\nTOKEN=c2VjcmV0==',
    });
    expect(linked.status).toBe(200);
    const state = await lattice();
    expect(state.links).toEqual([
      expect.objectContaining({
        actor_id: ECHO_ID,
        provider_id: probe.providerKey,
        link_name: 'default',
        contract_id: 'wasmcloud:probe',
        values: { GREETING: 'hi', SUBSCRIPTION: 'a,b', TOKEN: 'c2VjcmV0==' },
        provider_name: 'Probe',
        actor_running: true,
        provider_running: true,
      }),
    ]);
    await events.waitFor('linkdef_set', (data) => data.actor_id === ECHO_ID);

    const deleted = await apiPost(base, '/api/links/delete', {
      actor_id: ECHO_ID,
      contract_id: 'wasmcloud:probe',
    });
    expect(deleted.status).toBe(200);
    expect((await lattice()).links).toEqual([]);

    const stopped = await apiPost(base, '/api/providers/stop', {
      host_id: testHost.id,
      provider_id: probe.providerKey,
      contract_id: 'wasmcloud:probe',
    });
    expect(stopped.status).toBe(200);
    expect(stopped.body.message).toMatch(/^stopped provider Probe \(link name default\) on host /);
    expect((await lattice()).providers).toEqual([]);
    await apiPost(base, '/api/actors/stop', { host_id: testHost.id, actor_id: ECHO_ID });
  });
});

describe('live updates', () => {
  test('the event stream sends the state at once, then on each change, hosts joining and leaving too', async () => {
    const stream = await StateStream.open(base);
    let second: TestHost | undefined;
    try {
      const first = await stream.waitFor(
        (state) => state.hosts.some((host) => host.id === testHost.id),
        'this host',
      );
      expect(first.lattice).toBe(LATTICE);

      await apiPost(base, '/api/links', {
        actor_id: KVCOUNTER_ID,
        provider_id: SOME_PROVIDER,
        contract_id: 'wasmcloud:keyvalue',
      });
      const linked = await stream.waitFor((state) => state.links.length === 1, 'a link');
      expect(linked.links[0]).toMatchObject({
        actor_running: false,
        provider_running: false,
        provider_name: SOME_PROVIDER,
      });
      await apiPost(base, '/api/links/delete', { actor_id: KVCOUNTER_ID, contract_id: 'wasmcloud:keyvalue' });
      await stream.waitFor((state) => state.links.length === 0, 'no link');

      second = await startTestHost({
        natsUrl: nats.url,
        settings: { latticePrefix: LATTICE, clusterSeed: clusterKey.seed },
      });
      const secondId = second.id;
      const joined = await stream.waitFor(
        (state) => state.hosts.some((host) => host.id === secondId && host.friendly_name !== secondId),
        'the second host',
      );
      expect(joined.hosts.find((host) => host.id === secondId)).toMatchObject({ local: false });
      await second.host.stop();
      second = undefined;
      await stream.waitFor(
        (state) => !state.hosts.some((host) => host.id === secondId),
        'the second host gone',
      );
    } finally {
      await second?.host.stop();
      await stream.close();
    }
  });
});
