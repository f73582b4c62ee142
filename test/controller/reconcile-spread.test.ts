// Placement arithmetic of the reconciler (controller/reconcile/spread.ts): wadm's split of a total
// over weighted spreads (its own test cases), and the even split of a spread's share over hosts
// that keeps an even split as it is.

import { describe, expect, test } from 'vitest';
import type { Spread } from '../../controller/manifest/types.ts';
import {
  computeSpreadShares,
  describeRequirements,
  evenSplit,
  satisfies,
} from '../../controller/reconcile/spread.ts';

const spread = (name: string, weight: number, requirements: Record<string, string> = {}): Spread => ({
  name,
  weight,
  requirements,
});

const shares = (instances: number, spreads: Spread[]) =>
  computeSpreadShares(instances, spreads).map(({ spread, count }) => [spread.name, count]);

describe('computeSpreadShares (wadm rounding)', () => {
  test('no spread: every instance on the one default spread', () => {
    expect(shares(12, [])).toEqual([['default', 12]]);
  });

  test('equal weights split evenly; the remainder goes to the first', () => {
    expect(shares(10, [spread('a', 100), spread('b', 100)])).toEqual([
      ['a', 5],
      ['b', 5],
    ]);
    expect(shares(7, [spread('a', 100), spread('b', 100)])).toEqual([
      ['a', 4],
      ['b', 3],
    ]);
  });

  test('heaviest first, floors, then one each of what rounding left', () => {
    expect(shares(7, [spread('one', 30), spread('two', 40)])).toEqual([
      ['two', 4],
      ['one', 3],
    ]);
    expect(shares(103, [spread('c1', 42), spread('c2', 3), spread('c3', 37), spread('c4', 384)])).toEqual([
      ['c4', 85],
      ['c1', 10],
      ['c3', 8],
      ['c2', 0],
    ]);
  });

  test('six by 2:1 weights is four and two', () => {
    expect(shares(6, [spread('east', 1), spread('west', 2)])).toEqual([
      ['west', 4],
      ['east', 2],
    ]);
  });
});

describe('evenSplit', () => {
  test('an even split over the hosts, the remainder to those running most now', () => {
    const running: Record<string, number> = { h1: 0, h2: 3, h3: 1 };
    const split = evenSplit(5, ['h1', 'h2', 'h3'], (id) => running[id] ?? 0);
    expect(Object.fromEntries(split)).toEqual({ h1: 1, h2: 2, h3: 2 });
  });

  test('a split that is already even is kept as it is', () => {
    const running: Record<string, number> = { h1: 1, h2: 2, h3: 1 };
    const split = evenSplit(4, ['h1', 'h2', 'h3'], (id) => running[id] ?? 0);
    expect(Object.fromEntries(split)).toEqual(running);
  });

  test('no hosts: nowhere to place', () => {
    expect(evenSplit(3, [], () => 0).size).toBe(0);
  });
});

test('requirements: every one must hold; they read as key=value', () => {
  expect(satisfies({ zone: 'east', tier: 'web' }, { zone: 'east' })).toBe(true);
  expect(satisfies({ zone: 'west' }, { zone: 'east' })).toBe(false);
  expect(satisfies({}, {})).toBe(true);
  expect(describeRequirements({ zone: 'us-east-1', tier: 'web' })).toBe('zone=us-east-1, tier=web');
  expect(describeRequirements({})).toBe('any label');
});
