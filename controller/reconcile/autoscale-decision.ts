// How many instances an autoscaled actor should have, from the demand the hosts report (pure: fed
// one sample per load round, no clock of its own, so the tests drive it sample by sample).
//
// - Demand is the actor's calls in flight plus queued, summed over the hosts, each round. The
//   window is the last DEMAND_WINDOW rounds; its median (p50) over `targetConcurrency`, rounded up,
//   is the count the demand asks for.
// - Up at once: a round whose wish is above the target raises it (the median needs a few rounds of
//   load, about half the window, so one burst does not).
// - Down only after `scaleDownDelayMs` during which every wish stayed below the target, to the
//   highest of those wishes.
// - While calls come (calls_total moved, or any in flight) within `scaleDownDelayMs`, at least one
//   instance; after that long without a call, `min` at once (0: scaled to zero).

import type { AutoscalerSpec } from '../manifest/types.ts';

/** Rounds the median is taken over (about 5 s at the default 1 s poll). */
export const DEMAND_WINDOW = 5;

/** One load round as the autoscaler sees it. */
export interface DemandSample {
  /** When the round was taken (ms since the epoch). */
  at: number;
  /** Calls in flight plus queued, over every host. */
  demand: number;
  /** Whether a call came since the previous round (calls_total moved) or any is in flight now. */
  active: boolean;
}

export type DecisionSpec = Pick<AutoscalerSpec, 'min' | 'max' | 'targetConcurrency' | 'scaleDownDelayMs'>;

/** `7.5`, `4`, `0.3`: one decimal at most. */
function decimal(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** `60 s`, `2 s`, `500 ms`, `2.5 min`. */
export function describeDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${decimal(ms / 1000)} s`;
  return `${decimal(ms / 60_000)} min`;
}

function instances(count: number): string {
  return `${count} instance${count === 1 ? '' : 's'}`;
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export class AutoscaleDecision {
  readonly #spec: DecisionSpec;
  readonly #window: number[] = [];
  #target: number;
  #lastActiveAt: number;
  /** Since when every wish stayed below the target, and the highest of them. */
  #low: { since: number; peak: number } | undefined;
  #reason: string | undefined;

  /** `running`: the instances there are now (kept within min and max; none: one, until idle). */
  constructor(spec: DecisionSpec, running: number, now: number) {
    this.#spec = spec;
    this.#target = running > 0 ? this.#clamp(running) : this.#clamp(1);
    this.#lastActiveAt = now;
  }

  /** The instances wanted now. */
  get target(): number {
    return this.#target;
  }

  /** Why the target last changed ("p50 in-flight 7.5/instance > 4: 2 → 4 instances"); none yet. */
  get reason(): string | undefined {
    return this.#reason;
  }

  /** The median demand of the window (calls in flight and queued over every host). */
  get p50(): number {
    return median(this.#window);
  }

  #clamp(count: number): number {
    return Math.min(this.#spec.max, Math.max(this.#spec.min, count));
  }

  /**
   * An instance of the actor showed up while the target was zero and none ran: a host woke the
   * dormant actor for a call. One instance (or min), as after a call, instead of stopping it again.
   */
  woken(now: number): void {
    if (this.#target !== 0) return;
    this.#lastActiveAt = Math.max(this.#lastActiveAt, now);
    this.#low = undefined;
    this.#target = this.#clamp(1);
    this.#reason = `woken by a call while scaled to zero: 0 → ${instances(this.#target)}`;
  }

  /** Takes one round into account; true when the target changed. */
  observe(sample: DemandSample): boolean {
    const { targetConcurrency, scaleDownDelayMs } = this.#spec;
    if (sample.active) this.#lastActiveAt = Math.max(this.#lastActiveAt, sample.at);
    this.#window.push(sample.demand);
    if (this.#window.length > DEMAND_WINDOW) this.#window.shift();
    const p50 = this.p50;
    const idle = sample.at - this.#lastActiveAt >= scaleDownDelayMs;
    const wish = this.#clamp(Math.max(Math.ceil(p50 / targetConcurrency), idle ? 0 : 1));
    const from = this.#target;
    if (wish === from) {
      this.#low = undefined;
      return false;
    }
    if (wish > from) {
      this.#low = undefined;
      this.#reason =
        from === 0
          ? `calls while scaled to zero: 0 → ${instances(wish)}`
          : `p50 in-flight ${decimal(p50 / from)}/instance > ${targetConcurrency}: ${from} → ${instances(wish)}`;
      this.#target = wish;
      return true;
    }
    const delay = describeDuration(scaleDownDelayMs);
    if (idle) {
      this.#low = undefined;
      this.#reason =
        wish === 0 ? `idle ${delay}: scaled to zero` : `idle ${delay}: ${from} → ${instances(wish)} (min)`;
      this.#target = wish;
      return true;
    }
    if (this.#low === undefined) this.#low = { since: sample.at, peak: wish };
    else this.#low.peak = Math.max(this.#low.peak, wish);
    if (sample.at - this.#low.since < scaleDownDelayMs) return false;
    const to = this.#low.peak;
    this.#low = undefined;
    this.#reason = `p50 in-flight ${decimal(p50 / from)}/instance < ${targetConcurrency} for ${delay}: ${from} → ${instances(to)}`;
    this.#target = to;
    return true;
  }
}
