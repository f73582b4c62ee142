// The dashboard's application routes against a real host and a real nats-server, with an in-test
// stand-in for the application controller (test/helpers/wadm-responder.ts) answering the wadm API:
// no controller said plainly, manifests stored (YAML and JSON) and refused with the controller's
// words, deploy / undeploy / delete with their outcomes, one application's scalers and versions,
// bad input to every route named, status pushes reaching the live feed, and the actors and
// providers the controller started (by their annotations) named with their application.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ApplicationSummary } from '../../dashboard/page-data.ts';
import type { LatticeSnapshot } from '../../dashboard/snapshot.ts';
import { verifySignedWasm } from '../../lattice/claims.ts';
import { ControlClient } from '../../lattice/control-client.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import {
  APP_SPEC_ANNOTATION,
  MANAGED_BY_ANNOTATION,
  MANAGED_BY_WADM,
  MAX_MANIFEST_BYTES,
} from '../../lattice/wadm-api.ts';
import { type BuiltProbe, buildProbeArchive } from '../fixtures/providers/provider-test-kit.ts';
import { builtActor } from '../helpers/actors.ts';
import { actorAppYaml } from '../helpers/app-manifests.ts';
import {
  type ApiErrorBody,
  apiGet,
  apiPost,
  expectInvalidInput,
  StateStream,
  startDashboardHost,
} from '../helpers/dashboard-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';
import type { TestHost } from '../helpers/host.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { WadmResponder } from '../helpers/wadm-responder.ts';

const LATTICE = 'dashapps';
const ECHO_PATH = join(REPO_ROOT, 'actors', 'build', 'wasmbus-echo_s.wasm');
const ECHO_ID = verifySignedWasm(builtActor('wasmbus-echo')).claims.sub;
const KVCOUNTER_PATH = join(REPO_ROOT, 'actors', 'build', 'wasmbus-kvcounter_s.wasm');
const KVCOUNTER_ID = verifySignedWasm(builtActor('wasmbus-kvcounter')).claims.sub;

const ECHO_YAML = actorAppYaml({
  name: 'echo',
  version: 'v1',
  description: 'Echo over HTTP',
  image: ECHO_PATH,
  replicas: 2,
  linkTo: { name: 'probe', image: 'probe.par.gz', contract: 'wasmcloud:probe' },
});

const COUNTER_JSON = JSON.stringify({
  apiVersion: 'core.oam.dev/v1beta1',
  kind: 'Application',
  metadata: { name: 'counter', annotations: { version: 'c1' } },
  spec: {
    components: [
      {
        name: 'counter',
        type: 'actor',
        properties: { image: KVCOUNTER_PATH },
        traits: [{ type: 'daemonscaler', properties: { replicas: 1 } }],
      },
    ],
  },
});

type ErrorBody = ApiErrorBody;

let nats: NatsServer;
let nc: NatsConnection;
let testHost: TestHost;
let base: string;
let dir: string;
let probe: BuiltProbe;
let responder: WadmResponder | undefined;
let stream: StateStream;

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-dashapps-'));
  probe = await buildProbeArchive(dir);
  testHost = await startDashboardHost(nats.url, LATTICE);
  base = testHost.host.dashboardUrl ?? '';
  stream = await StateStream.open(base);
}, 60_000);

