// The call counts and latencies of one worker, kept where the calls run (observability.md,
// "Metrics"). A worker counts each call with a couple of map look-ups and array writes — no OTel
// instrument on the hot path, whose attribute hashing would cost more than the rest of the
// bookkeeping put together — and hands the cumulative totals to the main thread when asked
// (`snapshot`). The main thread sums the workers' totals (`mergeSnapshots`) and turns them into
// OpenTelemetry data points (host-metrics.ts), which the SDK's exporters write out.
//
// Three kinds of series: calls an actor served, per operation (duration histogram, errors); who
// called (the 0.8x counter's caller_provider_* labels); and calls an actor made to providers, per
// provider and link (the dashboard's per-provider request rate and errors).

import { DURATION_BOUNDS_NS } from '../../lattice/telemetry/duration-buckets.ts';

export { DURATION_BOUNDS_NS };

/** Series kept per worker and kind; past it, new operation names are counted under OTHER_OPERATION. */
export const MAX_SERIES = 5_000;
/** Where calls to operations past MAX_SERIES are counted: a caller inventing names cannot grow memory. */
export const OTHER_OPERATION = '_other';

/** Counts and a duration histogram (bucket i counts durations ≤ DURATION_BOUNDS_NS[i]; the last, the rest). */
export interface Timings {
  calls: number;
  errors: number;
  sumNs: number;
  buckets: number[];
}

/** Calls one actor served, of one operation. */
export interface ServedSeries extends Timings {
  actorId: string;
  operation: string;
}

/** Calls one actor served from one caller (its contract, key and link name; an actor has no contract). */
export interface CallerSeries {
  actorId: string;
  operation: string;
  callerContractId: string;
  callerId: string;
  callerLinkName: string;
  calls: number;
}

/** Calls one actor made to one provider over one link. */
export interface ProviderCallSeries extends Timings {
  actorId: string;
  providerId: string;
  contractId: string;
  linkName: string;
}

/** A worker's cumulative totals (structured-clonable: it crosses to the main thread). */
export interface InvocationMetricsSnapshot {
  served: ServedSeries[];
  callers: CallerSeries[];
  providerCalls: ProviderCallSeries[];
}

export function emptySnapshot(): InvocationMetricsSnapshot {
  return { served: [], callers: [], providerCalls: [] };
}

function newTimings(): Timings {
  return { calls: 0, errors: 0, sumNs: 0, buckets: new Array<number>(DURATION_BOUNDS_NS.length + 1).fill(0) };
}

function bucketOf(durationNs: number): number {
  let index = 0;
  while (index < DURATION_BOUNDS_NS.length && durationNs > DURATION_BOUNDS_NS[index]!) index++;
  return index;
}

function count(timings: Timings, durationNs: number, ok: boolean): void {
  timings.calls += 1;
  if (!ok) timings.errors += 1;
  timings.sumNs += durationNs;
  timings.buckets[bucketOf(durationNs)]! += 1;
}

/** Map of maps, so a call costs two look-ups and no key string built. */
function seriesIn<Series>(
  table: Map<string, Map<string, Series>>,
  first: string,
  second: string,
  create: (key: string) => Series,
  room: () => boolean,
): Series {
  let inner = table.get(first);
  if (inner === undefined) {
    inner = new Map();
    table.set(first, inner);
  }
  let series = inner.get(second);
  if (series === undefined) {
    const key = room() ? second : OTHER_OPERATION;
    series = inner.get(key);
    if (series === undefined) {
      series = create(key);
      inner.set(key, series);
    }
  }
  return series;
}

/** One worker's counters (worker side). */
export class InvocationMetrics {
  readonly #served = new Map<string, Map<string, ServedSeries>>();
  /** actor → `operation\0contract\0caller\0link` → series (each series once, for snapshots). */
  readonly #callerSeries = new Map<string, Map<string, CallerSeries>>();
  /** actor → operation → caller key → link name → the same series: found with no key string built. */
  readonly #callers = new Map<string, Map<string, Map<string, Map<string, CallerSeries>>>>();
  /** actor → `provider\0link` → series. */
  readonly #providerCalls = new Map<string, Map<string, ProviderCallSeries>>();
  #seriesCount = 0;

  readonly #room = (): boolean => this.#seriesCount < MAX_SERIES;

