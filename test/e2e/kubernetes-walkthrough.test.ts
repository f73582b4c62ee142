// The walk-through people follow to put wasmCloud on Kubernetes (docs/kubernetes-walkthrough.md),
// step by step with the real `wash`, a real host started by `wash up`, a real OCI registry and
// real provider processes. Only the Kubernetes API is a stand-in (no API server can run here):
// test/helpers/kube-api-server.ts answers the Service endpoints the way the API does.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { verifySignedWasm } from '../../lattice/claims.ts';
import { readProviderArchive } from '../../lattice/provider-archive.ts';
import { providerArchivePath } from '../../providers/build.ts';
import { builtActor } from '../helpers/actors.ts';
import { eventually, eventuallyPasses } from '../helpers/eventually.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';
import { type KubeApiServer, startKubeApiServer } from '../helpers/kube-api-server.ts';
import { freePort, type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { type OciRegistry, startOciRegistry } from '../helpers/oci-registry.ts';
import { runWash, type WashRun } from '../helpers/wash.ts';

let nats: NatsServer;
let registry: OciRegistry;
let kube: KubeApiServer;
let washHome: string;

const actorFile = (name: string) => join(REPO_ROOT, 'actors', 'build', `${name}_s.wasm`);
const actorKey = (name: string) => verifySignedWasm(builtActor(name)).claims.sub;
const providerKey = async (folder: string) =>
  (await readProviderArchive(readFileSync(providerArchivePath(folder)))).claims.sub;

/** Runs wash against this test's lattice and fails with its output when it does. */
async function wash(...args: string[]): Promise<WashRun> {
  const run = await runWash(args, { env: { WASH_HOME: washHome, HOME: washHome } });
  if (run.code !== 0)
    throw new Error(`wash ${args.join(' ')} exited ${run.code}:\n${run.stdout}${run.stderr}`);
  return run;
}
const ctl = (...args: string[]) => wash('ctl', ...args, '-p', String(nats.port), '-t', '5000');

beforeAll(async () => {
  washHome = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-walkthrough-'));
  [nats, registry, kube] = await Promise.all([
    startNatsServer({ monitor: true }),
    startOciRegistry(),
    startKubeApiServer(),
  ]);
  await wash(
    'up',
    '--detached',
    '--nats-url',
    nats.url,
    '--allowed-insecure',
    registry.host,
    '--dashboard-port',
    'off',
  );
}, 120_000);

afterAll(async () => {
  if (washHome) await runWash(['down'], { env: { WASH_HOME: washHome, HOME: washHome } });
  await Promise.all([nats?.stop(), registry?.stop(), kube?.stop()]);
  if (washHome) rmSync(washHome, { recursive: true, force: true });
});

test('push, start from refs, link echo to httpserver, curl it; the applier creates and deletes its Service', async () => {
  // 1. Push the actors and providers to the local registry.
  const refs = {
    echo: registry.ref('echo:0.1.0'),
    serviceApplier: registry.ref('service-applier:0.1.0'),
    httpserver: registry.ref('httpserver:0.1.0'),
    messaging: registry.ref('messaging:0.1.0'),
    applier: registry.ref('kubernetes-applier:0.1.0'),
  };
  await wash('push', refs.echo, actorFile('echo'), '--insecure');
  await wash('push', refs.serviceApplier, actorFile('service-applier'), '--insecure');
  await wash('push', refs.httpserver, providerArchivePath('httpserver'), '--insecure');
  await wash('push', refs.messaging, providerArchivePath('messaging'), '--insecure');
  await wash('push', refs.applier, providerArchivePath('kubernetes-applier'), '--insecure');

  // 2. Start them from their references (an auction picks the host), waiting for each outcome.
  for (const ref of [refs.echo, refs.serviceApplier]) await ctl('start', 'actor', ref);
  for (const ref of [refs.httpserver, refs.messaging, refs.applier]) await ctl('start', 'provider', ref);
  const hosts = JSON.parse((await ctl('get', 'hosts', '-o', 'json')).stdout) as { hosts: { id: string }[] };
  expect(hosts.hosts).toHaveLength(1);
  const inventory = JSON.parse((await ctl('get', 'inventory', hosts.hosts[0]!.id, '-o', 'json')).stdout) as {
    inventory: { actors: { id: string }[]; providers: { id: string }[] };
  };
  const echo = actorKey('echo');
  const serviceApplier = actorKey('service-applier');
  const httpserver = await providerKey('httpserver');
  const messaging = await providerKey('messaging');
  const applier = await providerKey('kubernetes-applier');
  expect(inventory.inventory.actors.map((actor) => actor.id).sort()).toEqual([echo, serviceApplier].sort());
  expect(inventory.inventory.providers.map((provider) => provider.id).sort()).toEqual(
    [httpserver, messaging, applier].sort(),
  );

  // 3. Link echo to the HTTP server and curl it.
  const port = await freePort();
  const address = `ADDRESS=127.0.0.1:${port}`;
  await ctl('link', 'put', echo, httpserver, 'wasmcloud:httpserver', address);
  await eventuallyPasses(
    async () =>
      expect(
        await fetch(`http://127.0.0.1:${port}/`).then(
          (response) => response.text(),
          () => 'not yet',
        ),
      ).toBe('{"body":[],"method":"GET","path":"/","query_string":""}'),
    {
      what: "fetch(`http://127.0.0.1:{port}/`).then((response) => response.text(), () => 'not yet') to be ('{...",
      timeoutMs: 15_000,
    },
  );

  // 4. The service-applier hears lattice events through messaging and applies through the applier.
  const eventSubscribers = await nats.subscriptionsTo('wasmbus.evt.default');
  await ctl(
    'link',
    'put',
    serviceApplier,
    messaging,
    'wasmcloud:messaging',
    'SUBSCRIPTION=wasmbus.evt.default',
    `URI=${nats.url}`,
  );
  const kubeconfig = Buffer.from(kube.kubeconfig({ namespace: 'default' })).toString('base64');
  await ctl(
    'link',
    'put',
    serviceApplier,
    applier,
    'cosmonic:kubernetes_applier',
    `config_b64=${kubeconfig}`,
  );
  // The messaging provider has its subscription before the event that matters: one more client of
  // the server subscribes to the event subject.
  await eventually(async () => (await nats.subscriptionsTo('wasmbus.evt.default')) > eventSubscribers, {
    what: "the messaging provider's subscription to wasmbus.evt.default",
    timeoutMs: 15_000,
  });

  // 5. Putting echo's HTTP link again (linkdef_set) creates its Service; deleting it deletes it.
  await ctl('link', 'del', echo, 'wasmcloud:httpserver');
  await ctl('link', 'put', echo, httpserver, 'wasmcloud:httpserver', address);
  const serviceName = echo.toLowerCase();
  await eventuallyPasses(async () => expect(await kube.service('default', serviceName)).toBeDefined(), {
    what: "kube.service('default', serviceName) to be defined",
    timeoutMs: 15_000,
  });
  const service = kube.service('default', serviceName) as {
    metadata: { labels: Record<string, string> };
    spec: { selector: Record<string, string>; ports: { port: number }[] };
  };
  expect(service.spec.selector).toEqual({ 'wasmcloud.dev/route-to': 'true' });
  expect(service.spec.ports[0]?.port).toBe(port);
  expect(service.metadata.labels).toMatchObject({
    'wasmcloud.dev/actor-id': echo,
    'wasmcloud.dev/contract': 'httpserver',
    'wasmcloud.dev/provider-id': httpserver,
  });
  await ctl('link', 'del', echo, 'wasmcloud:httpserver');
  await eventuallyPasses(async () => expect(await kube.service('default', serviceName)).toBeUndefined(), {
    what: "kube.service('default', serviceName) to be undefined",
    timeoutMs: 15_000,
  });
}, 240_000);
