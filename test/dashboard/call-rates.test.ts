// The dashboard's call-rate arithmetic (dashboard/call-rates.ts) on scripted host answers: rates
// are the counters' growth over the time between answers, summed over hosts; p50/p99 come from the
// summed bucket growth; a host whose counters went down is left out of that interval; a host that
// misses a poll still counts in the totals and is named; points are bounded. (The same class
// against real hosts: dashboard-metrics.test.ts.)

import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { CallRates } from '../../dashboard/call-rates.ts';
import type { HostMetricsReply } from '../../lattice/control.ts';

const BOUNDS = [1e6, 1e7, 1e8]; // 1 ms, 10 ms, 100 ms
const ACTOR = 'MACTOR';
const PROVIDER = 'VPROVIDER';

/** A host's answer with one actor (`buckets`: counts per bucket) and one provider. */
function answer(
  hostId: string,
  buckets: number[],
  errors = 0,
  requests = 0,
  requestErrors = 0,
): HostMetricsReply {
  const calls = buckets.reduce((sum, count) => sum + count, 0);
  return {
    host_id: hostId,
    metrics_enabled: true,
    duration_bounds_ns: BOUNDS,
    actors: [
      { id: ACTOR, calls_total: calls, errors_total: errors, duration_sum_ns: 0, duration_buckets: buckets },
    ],
    providers: [
      {
        provider_id: PROVIDER,
        link_name: 'default',
        contract_id: 'wasmcloud:keyvalue',
        requests_total: requests,
        errors_total: requestErrors,
      },
    ],
  };
}

let script: Map<string, HostMetricsReply | Error>;
let rates: CallRates;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(1_000_000);
  script = new Map();
  rates = new CallRates({
    ask: async (hostId) => {
      const reply = script.get(hostId);
      if (reply instanceof Error) throw reply;
      if (reply === undefined) throw new Error(`no script for ${hostId}`);
      return reply;
    },
    hosts: () => [...script.keys()].map((id) => ({ id })),
    watched: () => true,
    timings: { points: 3 },
  });
});

afterEach(() => {
  rates.close();
  vi.useRealTimers();
});

/** Polls `seconds` after the previous poll. */
async function pollAfter(seconds: number): Promise<void> {
  vi.setSystemTime(Date.now() + seconds * 1000);
  await rates.poll();
}

describe('CallRates', () => {
  test('the first answer is a baseline; then rates and percentiles summed over hosts', async () => {
    script.set('NA', answer('NA', [10, 0, 0, 0]));
    script.set('NB', answer('NB', [0, 0, 0, 0]));
    await pollAfter(0);
    expect(rates.state().actors[0]).toMatchObject({ id: ACTOR, calls_per_s: [], calls_total: 10 });
    // In 2 s: host A 8 calls ≤ 1 ms, host B 2 calls in (10, 100] ms with 1 error, 4 requests of which 2 failed.
    script.set('NA', answer('NA', [18, 0, 0, 0], 0, 4, 2));
    script.set('NB', answer('NB', [0, 0, 2, 0], 1));
    await pollAfter(2);
    const actor = rates.state().actors[0];
    expect(actor?.calls_per_s).toEqual([5]);
    expect(actor?.errors_per_s).toEqual([0.5]);
    // 10 calls: rank 5 half-way into the first bucket (0.5 ms); rank 9.9 in the third (10 + 90 × 0.95 ms).
    expect(actor?.p50_ms).toEqual([0.625]);
    expect(actor?.p99_ms).toEqual([95.5]);
    expect(actor?.calls_total).toBe(20);
    expect(rates.state().providers[0]).toMatchObject({
      requests_per_s: [2],
      errors_per_s: [1],
      requests_total: 4,
    });
  });

  test('an idle interval has no percentile; a host counting again from 0 is left out; points are bounded', async () => {
    script.set('NA', answer('NA', [4, 0, 0, 0]));
    await pollAfter(0);
    await pollAfter(2);
    expect(rates.state().actors[0]?.p50_ms).toEqual([null]);
    script.set('NA', answer('NA', [1, 0, 0, 0]));
    await pollAfter(2);
    script.set('NA', answer('NA', [3, 0, 0, 0]));
    await pollAfter(2);
    const actor = rates.state().actors[0];
    // At most 3 points: idle, restarted (left out: 0), 2 calls in 2 s.
    expect(actor?.calls_per_s).toEqual([0, 0, 1]);
    expect(actor?.calls_total).toBe(3);
  });

  test('a host that misses a poll is named and its last totals still count', async () => {
    script.set('NA', answer('NA', [5, 0, 0, 0]));
    script.set('NB', answer('NB', [7, 0, 0, 0]));
    await pollAfter(0);
    script.set('NB', new Error('no reply within 2000 ms'));
    await pollAfter(2);
    const state = rates.state();
    expect(state.unanswered).toEqual([{ host_id: 'NB', error: 'no reply within 2000 ms' }]);
    expect(state.actors[0]?.calls_total).toBe(12);
    expect(state.actors[0]?.calls_per_s).toEqual([0]);
  });
});