  /** A call the actor served ended after `durationNs`, answered (`ok`) or failed. */
  served(actorId: string, operation: string, durationNs: number, ok: boolean): void {
    const series = seriesIn(
      this.#served,
      actorId,
      operation,
      (key) => {
        this.#seriesCount++;
        return { actorId, operation: key, ...newTimings() };
      },
      this.#room,
    );
    count(series, durationNs, ok);
  }

  /** Who called: counted once per call served, with the caller as the invocation names it. */
  calledBy(
    actorId: string,
    operation: string,
    caller: { public_key: string; contract_id: string; link_name: string },
  ): void {
    // The caller's key names its contract too (a key is one provider or one actor).
    const byCaller = seriesIn(
      this.#callers,
      actorId,
      operation,
      () => new Map<string, Map<string, CallerSeries>>(),
      this.#room,
    );
    let series = byCaller.get(caller.public_key)?.get(caller.link_name);
    if (series !== undefined) {
      series.calls += 1;
      return;
    }
    const key = `${operation}\0${caller.contract_id}\0${caller.public_key}\0${caller.link_name}`;
    series = seriesIn(
      this.#callerSeries,
      actorId,
      key,
      (resolved) => {
        this.#seriesCount++;
        const known = resolved !== OTHER_OPERATION;
        return {
          actorId,
          operation: known ? operation : OTHER_OPERATION,
          callerContractId: known ? caller.contract_id : '',
          callerId: known ? caller.public_key : '',
          callerLinkName: known ? caller.link_name : '',
          calls: 0,
        };
      },
      this.#room,
    );
    series.calls += 1;
    let byLink = byCaller.get(caller.public_key);
    if (byLink === undefined) {
      byLink = new Map();
      byCaller.set(caller.public_key, byLink);
    }
    byLink.set(caller.link_name, series);
  }

  /** A call the actor made to a provider ended after `durationNs`. */
  calledProvider(
    actorId: string,
    provider: { providerId: string; contractId: string; linkName: string },
    durationNs: number,
    ok: boolean,
  ): void {
    const series = seriesIn(
      this.#providerCalls,
      actorId,
      `${provider.providerId}\0${provider.linkName}`,
      () => {
        this.#seriesCount++;
        return { actorId, ...provider, ...newTimings() };
      },
      // Providers are linked by the host, not named by callers: always counted on their own.
      () => true,
    );
    count(series, durationNs, ok);
  }

  /** The cumulative totals, copied (the worker goes on counting). */
  snapshot(): InvocationMetricsSnapshot {
    const copy = <Series extends object>(table: Map<string, Map<string, Series>>): Series[] => {
      const all: Series[] = [];
      for (const inner of table.values())
        for (const series of inner.values()) all.push(structuredClone(series));
      return all;
    };
    return {
      served: copy(this.#served),
      callers: copy(this.#callerSeries),
      providerCalls: copy(this.#providerCalls),
    };
  }
}

function addTimings(into: Timings, from: Timings): void {
  into.calls += from.calls;
  into.errors += from.errors;
  into.sumNs += from.sumNs;
  for (let index = 0; index < into.buckets.length; index++) into.buckets[index]! += from.buckets[index] ?? 0;
}

function mergeBy<Series>(
  lists: readonly (readonly Series[])[],
  keyOf: (series: Series) => string,
  add: (into: Series, from: Series) => void,
): Series[] {
  const merged = new Map<string, Series>();
  for (const list of lists)
    for (const series of list) {
      const key = keyOf(series);
      const into = merged.get(key);
      if (into === undefined) merged.set(key, structuredClone(series));
      else add(into, series);
    }
  return [...merged.values()];
}

/** Several workers' totals summed per series (main thread). */
export function mergeSnapshots(snapshots: readonly InvocationMetricsSnapshot[]): InvocationMetricsSnapshot {
  return {
    served: mergeBy(
      snapshots.map((snapshot) => snapshot.served),
      (series) => `${series.actorId}\0${series.operation}`,
      addTimings,
    ),
    callers: mergeBy(
      snapshots.map((snapshot) => snapshot.callers),
      (series) =>
        `${series.actorId}\0${series.operation}\0${series.callerContractId}\0${series.callerId}\0${series.callerLinkName}`,
      (into, from) => {
        into.calls += from.calls;
      },
    ),
    providerCalls: mergeBy(
      snapshots.map((snapshot) => snapshot.providerCalls),
      (series) => `${series.actorId}\0${series.providerId}\0${series.linkName}`,
      addTimings,
    ),
  };
}