afterAll(async () => {
  await stream?.close();
  await responder?.stop();
  await testHost?.host.stop();
  await nc?.close();
  await nats?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const appIn = (state: LatticeSnapshot, name: string): ApplicationSummary | undefined =>
  state.applications.applications.find((app) => app.name === name);

async function startResponder(): Promise<WadmResponder> {
  responder = await WadmResponder.start(nc, LATTICE);
  return responder;
}

describe('without a controller', () => {
  test('every route says that no application controller runs in the lattice, and so does the page', async () => {
    const list = await apiGet<ErrorBody>(base, '/api/applications');
    expect(list.status).toBe(503);
    expect(list.body.error).toEqual({
      code: 'WADM_NO_CONTROLLER',
      message: `no application controller is running in lattice "${LATTICE}": nobody listens on wadm.api.${LATTICE}.model.list`,
    });
    const deploy = await apiPost<ErrorBody>(base, '/api/applications/echo/deploy', {});
    expect(deploy.status).toBe(503);
    expect(deploy.body.error.message).toBe(
      `no application controller is running in lattice "${LATTICE}": nobody listens on wadm.api.${LATTICE}.model.deploy.echo`,
    );
    const put = await apiPost<ErrorBody>(base, '/api/applications', { manifest: ECHO_YAML });
    expect(put.status).toBe(503);
    expect(put.body.error.code).toBe('WADM_NO_CONTROLLER');
    const state = await stream.waitFor(
      (s) => s.applications.controller === 'absent',
      'the controller absent',
    );
    expect(state.applications).toEqual({
      controller: 'absent',
      message: `no application controller is running in lattice "${LATTICE}": nobody listens on wadm.api.${LATTICE}.model.list`,
      applications: [],
    });
  });
});

describe('with a controller', () => {
  beforeAll(async () => {
    await startResponder();
  });

  test("a YAML manifest is stored; the answer carries the controller's reply and the page lists it", async () => {
    const put = await apiPost(base, '/api/applications', { manifest: ECHO_YAML });
    expect(put.status).toBe(201);
    expect(put.body).toEqual({
      message: 'stored version v1 of application echo',
      reply: {
        result: 'created',
        total_versions: 1,
        current_version: 'v1',
        name: 'echo',
        message: 'stored version v1 of application echo',
      },
    });
    // The answer comes once the view has read the list again: the next state already has it.
    const state = (await apiGet<LatticeSnapshot>(base, '/api/lattice')).body;
    expect(state.applications.controller).toBe('running');
    expect(appIn(state, 'echo')).toEqual({
      name: 'echo',
      version: 'v1',
      description: 'Echo over HTTP',
      deployed_version: null,
      status: 'undeployed',
      status_message: '',
      scalers: [],
      actors: [],
      providers: [],
    });
    await stream.waitFor((s) => appIn(s, 'echo') !== undefined, 'echo listed live');
  });

  test("the controller's refusals come back in its words", async () => {
    const again = await apiPost<ErrorBody>(base, '/api/applications', { manifest: ECHO_YAML });
    expect(again.status).toBe(422);
    expect(again.body.error).toEqual({
      code: 'MANIFEST_REFUSED',
      message: 'the controller refused the manifest: version v1 of application echo already exists',
    });
    const wrongKind = await apiPost<ErrorBody>(base, '/api/applications', {
      manifest: 'apiVersion: core.oam.dev/v1beta1\nkind: Deployment\n',
    });
    expect(wrongKind.status).toBe(422);
    expect(wrongKind.body.error.message).toBe(
      'the controller refused the manifest: kind: expected Application',
    );
    const notYaml = await apiPost<ErrorBody>(base, '/api/applications', { manifest: 'a: [' });
    expect(notYaml.status).toBe(422);
    expect(notYaml.body.error.message).toMatch(
      /^the controller refused the manifest: the manifest is neither JSON nor YAML/,
    );
  });

  test('a JSON manifest stored and deployed at once; its status comes with its scalers', async () => {
    const put = await apiPost(base, '/api/applications', { manifest: COUNTER_JSON, deploy: true });
    expect(put.status).toBe(201);
    expect(put.body.message).toBe('stored version c1 of application counter; deploying it');
    expect(put.body.deploy).toEqual({ result: 'acknowledged', message: '', name: 'counter', version: 'c1' });
    const detail = await apiGet<ApplicationSummary & { versions: unknown[] }>(
      base,
      '/api/applications/counter',
    );
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      name: 'counter',
      version: 'c1',
      deployed_version: 'c1',
      status: 'reconciling',
      status_message: 'deploying version c1',
      scalers: [
        {
          id: 'counter-daemonscaler-0',
          kind: 'DaemonScaler',
          name: 'counter',
          status: 'reconciling',
          message: 'deploying version c1',
        },
      ],
      versions: [{ version: 'c1', deployed: true }],
    });
    const listed = await apiGet<{ controller: string; applications: ApplicationSummary[] }>(
      base,
      '/api/applications',
    );
    expect(listed.status).toBe(200);
    expect(listed.body.controller).toBe('running');
    expect(listed.body.applications.map((app) => [app.name, app.status])).toEqual([
      ['counter', 'reconciling'],
      ['echo', 'undeployed'],
    ]);
  });

  test('deploy, a status push, undeploy: each shows in the live feed', async () => {
    const deploy = await apiPost(base, '/api/applications/echo/deploy', { version: 'v1' });
    expect(deploy.status).toBe(200);
    expect(deploy.body).toEqual({
      message: 'deploying application echo version v1: the controller is reconciling',
      name: 'echo',
      version: 'v1',
    });
    await stream.waitFor(
      (s) => appIn(s, 'echo')?.deployed_version === 'v1' && appIn(s, 'echo')?.scalers.length === 2,
      'echo deployed with two scalers',
    );

    // The controller's push (wadm.status.dashapps.echo) reaches the page without a request.
    const reason = 'no host satisfies zone=us-east-1';
    responder?.setStatus('echo', responder.statusOf('echo', 'failed', reason));
    const failed = await stream.waitFor((s) => appIn(s, 'echo')?.status === 'failed', 'echo failed');
    expect(appIn(failed, 'echo')).toMatchObject({
      status: 'failed',
      status_message: reason,
      scalers: [
        { kind: 'SpreadScaler', name: 'echo', status: 'failed', message: reason },
        { kind: 'LinkScaler', name: 'echo', status: 'failed', message: reason },
      ],
    });
    responder?.setStatus('echo', responder.statusOf('echo', 'compensating' as 'reconciling', 'starting 2'));
    await stream.waitFor(
      (s) => appIn(s, 'echo')?.status === 'reconciling',
      'compensating read as reconciling',
    );

    const undeploy = await apiPost(base, '/api/applications/echo/undeploy', {});
    expect(undeploy.status).toBe(200);
    expect(undeploy.body.message).toBe(
      'undeploying application echo: the controller stops what it started for it',
    );
    await stream.waitFor(
      (s) => appIn(s, 'echo')?.status === 'undeployed' && appIn(s, 'echo')?.deployed_version === null,
      'echo undeployed',
    );
  });

  test('what the controller started is named with its application; what others started is not', async () => {
    const ctl = new ControlClient(nc, { latticePrefix: LATTICE });
    const managed = { [MANAGED_BY_ANNOTATION]: MANAGED_BY_WADM, [APP_SPEC_ANNOTATION]: 'echo' };
    await ctl.startActor(testHost.id, ECHO_PATH, 1, managed);
    await ctl.startProvider(testHost.id, probe.path, 'default', undefined, managed);
    // Claims to belong to counter, but not started by the controller: not marked.
    await ctl.startActor(testHost.id, KVCOUNTER_PATH, 1, { [APP_SPEC_ANNOTATION]: 'counter' });
    const state = await stream.waitFor(
      (s) =>
        s.actors.some((actor) => actor.id === KVCOUNTER_ID) &&
        (appIn(s, 'echo')?.actors.length ?? 0) > 0 &&
        (appIn(s, 'echo')?.providers.length ?? 0) > 0,
      'echo, its provider and kvcounter in the view',
      30_000,
    );
    expect(state.actors.find((actor) => actor.id === ECHO_ID)?.applications).toEqual(['echo']);
    expect(state.actors.find((actor) => actor.id === KVCOUNTER_ID)?.applications).toEqual([]);
    expect(state.providers.find((provider) => provider.id === probe.providerKey)?.applications).toEqual([
      'echo',
    ]);
    expect(appIn(state, 'echo')).toMatchObject({
      actors: [ECHO_ID],
      providers: [`${probe.providerKey}|default`],
    });
    expect(appIn(state, 'counter')).toMatchObject({ actors: [], providers: [] });
  }, 45_000);

  test('delete takes one version or every version; deleting a deployed app says it was undeployed', async () => {
    const v2 = ECHO_YAML.replace('version: v1', 'version: v2');
    expect(v2).not.toBe(ECHO_YAML);
    expect((await apiPost(base, '/api/applications', { manifest: v2 })).body.message).toBe(
      'stored version v2 of application echo (2 versions)',
    );
    const one = await apiPost(base, '/api/applications/echo/delete', { version: 'v1' });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      message: expect.stringMatching(/^deleted application echo \(version v1\)/),
    });
    const versions = await apiGet<{ versions: unknown[] }>(base, '/api/applications/echo');
    expect(versions.body.versions).toEqual([{ version: 'v2', deployed: false }]);

    // No body at all: every version.
    const response = await fetch(`${base}/api/applications/counter/delete`, { method: 'POST' });
    const counter = { status: response.status, body: (await response.json()) as Record<string, unknown> };
    expect(counter.status).toBe(200);
    expect(counter.body).toMatchObject({
      message: expect.stringMatching(/^deleted application counter \(every version\), undeployed first/),
      undeployed: true,
    });
    const state = await stream.waitFor((s) => appIn(s, 'counter') === undefined, 'counter gone');
    expect(state.applications.applications.map((app) => app.name)).toEqual(['echo']);
  });

  test('unknown applications and versions are 404s naming them', async () => {
    const cases: Array<[string, unknown]> = [
      ['/api/applications/nothing/deploy', {}],
      ['/api/applications/echo/deploy', { version: 'v9' }],
      ['/api/applications/nothing/undeploy', {}],
      ['/api/applications/nothing/delete', {}],
      ['/api/applications/echo/delete', { version: 'v9' }],
    ];
    for (const [path, body] of cases) {
      const reply = await apiPost<ErrorBody>(base, path, body);
      expect(reply.status, path).toBe(404);
      expect(reply.body.error.code, path).toBe('UNKNOWN_APPLICATION');
      expect(reply.body.error.message, path).toMatch(
        /^no application (nothing|echo) in lattice dashapps \(the controller says: /,
      );
    }
    const detail = await apiGet<ErrorBody>(base, '/api/applications/nothing');
    expect(detail.status).toBe(404);
    expect(detail.body.error.message).toBe(
      'no application nothing in lattice dashapps (the controller says: application nothing does not exist)',
    );
  });
});

