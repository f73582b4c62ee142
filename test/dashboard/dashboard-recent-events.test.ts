// The dashboard's recent-event list: bounded in count and in bytes, every value from outside cut.

import { describe, expect, it } from 'vitest';
import { compactEvent, type RecentEvent, RecentEvents } from '../../dashboard/recent-events.ts';

const event = (i: number, data: unknown, extra: Partial<RecentEvent> = {}): RecentEvent => ({
  id: `id-${i}`,
  time: '2026-01-01T00:00:00Z',
  name: 'actor_start_failed',
  source: 'NHOST',
  data,
  ...extra,
});

describe('compactEvent', () => {
  it('keeps small events as they are', () => {
    const small = event(1, { actor_ref: 'echo:0.3.4', error: 'no such file', annotations: { a: 'b' } });
    expect(compactEvent(small, 8192)).toEqual(small);
  });

  it('cuts long strings, long lists, wide and deep objects, and long envelope fields', () => {
    const data = {
      actor_ref: 'x'.repeat(1_000_000),
      list: Array.from({ length: 100_000 }, (_, i) => i),
      wide: Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, 'v'])),
      deep: JSON.parse(`${'{"a":'.repeat(50)}1${'}'.repeat(50)}`),
    };
    const kept = compactEvent(event(1, data, { source: 's'.repeat(100_000) }), 8192);
    expect(JSON.stringify(kept).length).toBeLessThan(8192 + 1024);
    const keptData = kept.data as Record<string, unknown>;
    expect(keptData.actor_ref).toMatch(/^x{2048}… \(997952 bytes more\)$/);
    expect(kept.source).toMatch(/^s{128}… /);
  });

  it('keeps a "__proto__" key as plain data', () => {
    const kept = compactEvent(event(1, JSON.parse('{"__proto__":{"polluted":true}}')), 8192);
    expect(Object.hasOwn(kept.data as object, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('RecentEvents', () => {
  it('keeps the newest, up to its count', () => {
    const recent = new RecentEvents({ count: 3 });
    for (let i = 0; i < 5; i++) recent.add(event(i, { n: i }));
    expect(recent.newestFirst().map((kept) => kept.id)).toEqual(['id-4', 'id-3', 'id-2']);
  });

  it('drops the oldest once their bytes pass the total', () => {
    const recent = new RecentEvents({ count: 50, totalChars: 40 * 1024, eventChars: 8 * 1024 });
    for (let i = 0; i < 50; i++) recent.add(event(i, { error: 'e'.repeat(1_000_000) }));
    const kept = recent.newestFirst();
    expect(recent.totalChars).toBeLessThanOrEqual(40 * 1024);
    expect(JSON.stringify(kept).length).toBeLessThanOrEqual(40 * 1024 + kept.length);
    expect(kept.length).toBeGreaterThan(10);
    expect(kept[0]?.id).toBe('id-49');
  });
});
