// A quantile (p50, p99) of the calls counted in a duration histogram, as Prometheus's
// histogram_quantile estimates it: find the bucket the rank falls in and interpolate linearly
// between its bounds (the first bucket starts at 0). The answer is only as fine as the buckets
// (about three per decade, host/telemetry/invocation-metrics.ts); a rank in the last bucket (past
// the highest bound) is reported as that bound.

/**
 * `counts[i]` counts values ≤ `bounds[i]` (and > `bounds[i - 1]`); `counts[bounds.length]` the rest.
 * Undefined when nothing was counted.
 */
export function histogramQuantile(
  bounds: readonly number[],
  counts: readonly number[],
  quantile: number,
): number | undefined {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total <= 0) return undefined;
  const rank = quantile * total;
  let below = 0;
  for (let index = 0; index < counts.length; index++) {
    const count = counts[index] ?? 0;
    if (count > 0 && below + count >= rank) {
      const lower = index === 0 ? 0 : (bounds[index - 1] ?? 0);
      const upper = bounds[index];
      if (upper === undefined) return lower;
      return lower + (upper - lower) * Math.max(0, (rank - below) / count);
    }
    below += count;
  }
  return bounds[bounds.length - 1];
}