describe('bad input to every application route is named', () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['/api/applications', {}, 'manifest', /manifest: missing \(expected a string\)/],
    ['/api/applications', { manifest: '   \n' }, 'manifest', /manifest: must not be empty/],
    ['/api/applications', { manifest: 5 }, 'manifest', /manifest: expected a string, got a number/],
    [
      '/api/applications',
      { manifest: 'x'.repeat(MAX_MANIFEST_BYTES + 1024) },
      'manifest',
      /must be at most 256 KiB/,
    ],
    ['/api/applications', { manifest: 'x', deploy: 'yes' }, 'deploy', /expected true or false/],
    ['/api/applications', { manifest: 'x', name: 'echo' }, '', /Unrecognized key: "name"/],
    ['/api/applications/bad.name/deploy', {}, 'name', /an application name is letters, digits, - and _/],
    ['/api/applications/b%20c/undeploy', {}, 'name', /an application name is letters/],
    ['/api/applications/echo/deploy', { version: 5 }, 'version', /expected a string/],
    ['/api/applications/echo/deploy', { version: ' ' }, 'version', /must not be empty/],
    ['/api/applications/echo/deploy', { version: 'v1', force: true }, '', /Unrecognized key: "force"/],
    ['/api/applications/echo/undeploy', { non_destructive: true }, '', /Unrecognized key/],
    ['/api/applications/echo/delete', { version: 'x'.repeat(300) }, 'version', /at most 256 characters/],
  ];
  test.each(cases.map(([path, body, field, message]) => [path, field, body, message] as const))(
    'POST %s is refused when %s is wrong (%#)',
    (path, field, body, message) => expectInvalidInput(base, path, body, field, message),
  );

  test('a bad name in a GET, malformed JSON, a wrong content type, an oversized body, another origin', async () => {
    const name = await apiGet<ErrorBody>(base, '/api/applications/a.b');
    expect(name.status).toBe(400);
    expect(name.body.error.message).toBe(
      'invalid application name: name: an application name is letters, digits, - and _',
    );
    const broken = await apiPost<ErrorBody>(base, '/api/applications', '{"manifest": ');
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('INVALID_JSON');
    const none = await fetch(`${base}/api/applications`, { method: 'POST' });
    expect(none.status).toBe(400);
    expect(((await none.json()) as ErrorBody).error).toEqual({
      code: 'BODY_MISSING',
      message: 'a manifest upload needs a JSON body with Content-Type: application/json',
    });
    const yaml = await fetch(`${base}/api/applications`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: ECHO_YAML,
    });
    expect(yaml.status).toBe(415);
    expect(((await yaml.json()) as ErrorBody).error.message).toBe(
      'Content-Type application/yaml is not accepted here: send application/json',
    );
    const huge = await apiPost<ErrorBody>(base, '/api/applications', { manifest: 'x'.repeat(1100 * 1024) });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('BODY_TOO_LARGE');
    const crossSite = await apiPost<ErrorBody>(
      base,
      '/api/applications/echo/delete',
      {},
      { origin: 'http://attacker.example' },
    );
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.error.code).toBe('FORBIDDEN_ORIGIN');
    // Still there: the refused request reached nobody.
    expect((await apiGet(base, '/api/applications/echo')).status).toBe(200);
  });
});

