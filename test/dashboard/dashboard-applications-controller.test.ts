// The dashboard's Applications routes against the real application controller (`node
// controller/main.ts`, a process of its own) and a real host: a manifest stored and deployed
// through the dashboard is reconciled onto the host, the actor it starts is named with its
// application and the status turns deployed in the live feed; the controller's own refusal of a
// bad manifest comes back in its words; undeploy takes the actor away; delete forgets the app.

import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ApplicationSummary } from '../../dashboard/page-data.ts';
import type { LatticeSnapshot } from '../../dashboard/snapshot.ts';
import { verifySignedWasm } from '../../lattice/claims.ts';
import { type ControllerProcess, startControllerProcess } from '../controller/controller-process.ts';
import { builtActor } from '../helpers/actors.ts';
import { actorAppYaml } from '../helpers/app-manifests.ts';
import {
  type ApiErrorBody,
  apiGet,
  apiPost,
  StateStream,
  startDashboardHost,
} from '../helpers/dashboard-client.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';
import type { TestHost } from '../helpers/host.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const LATTICE = 'dashappsreal';
const APP = 'dash-echo';
const ECHO_PATH = join(REPO_ROOT, 'actors', 'build', 'wasmbus-echo_s.wasm');
const ECHO_ID = verifySignedWasm(builtActor('wasmbus-echo')).claims.sub;

const manifest = (replicas: number) => actorAppYaml({ name: APP, version: 'v1', image: ECHO_PATH, replicas });

let nats: NatsServer;
let testHost: TestHost;
let controller: ControllerProcess;
let base: string;
let stream: StateStream;

beforeAll(async () => {
  nats = await startNatsServer();
  testHost = await startDashboardHost(nats.url, LATTICE);
  controller = await startControllerProcess({
    natsPort: Number(new URL(nats.url).port),
    replicaId: 'dashboard-test',
    latticePrefix: LATTICE,
  });
  base = testHost.host.dashboardUrl ?? '';
  stream = await StateStream.open(base);
}, 60_000);

afterAll(async () => {
  await stream?.close();
  await controller?.stop();
  await testHost?.host.stop();
  await nats?.stop();
});

const appIn = (state: LatticeSnapshot): ApplicationSummary | undefined =>
  state.applications.applications.find((app) => app.name === APP);

test("a bad manifest comes back with the controller's own reason", async () => {
  const reply = await apiPost<ApiErrorBody>(base, '/api/applications', { manifest: manifest(-1) });
  expect(reply.status, controller.output()).toBe(422);
  expect(reply.body.error.code).toBe('MANIFEST_REFUSED');
  expect(reply.body.error.message).toMatch(
    /^the controller refused the manifest: .*spec\.components\[0\]\.traits\[0\]\.properties\.replicas/,
  );
});

test('stored and deployed through the dashboard, reconciled onto the host, undeployed, deleted', async () => {
  const put = await apiPost(base, '/api/applications', { manifest: manifest(2), deploy: true });
  expect(put.status, controller.output()).toBe(201);
  expect(put.body.reply).toMatchObject({ result: 'created', name: APP, current_version: 'v1' });
  expect(put.body.deploy).toMatchObject({ result: 'acknowledged' });

  // The controller starts the actor with its annotations; the page names it with the app.
  const deployed = await stream.waitFor(
    (s) =>
      appIn(s)?.status === 'deployed' &&
      s.actors.some((actor) => actor.id === ECHO_ID && actor.total_instances === 2),
    `${APP} deployed with 2 instances of echo`,
    45_000,
  );
  expect(appIn(deployed)).toMatchObject({
    version: 'v1',
    deployed_version: 'v1',
    actors: [ECHO_ID],
    providers: [],
  });
  expect(deployed.actors.find((actor) => actor.id === ECHO_ID)?.applications).toEqual([APP]);
  const detail = await apiGet<ApplicationSummary & { versions: unknown[] }>(base, `/api/applications/${APP}`);
  expect(detail.status).toBe(200);
  expect(detail.body.versions).toEqual([{ version: 'v1', deployed: true }]);
  expect(detail.body.scalers.length).toBeGreaterThan(0);
  expect(detail.body.scalers.every((scaler) => scaler.status === 'deployed')).toBe(true);

  const undeploy = await apiPost(base, `/api/applications/${APP}/undeploy`, {});
  expect(undeploy.status).toBe(200);
  const undeployed = await stream.waitFor(
    (s) => !s.actors.some((actor) => actor.id === ECHO_ID) && appIn(s)?.deployed_version === null,
    `${APP} undeployed and echo stopped`,
    30_000,
  );
  expect(appIn(undeployed)?.status).toBe('undeployed');

  const deleted = await apiPost(base, `/api/applications/${APP}/delete`, {});
  expect(deleted.status).toBe(200);
  const listed = await apiGet<{ applications: ApplicationSummary[] }>(base, '/api/applications');
  expect(listed.body.applications).toEqual([]);
}, 90_000);
