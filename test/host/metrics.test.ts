// The host's metrics on a real host and nats-server (issue 17): after HTTP calls through the
// built-in httpserver to kvcounter, which calls the built-in keyvalue, /metrics on the dashboard's
// port (and on a port of its own) shows, in Prometheus text written by the OpenTelemetry SDK, the
// 0.8x invocation counter with the actor's key and operation, the 1.x counters and duration
// histogram, the provider calls per provider, instances, provider health, NATS and the process;
// failed calls are counted as errors; the start-up line says where metrics go; turned off, there
// is no /metrics and the line says so.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { actorEntity } from '../../lattice/invocation.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { startTestHost } from '../helpers/host.ts';
import { serveKvcounterOverHttp } from '../helpers/kvcounter-http.ts';
import { freePort } from '../helpers/nats-server.ts';
import { ProviderLattice } from '../helpers/provider-lattice.ts';

const CALLS = 7;

let lattice: ProviderLattice;
let metricsPort: number;
let httpPort: number;
let kvcounterId: string;
let keyvalueKey: string;

async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
}

/** The value of the one sample of `name` whose labels include every one of `labels`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const matches = Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`));
    if (matches) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

beforeAll(async () => {
  metricsPort = await freePort();
  lattice = await ProviderLattice.start({
    lattice: 'metrics',
    name: 'host-metrics',
    hostSettings: { dashboardPort: '0', metricsPort: String(metricsPort) },
  });
  const served = await serveKvcounterOverHttp(lattice, 'metrics_counter');
  ({ kvcounterId, keyvalueKey, httpPort } = served);
  for (let call = 1; call < CALLS; call++) {
    const response = await fetch(`http://127.0.0.1:${httpPort}/counter`);
    expect(response.status).toBe(200);
  }
}, 90_000);

afterAll(async () => {
  await lattice?.stop();
});

describe('host metrics', () => {
  test('/metrics on the dashboard port counts the HTTP calls with the actor key and operation', async () => {
    const dashboard = lattice.host.host.dashboardUrl;
    expect(dashboard).toBeDefined();
    const text = await scrape(`${dashboard}/metrics`);
    const operation = 'HttpServer.HandleRequest';
    expect(
      sample(text, 'wasmcloud_host_actor_invocations_total', {
        actor_id: kvcounterId,
        operation,
        caller_provider_contract_id: 'wasmcloud:httpserver',
        host: lattice.host.id,
        lattice: 'metrics',
      }),
    ).toBe(CALLS);
    expect(
      sample(text, 'wasmcloud_host_component_invocations_total', { component_id: kvcounterId, operation }),
    ).toBe(CALLS);
    expect(
      sample(text, 'wasmcloud_host_component_invocation_errors_total', {
        component_id: kvcounterId,
        operation,
      }),
    ).toBe(0);
    expect(
      sample(text, 'wasmcloud_host_handle_rpc_message_duration_count', {
        component_id: kvcounterId,
        operation,
      }),
    ).toBe(CALLS);
    expect(
      sample(text, 'wasmcloud_host_handle_rpc_message_duration_bucket', {
        component_id: kvcounterId,
        le: '+Inf',
      }),
    ).toBe(CALLS);
    // Each HTTP call made one keyvalue call (Increment) to the built-in keyvalue.
    expect(
      sample(text, 'wasmcloud_host_provider_requests_total', {
        provider_id: keyvalueKey,
        contract_id: 'wasmcloud:keyvalue',
      }),
    ).toBe(CALLS);
    expect(sample(text, 'wasmcloud_host_provider_healthy', { provider_id: keyvalueKey })).toBeDefined();
    expect(
      sample(text, 'wasmcloud_host_component_max_instances', { component_id: kvcounterId }),
    ).toBeGreaterThan(0);
    expect(sample(text, 'wasmcloud_host_nats_connected', { connection: 'rpc' })).toBe(1);
    expect(sample(text, 'wasmcloud_host_process_memory_used_bytes', {})).toBeGreaterThan(10_000_000);
    // The resource attributes name the host.
    expect(text).toContain(`host_id="${lattice.host.id}"`);
  });

  test('a failed call is counted as an error of its operation', async () => {
    const caller = actorEntity(KeyPair.create('module').publicKey);
    await expect(
      lattice.invokeActor(kvcounterId, 'NoSuch.Operation', new Uint8Array(), caller),
    ).rejects.toThrow();
    const text = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(
      sample(text, 'wasmcloud_host_component_invocation_errors_total', {
        component_id: kvcounterId,
        operation: 'NoSuch.Operation',
      }),
    ).toBe(1);
  });

  test('WASMCLOUD_METRICS_PORT serves the same metrics, and the start-up line says where', async () => {
    const text = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(sample(text, 'wasmcloud_host_component_invocations_total', { component_id: kvcounterId })).toBe(
      CALLS,
    );
    const line = lattice.host.logs.find((entry) => entry.includes('telemetry:'));
    expect(line).toContain(`metrics at http://127.0.0.1:${metricsPort}/metrics`);
    expect(line).toContain('traces off');
  });

  test('WASMCLOUD_METRICS_ENABLED=false: no /metrics, and the start-up line says metrics are off', async () => {
    const quiet = await startTestHost({
      natsUrl: lattice.nats.url,
      settings: { latticePrefix: 'metrics-off', dashboardPort: '0', metricsEnabled: 'false' },
    });
    try {
      const response = await fetch(`${quiet.host.dashboardUrl}/metrics`);
      expect(response.status).toBe(404);
      expect(quiet.logs.find((entry) => entry.includes('telemetry:'))).toContain('metrics off');
    } finally {
      await quiet.host.stop();
    }
  });
});
