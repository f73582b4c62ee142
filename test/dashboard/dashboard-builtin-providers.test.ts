// The dashboard's Start provider form and the built-in providers: the page a host serves lists
// every name of lattice/builtin-providers.ts (a reserved one disabled), and starting one through
// the JSON API, as the form does, runs it inside the host under the key derived from the cluster seed.

import { afterAll, beforeAll, expect, test } from 'vitest';
import { BUILTIN_PROVIDERS, builtinProviderKey, builtinRef } from '../../lattice/builtin-providers.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { apiPost } from '../helpers/dashboard-client.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { freePort, type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const clusterKey = KeyPair.create('cluster');
let nats: NatsServer;
let testHost: TestHost;
let base: string;

beforeAll(async () => {
  nats = await startNatsServer();
  testHost = await startTestHost({
    natsUrl: nats.url,
    settings: {
      latticePrefix: 'dashbuiltin',
      clusterSeed: clusterKey.seed,
      dashboardPort: String(await freePort()),
    },
  });
  base = testHost.host.dashboardUrl ?? '';
}, 60_000);

afterAll(async () => {
  await testHost?.host.stop();
  await nats?.stop();
});

test('the Start provider form lists every built-in; the reserved ones (none now) are disabled', async () => {
  const page = await (await fetch(`${base}/`)).text();
  const select = /<select name="builtin_ref">([\s\S]*?)<\/select>/.exec(page)?.[1] ?? '';
  const options = [...select.matchAll(/<option value="([^"]+)"( disabled)?>/g)].map((match) => ({
    ref: match[1],
    available: match[2] === undefined,
  }));
  expect(options).toEqual(
    BUILTIN_PROVIDERS.map((info) => ({ ref: builtinRef(info.name), available: info.available })),
  );
  expect(page).toContain('<input type="radio" name="source" value="builtin" />');
});

test('starting wasmcloud+builtin://httpserver as the form does runs it in the host under the derived key', async () => {
  const started = await apiPost(base, '/api/providers', {
    provider_ref: 'wasmcloud+builtin://httpserver',
    link_name: 'default',
  });
  expect(started.status).toBe(200);
  expect(started.body).toMatchObject({
    host_id: testHost.id,
    provider_id: builtinProviderKey(clusterKey.seed, 'httpserver').publicKey,
    link_name: 'default',
  });
  const messaging = await apiPost(base, '/api/providers', {
    provider_ref: 'wasmcloud+builtin://messaging',
    link_name: 'default',
  });
  expect(messaging.body).toMatchObject({
    provider_id: builtinProviderKey(clusterKey.seed, 'messaging').publicKey,
  });
});
