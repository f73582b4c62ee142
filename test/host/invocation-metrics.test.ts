// The workers' call counters (host/telemetry/invocation-metrics.ts): durations land in the right
// bucket, callers are counted per caller and link, totals of several workers sum per series, and
// a caller inventing operation names cannot grow a worker's memory past MAX_SERIES.

import { describe, expect, test } from 'vitest';
import {
  DURATION_BOUNDS_NS,
  InvocationMetrics,
  MAX_SERIES,
  mergeSnapshots,
  OTHER_OPERATION,
} from '../../host/telemetry/invocation-metrics.ts';

const HTTP = { public_key: 'VHTTP', contract_id: 'wasmcloud:httpserver', link_name: 'default' };

describe('InvocationMetrics', () => {
  test('counts calls, errors and durations per actor and operation', () => {
    const metrics = new InvocationMetrics();
    metrics.served('M1', 'Op.A', 5_000, true); // ≤ 10 µs: the first bucket
    metrics.served('M1', 'Op.A', 30_000, false); // ≤ 50 µs: the third
    metrics.served('M1', 'Op.A', 2e10, true); // past 10 s: the last
    const [series] = metrics.snapshot().served;
    expect(series).toMatchObject({
      actorId: 'M1',
      operation: 'Op.A',
      calls: 3,
      errors: 1,
      sumNs: 2e10 + 35_000,
    });
    expect(series!.buckets).toHaveLength(DURATION_BOUNDS_NS.length + 1);
    expect(series!.buckets[0]).toBe(1);
    expect(series!.buckets[2]).toBe(1);
    expect(series!.buckets[DURATION_BOUNDS_NS.length]).toBe(1);
  });

  test('counts callers per caller key and link name', () => {
    const metrics = new InvocationMetrics();
    metrics.calledBy('M1', 'Op.A', HTTP);
    metrics.calledBy('M1', 'Op.A', HTTP);
    metrics.calledBy('M1', 'Op.A', { ...HTTP, link_name: 'other' });
    const callers = metrics.snapshot().callers.map((series) => [series.callerLinkName, series.calls]);
    expect(callers.sort()).toEqual([
      ['default', 2],
      ['other', 1],
    ]);
  });

  test('several workers sum per series; the snapshot is a copy', () => {
    const first = new InvocationMetrics();
    const second = new InvocationMetrics();
    first.served('M1', 'Op.A', 1_000, true);
    second.served('M1', 'Op.A', 1_000, false);
    second.calledProvider(
      'M1',
      { providerId: 'VKV', contractId: 'wasmcloud:keyvalue', linkName: 'default' },
      1,
      true,
    );
    const snapshot = first.snapshot();
    const merged = mergeSnapshots([snapshot, second.snapshot()]);
    expect(merged.served).toEqual([expect.objectContaining({ calls: 2, errors: 1 })]);
    expect(merged.providerCalls).toEqual([expect.objectContaining({ providerId: 'VKV', calls: 1 })]);
    first.served('M1', 'Op.A', 1_000, true);
    expect(snapshot.served[0]!.calls).toBe(1);
  });

  test('operation names past MAX_SERIES are counted under one series', () => {
    const metrics = new InvocationMetrics();
    for (let index = 0; index < MAX_SERIES + 100; index++) metrics.served('M1', `Op.${index}`, 1_000, true);
    const { served } = metrics.snapshot();
    expect(served.length).toBe(MAX_SERIES + 1);
    expect(served.find((series) => series.operation === OTHER_OPERATION)?.calls).toBe(100);
  });
});
