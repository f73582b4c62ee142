// The autoscaler's decision (controller/reconcile/autoscale-decision.ts), fed load rounds by hand:
// up at once when the median demand per instance passes the target, down only after the delay,
// to the highest wish of that delay; at least one instance while calls come; min (zero) after the
// delay without calls; and the reason it gives each time.

import { describe, expect, test } from 'vitest';
import { AutoscaleDecision, describeDuration } from '../../controller/reconcile/autoscale-decision.ts';

const spec = { min: 0, max: 8, targetConcurrency: 4, scaleDownDelayMs: 10_000 };
const T0 = 1_000_000;

/** Feeds rounds one second apart from `from`; the targets after each. */
function feed(decision: AutoscaleDecision, demands: number[], from: number, active = true): number[] {
  return demands.map((demand, index) => {
    decision.observe({ at: from + index * 1000, demand, active });
    return decision.target;
  });
}

describe('AutoscaleDecision', () => {
  test('starts at what runs (kept within min and max), or one instance when none runs', () => {
    expect(new AutoscaleDecision(spec, 0, T0).target).toBe(1);
    expect(new AutoscaleDecision(spec, 3, T0).target).toBe(3);
    expect(new AutoscaleDecision(spec, 20, T0).target).toBe(8);
    expect(new AutoscaleDecision({ ...spec, min: 2 }, 0, T0).target).toBe(2);
    expect(new AutoscaleDecision(spec, 1, T0).reason).toBeUndefined();
  });

  test('scales up once the median of the window is above the target, and says why', () => {
    const decision = new AutoscaleDecision(spec, 2, T0);
    // Window of 5: the median passes 8 (2 × 4) on the third round of 15.
    expect(feed(decision, [0, 0, 15, 15, 15], T0)).toEqual([2, 2, 2, 2, 4]);
    expect(decision.reason).toBe('p50 in-flight 7.5/instance > 4: 2 → 4 instances');
    // Never past max.
    expect(feed(decision, [100, 100, 100], T0 + 5000)).toEqual([4, 4, 8]);
    expect(decision.reason).toBe('p50 in-flight 25/instance > 4: 4 → 8 instances');
  });

  test('one burst round does not scale up: the median ignores it', () => {
    const decision = new AutoscaleDecision(spec, 1, T0);
    expect(feed(decision, [0, 0, 40, 0, 0], T0)).toEqual([1, 1, 1, 1, 1]);
  });

  test('scales down only after the delay of lower wishes, to the highest of them', () => {
    const decision = new AutoscaleDecision(spec, 4, T0);
    // Demand 5 then 1: wishes 2, then 1 (window median falls), below the target of 4.
    const targets = feed(decision, [5, 5, 5, 5, 5, 1, 1, 1, 1, 1, 1, 1], T0);
    // 10 s after the first lower wish (round 0) the target becomes the highest wish seen: 2.
    expect(targets.slice(0, 10)).toEqual(Array(10).fill(4));
    expect(targets[10]).toBe(2);
    expect(decision.reason).toBe('p50 in-flight 0.3/instance < 4 for 10 s: 4 → 2 instances');
    // A wish back at the target ends a lower period: the delay starts again.
    const again = new AutoscaleDecision(spec, 2, T0);
    expect(feed(again, [1, 1, 1, 1, 1, 1, 8, 8, 8, 1, 1, 1, 1, 1, 1, 1], T0).slice(-1)).toEqual([2]);
  });

  test('at least one instance while calls come; min (zero) after the delay without a call', () => {
    const decision = new AutoscaleDecision(spec, 1, T0);
    // Short calls are rarely in flight at a round, but calls_total moved: active, kept at 1.
    expect(feed(decision, Array(15).fill(0), T0, true)).toEqual(Array(15).fill(1));
    // No call from T0 + 14 s on: zero once 10 s have passed without one.
    const idle = feed(decision, Array(12).fill(0), T0 + 15_000, false);
    expect(idle.indexOf(0)).toBe(9); // T0 + 24 s = 10 s after the last call
    expect(decision.reason).toBe('idle 10 s: scaled to zero');
    // A call at zero brings one back at once.
    decision.observe({ at: T0 + 40_000, demand: 1, active: true });
    expect(decision.target).toBe(1);
    expect(decision.reason).toBe('calls while scaled to zero: 0 → 1 instance');
  });

  test('woken at zero (a host started the dormant actor for a call): one instance until idle again', () => {
    const decision = new AutoscaleDecision(spec, 1, T0);
    feed(decision, Array(11).fill(0), T0 + 1000, false);
    expect(decision.target).toBe(0);
    decision.woken(T0 + 20_000);
    expect(decision.target).toBe(1);
    expect(decision.reason).toBe('woken by a call while scaled to zero: 0 → 1 instance');
    // No further call: zero again scaleDownDelay after the wake.
    expect(feed(decision, Array(11).fill(0), T0 + 21_000, false).indexOf(0)).toBe(9);
    // Woken is a no-op above zero.
    const busy = new AutoscaleDecision(spec, 3, T0);
    busy.woken(T0);
    expect(busy.target).toBe(3);
  });

  test('with min above zero, idle goes to min and says so', () => {
    const decision = new AutoscaleDecision({ ...spec, min: 2 }, 5, T0);
    expect(feed(decision, Array(11).fill(0), T0 + 1000, false).at(-1)).toBe(2);
    expect(decision.reason).toBe('idle 10 s: 5 → 2 instances (min)');
  });

  test('durations read as a person would write them', () => {
    expect(describeDuration(60_000)).toBe('60 s');
    expect(describeDuration(2000)).toBe('2 s');
    expect(describeDuration(500)).toBe('500 ms');
    expect(describeDuration(300_000)).toBe('5 min');
  });
});