describe('a controller that cannot list', () => {
  test('its error reply is a 502 with its words, and the page shows the controller in error', async () => {
    if (!responder) throw new Error('no stand-in controller');
    responder.listFailure = 'the manifests bucket cannot be read';
    try {
      const list = await apiGet<ErrorBody>(base, '/api/applications');
      expect(list.status).toBe(502);
      expect(list.body.error).toEqual({
        code: 'WADM_REFUSED',
        message: 'the application controller could not list: the manifests bucket cannot be read',
      });
      const state = await stream.waitFor(
        (s) => s.applications.controller === 'error',
        'the controller in error',
      );
      expect(state.applications.message).toBe(
        'the application controller could not list: the manifests bucket cannot be read',
      );
    } finally {
      responder.listFailure = undefined;
    }
    expect((await apiGet(base, '/api/applications')).status).toBe(200);
  });
});

describe('the controller going away', () => {
  test('shows on the page and in the API; its return too', async () => {
    await responder?.stop();
    const list = await apiGet<ErrorBody>(base, '/api/applications');
    expect(list.status).toBe(503);
    expect(list.body.error.code).toBe('WADM_NO_CONTROLLER');
    await stream.waitFor((s) => s.applications.controller === 'absent', 'the controller absent again');
    await startResponder();
    // A push from the new controller for an application it does not know of yet lists it.
    const put = await eventually(
      async () => {
        const reply = await apiPost(base, '/api/applications', { manifest: COUNTER_JSON });
        return reply.status === 201 ? reply : undefined;
      },
      { what: 'the new controller to take a manifest' },
    );
    expect(put.body.reply).toMatchObject({ result: 'created', name: 'counter' });
    const state = await stream.waitFor(
      (s) => s.applications.controller === 'running' && appIn(s, 'counter') !== undefined,
      'the controller back with counter',
    );
    // The stand-in lost what it held (a real controller keeps it in JetStream).
    expect(state.applications.applications.map((app) => app.name)).toEqual(['counter']);
  });
});
