// An application manifest whose capability is a built-in provider (`image:
// wasmcloud+builtin://httpserver` with its `contract`), parsed as `wash app deploy` sends it and
// reconciled against two real host processes sharing a cluster seed: the controller starts the
// built-in on each host as it starts any provider (daemonscaler), links the echo actor to the key
// it finds in the inventories (derived from the seed, the same on both hosts), and the echo then
// answers on the link's address with no provider process; undeploy stops it again.

import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseManifest } from '../../controller/manifest/parse.ts';
import { eventuallyPasses } from '../helpers/eventually.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';
import type { HostProcess } from '../helpers/host-process.ts';
import { freePort } from '../helpers/nats-server.ts';
import {
  inventories,
  type ReconcileLattice,
  startReconcileLattice,
  statusOf,
  type TestReconciler,
} from './reconcile-fixtures.ts';

const BUILTIN = 'wasmcloud+builtin://httpserver';

let lattice: ReconcileLattice;
let controller: TestReconciler;
let hosts: HostProcess[];
let echoImage: string;

function manifestYaml(port: number): string {
  return `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: builtin-echo
  annotations:
    version: v1
spec:
  components:
    - name: echo
      type: actor
      properties:
        image: ${echoImage}
      traits:
        - type: spreadscaler
          properties:
            replicas: 1
        - type: linkdef
          properties:
            target: httpserver
            values:
              ADDRESS: 127.0.0.1:${port}
    - name: httpserver
      type: capability
      properties:
        image: ${BUILTIN}
        contract: wasmcloud:httpserver
      traits:
        - type: daemonscaler
          properties:
            replicas: 1
`;
}

beforeAll(async () => {
  lattice = await startReconcileLattice('rbuiltin');
  echoImage = join(lattice.dir, 'echo.wasm');
  copyFileSync(join(REPO_ROOT, 'actors', 'build', 'wasmbus-echo_s.wasm'), echoImage);
  hosts = await Promise.all([lattice.startHost({ zone: 'a' }), lattice.startHost({ zone: 'b' })]);
  controller = await lattice.startReconciler({ backoffBaseMs: 1000 });
}, 120_000);

afterAll(async () => {
  await lattice?.stop();
});

test('a manifest with image wasmcloud+builtin://httpserver is started on every host, linked and served', async () => {
  const port = await freePort();
  const parsed = parseManifest(new TextEncoder().encode(manifestYaml(port)));
  if (!parsed.ok) throw new Error(parsed.error);
  expect(parsed.manifest.components.find((component) => component.name === 'httpserver')).toMatchObject({
    kind: 'provider',
    image: BUILTIN,
    contract: 'wasmcloud:httpserver',
  });
  controller.reconciler.setDesired([{ manifest: parsed.manifest }]);
  const status = await statusOf(controller.reconciler, 'builtin-echo', 'deployed', 60_000);
  expect(status.scalers.map((scaler) => [scaler.kind, scaler.status.type])).toEqual([
    ['SpreadScaler', 'deployed'],
    ['ProviderDaemonScaler', 'deployed'],
    ['LinkScaler', 'deployed'],
  ]);

  // The built-in runs in both hosts under one key (derived from the shared cluster seed).
  const held = await inventories(
    lattice.client,
    hosts.map((host) => host.id),
  );
  const providers = [...held.values()].flatMap((inventory) => inventory.providers);
  expect(providers.map((provider) => provider.image_ref)).toEqual([BUILTIN, BUILTIN]);
  expect(new Set(providers.map((provider) => provider.id)).size).toBe(1);
  const links = await lattice.client.getLinks();
  expect(links).toContainEqual(
    expect.objectContaining({ provider_id: providers[0]!.id, contract_id: 'wasmcloud:httpserver' }),
  );

  await eventuallyPasses(
    async () => {
      const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } });
      expect(await response.text()).toBe('{"body":[],"method":"GET","path":"/","query_string":""}');
    },
    { what: 'the echo answering through the built-in', timeoutMs: 20_000 },
  );

  controller.reconciler.setDesired([]);
  await eventuallyPasses(
    async () => {
      const after = await inventories(
        lattice.client,
        hosts.map((host) => host.id),
      );
      expect([...after.values()].flatMap((inventory) => inventory.providers)).toEqual([]);
    },
    { what: 'undeploy to stop the built-ins', timeoutMs: 30_000 },
  );
}, 120_000);
