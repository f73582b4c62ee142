// The buckets every duration histogram of the lattice uses (the host's calls and provider calls, a
// provider process's requests), so their figures line up on one dashboard.

/**
 * Upper bounds of the duration buckets, in nanoseconds (1.x reports `handle_rpc_message.duration`
 * in ns): 10 µs to 10 s, about three per decade, enough for p50/p99.
 */
export const DURATION_BOUNDS_NS: readonly number[] = [
  1e4, 2.5e4, 5e4, 1e5, 2.5e5, 5e5, 1e6, 2.5e6, 5e6, 1e7, 2.5e7, 5e7, 1e8, 2.5e8, 5e8, 1e9, 2.5e9, 5e9, 1e10,
];
