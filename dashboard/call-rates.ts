// The lattice's call rates and latencies, live (docs/dashboard.md, "Metrics"): every host is asked
// for its cumulative call counters (`get.{host}.metrics`, a wasmcloud-ts addition) every couple of
// seconds while a page watches; the difference from the previous answer gives, per host, the calls
// and errors of the interval and the duration histogram of the calls that ended in it. Summed over
// hosts, those become one point per actor (calls/s, errors/s, p50 and p99 from the summed buckets,
// histogram-quantile.ts) and per provider and link (requests/s, errors/s), of which the last
// `points` are kept for the page's sparklines. Nothing is asked while nobody watches; when watching
// starts again the old points are dropped, since the gap would read as a flat line.

import type { HostMetricsReply } from '../lattice/control.ts';
import { errorMessage } from '../lattice/errors.ts';
import { histogramQuantile } from './histogram-quantile.ts';
import type { ActorRates, LatticeMetrics, ProviderRates } from './page-data.ts';

export interface CallRatesTimings {
  /** How often the hosts are asked while a page watches; default 2 s. */
  intervalMs: number;
  /** How many points each series keeps; default 60 (two minutes at 2 s). */
  points: number;
  /** How long a read of GET /api/metrics keeps the polling going without a page; default 60 s. */
  apiWatchMs: number;
}

export const DEFAULT_CALL_RATES_TIMINGS: CallRatesTimings = {
  intervalMs: 2_000,
  points: 60,
  apiWatchMs: 60_000,
};

export interface CallRatesParts {
  /** Asks one host for its counters (ControlClient.getMetrics). */
  ask: (hostId: string) => Promise<HostMetricsReply>;
  /** The hosts of the lattice now (the dashboard's view). */
  hosts: () => readonly { id: string }[];
  /** Whether a page has the live feed open. */
  watched: () => boolean;
  timings?: Partial<CallRatesTimings> | undefined;
}

/** One host's last answer, and when it came. */
interface Reading {
  at: number;
  reply: HostMetricsReply;
}

/** What one interval added for an actor, over the hosts that answered twice in a row. */
interface ActorInterval {
  callsPerS: number;
  errorsPerS: number;
  /** The duration buckets' increase (hosts with other bounds than the first left out). */
  buckets: number[];
}

interface ProviderInterval {
  requestsPerS: number;
  errorsPerS: number;
}

/** 3 significant digits: the page shows no more, and the feed stays small. */
function rounded(value: number): number {
  return value === 0 ? 0 : Number(value.toPrecision(3));
}

function pushBounded<T>(list: T[], value: T, limit: number): void {
  list.push(value);
  if (list.length > limit) list.splice(0, list.length - limit);
}

const providerKey = (providerId: string, linkName: string) => `${providerId}|${linkName}`;

/** How much a cumulative counter grew; undefined when it went down (the host counts again from 0). */
function growth(now: number, before: number | undefined): number | undefined {
  if (before === undefined) return now;
  return now >= before ? now - before : undefined;
}

/** Adds one host's interval (from `previous` to `current`) to the actors' and providers' sums. */
function addInterval(
  previous: Reading,
  current: Reading,
  bounds: readonly number[],
  actors: Map<string, ActorInterval>,
  providers: Map<string, ProviderInterval>,
): void {
  const seconds = Math.max(0.001, (current.at - previous.at) / 1000);
  const sameBounds = current.reply.duration_bounds_ns.join() === bounds.join();
  const actorsBefore = new Map(previous.reply.actors.map((actor) => [actor.id, actor]));
  for (const actor of current.reply.actors) {
    const old = actorsBefore.get(actor.id);
    const calls = growth(actor.calls_total, old?.calls_total);
    if (calls === undefined) continue;
    let sum = actors.get(actor.id);
    if (sum === undefined) {
      sum = { callsPerS: 0, errorsPerS: 0, buckets: new Array<number>(bounds.length + 1).fill(0) };
      actors.set(actor.id, sum);
    }
    sum.callsPerS += calls / seconds;
    sum.errorsPerS += (growth(actor.errors_total, old?.errors_total) ?? 0) / seconds;
    if (!sameBounds) continue;
    for (let index = 0; index < sum.buckets.length; index++)
      sum.buckets[index]! +=
        growth(
          actor.duration_buckets[index] ?? 0,
          old === undefined ? undefined : (old.duration_buckets[index] ?? 0),
        ) ?? 0;
  }
  const providersBefore = new Map(
    previous.reply.providers.map((provider) => [
      providerKey(provider.provider_id, provider.link_name),
      provider,
    ]),
  );
  for (const provider of current.reply.providers) {
    const key = providerKey(provider.provider_id, provider.link_name);
    const old = providersBefore.get(key);
    const requests = growth(provider.requests_total, old?.requests_total);
    if (requests === undefined) continue;
    const sum = providers.get(key) ?? { requestsPerS: 0, errorsPerS: 0 };
    sum.requestsPerS += requests / seconds;
    sum.errorsPerS += (growth(provider.errors_total, old?.errors_total) ?? 0) / seconds;
    providers.set(key, sum);
  }
}

