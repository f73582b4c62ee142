// The dashboard's call rates (issue 17, item 5) on a real host and nats-server: kvcounter behind the
// built-in httpserver, calling the built-in keyvalue. The host answers `get.{host}.metrics` with its
// counters per actor and per provider; after HTTP calls, GET /api/metrics shows the actor's calls/s
// with p50/p99 from the bucket deltas and the provider's requests/s; with the keyvalue provider
// stopped, the provider's errors show; a second host with metrics off is named as such.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LatticeMetrics } from '../../dashboard/page-data.ts';
import { ControlClient } from '../../lattice/control-client.ts';
import { apiGet } from '../helpers/dashboard-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { startTestHost } from '../helpers/host.ts';
import { serveKvcounterOverHttp } from '../helpers/kvcounter-http.ts';
import { ctlRequest } from '../helpers/lattice-client.ts';
import { ACK, ProviderLattice } from '../helpers/provider-lattice.ts';

let lattice: ProviderLattice;
let client: ControlClient;
let dashboard: string;
let counterUrl: string;
let kvcounterId: string;
let keyvalueKey: string;

/** `count` HTTP calls to kvcounter, one every `gapMs`; resolves with their statuses. */
async function callCounter(count: number, gapMs: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let call = 0; call < count; call++) {
    const response = await fetch(counterUrl);
    await response.arrayBuffer();
    statuses.push(response.status);
    await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
  return statuses;
}

async function metrics(): Promise<LatticeMetrics> {
  const reply = await apiGet<LatticeMetrics>(dashboard, '/api/metrics');
  expect(reply.status).toBe(200);
  return reply.body;
}

beforeAll(async () => {
  lattice = await ProviderLattice.start({
    lattice: 'dashmetrics',
    name: 'dashboard-metrics',
    hostSettings: { dashboardPort: '0', rpcTimeoutMs: '3000' },
  });
  client = new ControlClient(lattice.nc, { latticePrefix: lattice.prefix, timeoutMs: 5000 });
  dashboard = lattice.host.host.dashboardUrl ?? '';
  const served = await serveKvcounterOverHttp(lattice, 'dashmetrics_counter');
  ({ kvcounterId, keyvalueKey, url: counterUrl } = served);
}, 90_000);

afterAll(async () => {
  await lattice?.stop();
});

describe('the dashboard call rates', () => {
  test('get.{host}.metrics answers the counters per actor and per provider', async () => {
    expect(await callCounter(3, 0)).toEqual([200, 200, 200]);
    const reply = await client.getMetrics(lattice.host.id);
    expect(reply.host_id).toBe(lattice.host.id);
    expect(reply.metrics_enabled).toBe(true);
    const actor = reply.actors.find((entry) => entry.id === kvcounterId);
    expect(actor?.calls_total).toBeGreaterThanOrEqual(4);
    expect(actor?.errors_total).toBe(0);
    // Every call is in one bucket; one more bucket than bounds (the rest).
    expect(actor?.duration_buckets).toHaveLength(reply.duration_bounds_ns.length + 1);
    expect(actor?.duration_buckets.reduce((sum, count) => sum + count, 0)).toBe(actor?.calls_total);
    expect(actor?.duration_sum_ns).toBeGreaterThan(0);
    const keyvalue = reply.providers.find((entry) => entry.provider_id === keyvalueKey);
    expect(keyvalue).toMatchObject({
      link_name: 'default',
      contract_id: 'wasmcloud:keyvalue',
      errors_total: 0,
    });
    // One Increment per HTTP call.
    expect(keyvalue?.requests_total).toBe(actor?.calls_total);
  });

  test('GET /api/metrics: calls/s with p50 and p99 after HTTP calls, and the provider requests/s', async () => {
    const first = await metrics();
    expect(first.interval_ms).toBe(2000);
    expect(first.updated_at).not.toBeNull();
    // About 10 calls/s for a few polls.
    const statuses = await callCounter(50, 100);
    expect(statuses.every((status) => status === 200)).toBe(true);
    // The totals are those of the last poll: at most one interval behind the calls.
    const seen = await eventually(
      async () => {
        const now = await metrics();
        const total = now.actors.find((entry) => entry.id === kvcounterId)?.calls_total ?? 0;
        return total >= 54 && now;
      },
      { what: 'the poll after the last call', intervalMs: 250 },
    );
    const actor = seen.actors.find((entry) => entry.id === kvcounterId);
    expect(actor).toBeDefined();
    if (actor === undefined) return;
    const busiest = Math.max(...actor.calls_per_s);
    // 10/s at most (less while a call is slow), and certainly more than 2/s in some interval.
    expect(busiest).toBeGreaterThan(2);
    expect(busiest).toBeLessThan(15);
    const at = actor.calls_per_s.indexOf(busiest);
    const p50 = actor.p50_ms[at];
    const p99 = actor.p99_ms[at];
    expect(p50).toBeGreaterThan(0);
    expect(p99).toBeGreaterThanOrEqual(p50 ?? 0);
    expect(p99).toBeLessThan(3000);
    expect(actor.errors_per_s.every((rate) => rate === 0)).toBe(true);
    const keyvalue = seen.providers.find((entry) => entry.provider_id === keyvalueKey);
    expect(Math.max(...(keyvalue?.requests_per_s ?? [0]))).toBeGreaterThan(2);
    expect(keyvalue?.errors_total).toBe(0);
    console.info(
      `kvcounter at ~10 calls/s: calls/s ${actor.calls_per_s.join(' ')}; p50 ${actor.p50_ms.join(' ')} ms; p99 ${actor.p99_ms.join(' ')} ms`,
    );
  }, 30_000);

  test("a stopped provider's failed requests show as its errors", async () => {
    expect(
      await ctlRequest(lattice.nc, lattice.subjects.ctl.stopProvider(lattice.host.id), {
        host_id: lattice.host.id,
        provider_ref: keyvalueKey,
        link_name: 'default',
        contract_id: 'wasmcloud:keyvalue',
      }),
    ).toEqual(ACK);
    await lattice.events.waitFor('provider_stopped', (data) => data.public_key === keyvalueKey);
    const statuses = await callCounter(4, 200);
    expect(statuses.every((status) => status !== 200)).toBe(true);
    await eventually(
      async () => {
        const keyvalue = (await metrics()).providers.find((entry) => entry.provider_id === keyvalueKey);
        return (keyvalue?.errors_total ?? 0) >= 4 && Math.max(...(keyvalue?.errors_per_s ?? [0])) > 0;
      },
      { what: "the keyvalue provider's errors", intervalMs: 250 },
    );
  }, 30_000);

  test('a host with metrics off is named as such', async () => {
    const quiet = await startTestHost({
      natsUrl: lattice.nats.url,
      settings: {
        latticePrefix: lattice.prefix,
        clusterSeed: lattice.clusterKey.seed,
        dashboardPort: 'off',
        metricsEnabled: 'false',
      },
    });
    try {
      const reply = await client.getMetrics(quiet.id);
      expect(reply).toMatchObject({ host_id: quiet.id, metrics_enabled: false, actors: [], providers: [] });
      await eventually(async () => (await metrics()).metrics_off.includes(quiet.id), {
        what: 'the quiet host under metrics_off',
        intervalMs: 250,
      });
    } finally {
      await quiet.host.stop();
    }
  }, 30_000);
});
