// A real Prometheus server scrapes a running lattice (issue 17): a host with the 2022 echo behind
// the built-in httpserver serves /metrics on a port of its own (WASMCLOUD_METRICS_PORT); after HTTP
// calls, Prometheus's query API returns the invocation counter with the actor's key and operation,
// the 1.x duration histogram, and the host as a healthy target.

import { afterAll, beforeAll, expect, test } from 'vitest';
import { builtinProviderKey } from '../../lattice/builtin-providers.ts';
import { eventually } from '../helpers/eventually.ts';
import { ctlRequest } from '../helpers/lattice-client.ts';
import { freePort } from '../helpers/nats-server.ts';
import { type PrometheusServer, startPrometheus } from '../helpers/prometheus-server.ts';
import { ACK, ProviderLattice } from '../helpers/provider-lattice.ts';

const CALLS = 5;

let lattice: ProviderLattice;
let prometheus: PrometheusServer;
let echoId: string;

beforeAll(async () => {
  const metricsPort = await freePort();
  lattice = await ProviderLattice.start({
    lattice: 'scraped',
    name: 'prometheus-scrape',
    hostSettings: { metricsPort: String(metricsPort) },
  });
  prometheus = await startPrometheus([`127.0.0.1:${metricsPort}`]);
  echoId = await lattice.startActor('wasmbus-echo');
  const httpKey = builtinProviderKey(lattice.clusterKey.seed, 'httpserver').publicKey;
  expect(
    await ctlRequest(lattice.nc, lattice.subjects.ctl.launchProvider(lattice.host.id), {
      provider_ref: 'wasmcloud+builtin://httpserver',
      link_name: 'default',
    }),
  ).toEqual(ACK);
  await lattice.events.waitFor('provider_started', (data) => data.public_key === httpKey);
  const httpPort = await freePort();
  await lattice.putLink({
    actor_id: echoId,
    provider_id: httpKey,
    link_name: 'default',
    contract_id: 'wasmcloud:httpserver',
    values: { ADDRESS: `127.0.0.1:${httpPort}` },
  });
  await eventually(
    () =>
      fetch(`http://127.0.0.1:${httpPort}/warm-up`).then(
        (response) => response.ok,
        () => false,
      ),
    'the echo serving HTTP',
    20_000,
  );
  for (let call = 1; call < CALLS; call++) {
    const response = await fetch(`http://127.0.0.1:${httpPort}/call/${call}`);
    expect(response.status).toBe(200);
  }
}, 90_000);

afterAll(async () => {
  await prometheus?.stop();
  await lattice?.stop();
});

test('Prometheus scrapes the host and its query API returns the invocation counter', async () => {
  const counter = `wasmcloud_host_actor_invocations_total{actor_id="${echoId}",operation="HttpServer.HandleRequest"}`;
  const series = await eventually(
    async () => {
      const result = await prometheus.query(counter);
      return result.length === 1 && result[0]!.value === CALLS ? result : undefined;
    },
    { what: `${counter} = ${CALLS} in Prometheus`, timeoutMs: 30_000, intervalMs: 500 },
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\nprometheus output:\n${prometheus.output()}`);
  });
  expect(series[0]!.labels).toMatchObject({
    job: 'wasmcloud-hosts',
    host: lattice.host.id,
    lattice: 'scraped',
    caller_provider_contract_id: 'wasmcloud:httpserver',
  });

  const up = await prometheus.query('up{job="wasmcloud-hosts"}');
  expect(up.map((sample) => sample.value)).toEqual([1]);
  const histogram = await prometheus.query(
    `sum(wasmcloud_host_handle_rpc_message_duration_count{component_id="${echoId}"})`,
  );
  expect(histogram[0]?.value).toBe(CALLS);
});
