// The dashboard's p50/p99 from duration buckets (dashboard/histogram-quantile.ts): linear
// interpolation within the bucket the rank falls in, as Prometheus's histogram_quantile does.

import { describe, expect, test } from 'vitest';
import { histogramQuantile } from '../../dashboard/histogram-quantile.ts';

const BOUNDS = [10, 20, 40];

describe('histogramQuantile', () => {
  test('nothing counted: no quantile', () => {
    expect(histogramQuantile(BOUNDS, [0, 0, 0, 0], 0.5)).toBeUndefined();
  });

  test('interpolates within the bucket the rank falls in (the first starts at 0)', () => {
    // 10 values ≤ 10: the median is half-way through the first bucket.
    expect(histogramQuantile(BOUNDS, [10, 0, 0, 0], 0.5)).toBe(5);
    // 4 in (0, 10], 4 in (10, 20]: rank 4 ends the first bucket; rank 6 is half-way through the second.
    expect(histogramQuantile(BOUNDS, [4, 4, 0, 0], 0.5)).toBe(10);
    expect(histogramQuantile(BOUNDS, [4, 4, 0, 0], 0.75)).toBe(15);
    // 99 fast calls and 1 slow one: p99 still among the fast, p99.5 in the slow call's bucket.
    expect(histogramQuantile(BOUNDS, [99, 0, 1, 0], 0.99)).toBe(10);
    expect(histogramQuantile(BOUNDS, [99, 0, 1, 0], 0.995)).toBe(30);
  });

  test('a rank past the highest bound is reported as that bound', () => {
    expect(histogramQuantile(BOUNDS, [0, 0, 0, 5], 0.5)).toBe(40);
  });
});
