// Metrics pushed over OTLP/HTTP (issue 17, item 1), received by the test's own OTLP receiver (no
// collector is packaged here): with OTEL_EXPORTER_OTLP_METRICS_ENDPOINT and a short
// OTEL_METRIC_EXPORT_INTERVAL in the environment, the host pushes its instruments under the host's
// resource, and the keyvalue provider process — to which the host passes the OTEL_* variables — pushes
// its own request counter per operation after a call.

import { afterAll, beforeAll, expect, test } from 'vitest';
import { KeyPair } from '../../lattice/keys.ts';
import { encodePayload } from '../../lattice/payload.ts';
import { eventually } from '../helpers/eventually.ts';
import { OtlpReceiver } from '../helpers/otlp-receiver.ts';
import { type ProviderArchive, ProviderLattice } from '../helpers/provider-lattice.ts';

const CONTRACT = 'wasmcloud:keyvalue';

let receiver: OtlpReceiver;
let lattice: ProviderLattice;
let keyvalue: ProviderArchive;
const actorId = KeyPair.create('module').publicKey;

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  // Read by the in-process host (resolveHostConfig) and passed to the provider process it starts.
  process.env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT = `${receiver.url}/v1/metrics`;
  process.env.OTEL_METRIC_EXPORT_INTERVAL = '500';
  lattice = await ProviderLattice.start({ lattice: 'otlpmetrics', name: 'metrics-otlp' });
  keyvalue = await lattice.buildProvider('keyvalue');
  await lattice.startProvider(keyvalue);
  await lattice.putLink({
    actor_id: actorId,
    provider_id: keyvalue.providerKey,
    link_name: 'default',
    contract_id: CONTRACT,
    values: { BUCKET: 'otlp_metrics' },
  });
}, 90_000);

afterAll(async () => {
  delete process.env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT;
  delete process.env.OTEL_METRIC_EXPORT_INTERVAL;
  await lattice?.stop();
  await receiver?.stop();
});

test('the host pushes its metrics under its resource', async () => {
  const point = await eventually(
    () =>
      receiver.metricPoints.find(
        (candidate) =>
          candidate.name === 'wasmcloud_host.process.memory.used.bytes' &&
          candidate.resource['host.id'] === lattice.host.id,
      ),
    { what: 'the host memory gauge over OTLP', timeoutMs: 15_000 },
  );
  expect(point.value).toBeGreaterThan(10_000_000);
  expect(point.resource['service.name']).toBe('wasmcloud-host');
  expect(receiver.rejected).toEqual([]);
});

test('the provider process pushes its request counter after a call', async () => {
  const call = () =>
    lattice.callProvider({
      actorId,
      providerKey: keyvalue.providerKey,
      contractId: CONTRACT,
      operation: 'KeyValue.Set',
      msg: encodePayload({ key: 'greeting', value: 'hello', expires: 0 }),
      timeoutMs: 15_000,
    });
  await lattice.waitForLink(keyvalue.providerKey, 'the keyvalue link', call);
  const point = await eventually(
    () =>
      receiver.metricPoints.find(
        (candidate) =>
          candidate.name === 'wasmcloud_provider.requests' &&
          candidate.attributes.operation === 'KeyValue.Set' &&
          candidate.attributes['provider.id'] === keyvalue.providerKey,
      ),
    { what: 'the provider request counter over OTLP', timeoutMs: 15_000 },
  );
  expect(point.value).toBeGreaterThanOrEqual(1);
  expect(point.attributes['contract.id']).toBe(CONTRACT);
  expect(point.attributes['component.id']).toBe(actorId);
});
