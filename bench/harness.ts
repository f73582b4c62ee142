// A small benchmark harness: each case runs in rounds after a warm-up, and the median round
// gives µs per operation. Machines here are shared and noisy, so every figure is printed
// beside a baseline measured in the same run, as a ratio.

export interface Measurement {
  name: string;
  /** Median microseconds per operation across rounds. */
  microseconds: number;
  operationsPerSecond: number;
}

export interface MeasureOptions {
  rounds?: number;
  iterationsPerRound?: number;
}

export function measure(name: string, operation: () => unknown, options: MeasureOptions = {}): Measurement {
  const rounds = options.rounds ?? 15;
  const iterations = options.iterationsPerRound ?? 200;
  for (let i = 0; i < iterations * 2; i++) operation(); // warm-up: JIT and caches
  const perOperation: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) operation();
    perOperation.push(Number(process.hrtime.bigint() - start) / 1000 / iterations);
  }
  perOperation.sort((a, b) => a - b);
  const microseconds = perOperation[Math.floor(rounds / 2)]!;
  return { name, microseconds, operationsPerSecond: 1e6 / microseconds };
}

/** `measure` for an async operation run one at a time: median round, µs per operation. */
export async function measureAsync(
  name: string,
  operation: () => Promise<unknown>,
  iterations: number,
): Promise<Measurement> {
  for (let i = 0; i < Math.min(iterations, 200); i++) await operation();
  const rounds: number[] = [];
  for (let round = 0; round < 9; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await operation();
    rounds.push(Number(process.hrtime.bigint() - start) / 1000 / iterations);
  }
  rounds.sort((a, b) => a - b);
  const microseconds = rounds[4]!;
  return { name, microseconds, operationsPerSecond: 1e6 / microseconds };
}

/** Sequential round trips timed one by one: the p50 latency in µs. */
export async function latencyP50(
  name: string,
  operation: () => Promise<unknown>,
  count = 3000,
): Promise<Measurement> {
  for (let i = 0; i < 300; i++) await operation();
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await operation();
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  samples.sort((a, b) => a - b);
  const microseconds = samples[Math.floor(count / 2)]!;
  return { name, microseconds, operationsPerSecond: 1e6 / microseconds };
}

/** Prints rows of `ours` beside their baselines: µs/op, ops/s, and ours ÷ baseline in time. */
export function printComparison(
  title: string,
  rows: ReadonlyArray<{ ours: Measurement; baseline: Measurement }>,
): void {
  console.log(`\n${title}`);
  const header = ['case', 'µs/op', 'ops/s', 'baseline', 'µs/op', 'ratio (time)'];
  const lines = rows.map(({ ours, baseline }) => [
    ours.name,
    ours.microseconds.toFixed(1),
    Math.round(ours.operationsPerSecond).toLocaleString('en'),
    baseline.name,
    baseline.microseconds.toFixed(1),
    `${(ours.microseconds / baseline.microseconds).toFixed(2)}×`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  for (const line of [header, ...lines])
    console.log(line.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
}

export interface LatencySamples {
  name: string;
  /** Every round trip, in µs, sorted. */
  samples: number[];
}

export function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

/**
 * Times sequential round trips of several cases, alternating between them in rounds so that a
 * noisy neighbour slows every case alike; returns each case's sorted samples.
 */
export async function interleavedLatencies(
  cases: ReadonlyArray<{ name: string; operation: () => Promise<unknown> }>,
  options: { rounds?: number; perRound?: number; warmUp?: number } = {},
): Promise<LatencySamples[]> {
  const { rounds = 10, perRound = 300, warmUp = 500 } = options;
  for (const { operation } of cases) for (let i = 0; i < warmUp; i++) await operation();
  const samples = cases.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (const [index, { operation }] of cases.entries()) {
      for (let i = 0; i < perRound; i++) {
        const start = process.hrtime.bigint();
        await operation();
        samples[index]!.push(Number(process.hrtime.bigint() - start) / 1000);
      }
    }
  }
  return cases.map(({ name }, index) => ({ name, samples: samples[index]!.sort((a, b) => a - b) }));
}

/** Prints p50 and p99 of each case beside the baseline's, with the ratios. */
export function printLatencies(
  title: string,
  baseline: LatencySamples,
  cases: readonly LatencySamples[],
): void {
  console.log(`\n${title}`);
  const base50 = percentile(baseline.samples, 0.5);
  const base99 = percentile(baseline.samples, 0.99);
  const header = ['case', 'p50 µs', 'p99 µs', 'p50 ratio', 'p99 ratio'];
  const lines = [baseline, ...cases].map(({ name, samples }) => {
    const p50 = percentile(samples, 0.5);
    const p99 = percentile(samples, 0.99);
    return [
      name,
      p50.toFixed(0),
      p99.toFixed(0),
      `${(p50 / base50).toFixed(2)}×`,
      `${(p99 / base99).toFixed(2)}×`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  for (const line of [header, ...lines])
    console.log(line.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
}
