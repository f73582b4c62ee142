// Where instances go: the pure arithmetic of placement, shared by every scaler. Which hosts a
// spread's requirements admit, how a total splits over spreads by weight (wadm's rounding), and how
// a spread's share splits evenly over its hosts without moving instances that need not move.

import type { Spread } from '../manifest/types.ts';

/** Weight of a spread that gives none (wadm's DEFAULT_SPREAD_WEIGHT). */
export const DEFAULT_SPREAD_WEIGHT = 100;

/** The one spread of a scaler that lists none: every host, all the instances. */
export const DEFAULT_SPREAD: Spread = { name: 'default', requirements: {}, weight: DEFAULT_SPREAD_WEIGHT };

export interface SpreadShare {
  spread: Spread;
  count: number;
}

/** Whether a host's labels hold every requirement (an empty set admits every host). */
export function satisfies(
  labels: Readonly<Record<string, string>>,
  requirements: Record<string, string>,
): boolean {
  return Object.entries(requirements).every(([key, value]) => labels[key] === value);
}

/** `zone=us-east-1, tier=web`, or `any label` for no requirement: for status messages. */
export function describeRequirements(requirements: Record<string, string>): string {
  const pairs = Object.entries(requirements).map(([key, value]) => `${key}=${value}`);
  return pairs.length === 0 ? 'any label' : pairs.join(', ');
}

/**
 * Splits `instances` over `spreads` as wadm does: spreads ordered by weight (heaviest first, the
 * manifest's order among equals), each gets `floor(instances × weight / total weight)`, and the
 * instances rounding left over go one each to the spreads in that order. No spreads: one spread
 * over every host.
 */
export function computeSpreadShares(instances: number, spreads: readonly Spread[]): SpreadShare[] {
  if (spreads.length === 0) return [{ spread: DEFAULT_SPREAD, count: instances }];
  const ordered = [...spreads].sort((a, b) => b.weight - a.weight);
  const totalWeight = ordered.reduce((sum, spread) => sum + spread.weight, 0);
  // All weights 0: nothing says how to split, so split as if they were equal.
  const weightOf = (spread: Spread) => (totalWeight === 0 ? 1 : spread.weight);
  const divisor = totalWeight === 0 ? ordered.length : totalWeight;
  const shares = ordered.map((spread) => ({
    spread,
    count: Math.floor((instances * weightOf(spread)) / divisor),
  }));
  let left = instances - shares.reduce((sum, share) => sum + share.count, 0);
  for (const share of shares) {
    if (left === 0) break;
    share.count += 1;
    left -= 1;
  }
  return shares;
}

/**
 * A daemonscaler's hosts: those that satisfy one of its spreads (every host when it lists none),
 * and, when there is none, why: `no host satisfies zone=east or zone=west`.
 */
export function daemonHosts<Host extends { labels: Record<string, string> }>(
  hosts: readonly Host[],
  spreads: readonly Spread[],
): { eligible: Host[]; unsatisfied: string | undefined } {
  const admitting = spreads.length > 0 ? spreads : [DEFAULT_SPREAD];
  const eligible = hosts.filter((host) =>
    admitting.some((spread) => satisfies(host.labels, spread.requirements)),
  );
  const wishes = admitting.map((spread) => describeRequirements(spread.requirements)).join(' or ');
  return { eligible, unsatisfied: eligible.length === 0 ? `no host satisfies ${wishes}` : undefined };
}

/**
 * Splits `count` evenly over `hostIds`: each gets ⌊count / n⌋ and the remainder goes one each to
 * the hosts that run the most now (then by host id), so a split that is already even stays as it
 * is and a rebalance moves as few instances as it can.
 */
export function evenSplit(
  count: number,
  hostIds: readonly string[],
  runningOn: (hostId: string) => number,
): Map<string, number> {
  const split = new Map<string, number>();
  if (hostIds.length === 0) return split;
  const base = Math.floor(count / hostIds.length);
  const remainder = count % hostIds.length;
  const ordered = [...hostIds].sort((a, b) => runningOn(b) - runningOn(a) || compareText(a, b));
  for (const [index, hostId] of ordered.entries()) split.set(hostId, base + (index < remainder ? 1 : 0));
  return split;
}

/** Code-point order, the same on every machine (no locale). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