export class CallRates {
  readonly #parts: CallRatesParts;
  readonly #timings: CallRatesTimings;
  /** Each host's last answer (hosts in the view only). */
  readonly #readings = new Map<string, Reading>();
  readonly #actors = new Map<string, ActorRates>();
  readonly #providers = new Map<string, ProviderRates>();
  readonly #listeners = new Set<() => void>();
  #metricsOff: string[] = [];
  #unanswered: LatticeMetrics['unanswered'] = [];
  #updatedAt: number | undefined;
  #apiReadAt = Number.NEGATIVE_INFINITY;
  #polling: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(parts: CallRatesParts) {
    this.#parts = parts;
    this.#timings = { ...DEFAULT_CALL_RATES_TIMINGS, ...parts.timings };
  }

  start(): void {
    this.#timer = setInterval(() => {
      if (this.#watching()) void this.poll();
    }, this.#timings.intervalMs);
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#listeners.clear();
  }

  /** Calls `listener` after each poll. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** What the page shows. */
  state(): LatticeMetrics {
    const byKey = <T>(list: Iterable<T>, keyOf: (item: T) => string) =>
      [...list].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
    return {
      interval_ms: this.#timings.intervalMs,
      points: this.#timings.points,
      updated_at: this.#updatedAt === undefined ? null : new Date(this.#updatedAt).toISOString(),
      actors: byKey(this.#actors.values(), (actor) => actor.id),
      providers: byKey(this.#providers.values(), (provider) =>
        providerKey(provider.provider_id, provider.link_name),
      ),
      metrics_off: this.#metricsOff,
      unanswered: this.#unanswered,
    };
  }

  /** GET /api/metrics: keeps the polling going a while for a reader without a page; asks now if it had stopped. */
  async read(): Promise<LatticeMetrics> {
    const wasWatching = this.#watching();
    this.#apiReadAt = Date.now();
    if (!wasWatching || this.#updatedAt === undefined) await this.poll();
    return this.state();
  }

  /** A page opened: asks now unless the last answers are fresh, so its first point comes one interval later. */
  wake(): void {
    if (this.#updatedAt === undefined || Date.now() - this.#updatedAt >= this.#timings.intervalMs)
      void this.poll();
  }

  /** Asks every host now (a page opened: its first point comes one interval later). Polls never overlap. */
  poll(): Promise<void> {
    this.#polling ??= this.#pollOnce().finally(() => {
      this.#polling = undefined;
    });
    return this.#polling;
  }

  #watching(): boolean {
    return this.#parts.watched() || Date.now() - this.#apiReadAt < this.#timings.apiWatchMs;
  }

  async #pollOnce(): Promise<void> {
    const hosts = this.#parts.hosts();
    const answers = await Promise.all(
      hosts.map(async (host) => {
        try {
          const reply = await this.#parts.ask(host.id);
          return { hostId: host.id, reading: { at: Date.now(), reply } };
        } catch (error) {
          return { hostId: host.id, error: errorMessage(error) };
        }
      }),
    );
    const now = Date.now();
    // After a gap (nobody watched) the old points say nothing of the time between: start again.
    if (this.#updatedAt !== undefined && now - this.#updatedAt > 3 * this.#timings.intervalMs) {
      this.#readings.clear();
      this.#actors.clear();
      this.#providers.clear();
    }
    const inView = new Set(hosts.map((host) => host.id));
    for (const hostId of [...this.#readings.keys()]) if (!inView.has(hostId)) this.#readings.delete(hostId);
    const actorIntervals = new Map<string, ActorInterval>();
    const providerIntervals = new Map<string, ProviderInterval>();
    let bounds: readonly number[] | undefined;
    let measured = false;
    this.#metricsOff = [];
    this.#unanswered = [];
    for (const answer of answers) {
      if (answer.reading === undefined) {
        this.#unanswered.push({ host_id: answer.hostId, error: answer.error });
        continue;
      }
      const { reading } = answer;
      if (!reading.reply.metrics_enabled) this.#metricsOff.push(answer.hostId);
      bounds ??= reading.reply.duration_bounds_ns;
      const previous = this.#readings.get(answer.hostId);
      this.#readings.set(answer.hostId, reading);
      if (previous === undefined) continue;
      measured = true;
      addInterval(previous, reading, bounds, actorIntervals, providerIntervals);
    }
    this.#record(measured, bounds ?? [], actorIntervals, providerIntervals);
    this.#updatedAt = now;
    for (const listener of this.#listeners) listener();
  }

  /**
   * Totals from every host's last answer (a host that missed one poll still counts), and, when an
   * interval was measured, one more point for every actor and provider some host reports.
   */
  #record(
    measured: boolean,
    bounds: readonly number[],
    actorIntervals: Map<string, ActorInterval>,
    providerIntervals: Map<string, ProviderInterval>,
  ): void {
    const limit = this.#timings.points;
    const actorsSeen = new Set<string>();
    const providersSeen = new Set<string>();
    for (const entry of this.#actors.values()) {
      entry.calls_total = 0;
      entry.errors_total = 0;
    }
    for (const entry of this.#providers.values()) {
      entry.requests_total = 0;
      entry.errors_total = 0;
    }
    for (const { reply } of this.#readings.values()) {
      for (const actor of reply.actors) {
        actorsSeen.add(actor.id);
        const entry = this.#actorEntry(actor.id);
        entry.calls_total += actor.calls_total;
        entry.errors_total += actor.errors_total;
      }
      for (const provider of reply.providers) {
        const key = providerKey(provider.provider_id, provider.link_name);
        providersSeen.add(key);
        const entry = this.#providerEntry(key, provider);
        entry.requests_total += provider.requests_total;
        entry.errors_total += provider.errors_total;
      }
    }
    for (const id of [...this.#actors.keys()]) if (!actorsSeen.has(id)) this.#actors.delete(id);
    for (const key of [...this.#providers.keys()]) if (!providersSeen.has(key)) this.#providers.delete(key);
    if (!measured) return;
    const toMs = (ns: number | undefined) => (ns === undefined ? null : rounded(ns / 1e6));
    for (const [id, entry] of this.#actors) {
      const interval = actorIntervals.get(id);
      pushBounded(entry.calls_per_s, rounded(interval?.callsPerS ?? 0), limit);
      pushBounded(entry.errors_per_s, rounded(interval?.errorsPerS ?? 0), limit);
      pushBounded(entry.p50_ms, toMs(interval && histogramQuantile(bounds, interval.buckets, 0.5)), limit);
      pushBounded(entry.p99_ms, toMs(interval && histogramQuantile(bounds, interval.buckets, 0.99)), limit);
    }
    for (const [key, entry] of this.#providers) {
      const interval = providerIntervals.get(key);
      pushBounded(entry.requests_per_s, rounded(interval?.requestsPerS ?? 0), limit);
      pushBounded(entry.errors_per_s, rounded(interval?.errorsPerS ?? 0), limit);
    }
  }

  #actorEntry(id: string): ActorRates {
    let entry = this.#actors.get(id);
    if (entry === undefined) {
      entry = {
        id,
        calls_per_s: [],
        errors_per_s: [],
        p50_ms: [],
        p99_ms: [],
        calls_total: 0,
        errors_total: 0,
      };
      this.#actors.set(id, entry);
    }
    return entry;
  }

  #providerEntry(
    key: string,
    provider: { provider_id: string; link_name: string; contract_id: string },
  ): ProviderRates {
    let entry = this.#providers.get(key);
    if (entry === undefined) {
      entry = {
        provider_id: provider.provider_id,
        link_name: provider.link_name,
        contract_id: provider.contract_id,
        requests_per_s: [],
        errors_per_s: [],
        requests_total: 0,
        errors_total: 0,
      };
      this.#providers.set(key, entry);
    }
    return entry;
  }
}
