// The per-actor call counters a worker shares with the main thread (host/runtime/load-counters.ts),
// on one buffer read through a second view as the main thread reads it: queued, then in flight,
// then gone; calls taken and the last call's time; the oldest idle entry reused when the table is
// full, a busy one never; and the sum over workers.

import { describe, expect, test } from 'vitest';
import { createLoadCountersBuffer, LoadCounters, sumLoads } from '../../host/runtime/load-counters.ts';

const key = (index: number) => `M${String(index).padStart(55, 'A')}`;

describe('LoadCounters', () => {
  test('a call is queued, then in flight, then gone; calls taken and the last call are kept', () => {
    const buffer = createLoadCountersBuffer();
    const worker = new LoadCounters(buffer);
    const main = new LoadCounters(buffer);
    expect(main.read()).toEqual([]);
    const before = Date.now();
    const first = worker.enter(key(1));
    const second = worker.enter(key(1));
    expect(main.read()).toEqual([
      { actorId: key(1), inFlight: 0, queued: 2, callsTotal: 2, lastCallAt: expect.any(Number) },
    ]);
    expect(main.read()[0]!.lastCallAt).toBeGreaterThanOrEqual(before);
    worker.started(first);
    worker.started(first); // twice is once
    expect(main.read()[0]).toMatchObject({ inFlight: 1, queued: 1 });
    worker.leave(first);
    worker.leave(second); // never got an instance
    expect(main.read()[0]).toMatchObject({ inFlight: 0, queued: 0, callsTotal: 2 });
  });

  test('a full table reuses the idle entry called longest ago, never a busy one', () => {
    const worker = new LoadCounters(createLoadCountersBuffer());
    const busy = worker.enter(key(0));
    for (let index = 1; index < 256; index++) worker.leave(worker.enter(key(index)));
    expect(worker.read()).toHaveLength(256);
    const late = worker.enter(key(999));
    const ids = worker.read().map((load) => load.actorId);
    expect(ids).toHaveLength(256);
    expect(ids).toContain(key(0)); // busy: kept
    expect(ids).toContain(key(999));
    expect(ids.filter((id) => id === key(1) || id === key(2))).toHaveLength(1); // one of the oldest went
    worker.leave(late);
    worker.leave(busy);
    expect(worker.read().find((load) => load.actorId === key(999))).toMatchObject({
      callsTotal: 1,
      queued: 0,
    });
  });

  test('an id too long for an entry runs uncounted', () => {
    const worker = new LoadCounters(createLoadCountersBuffer());
    const call = worker.enter('M'.repeat(100));
    worker.started(call);
    worker.leave(call);
    expect(call.entry).toBe(-1);
    expect(worker.read()).toEqual([]);
  });

  test('the loads of several workers sum per actor, the latest last call winning', () => {
    const a = { actorId: 'M1', inFlight: 1, queued: 2, callsTotal: 10, lastCallAt: 5 };
    const b = { actorId: 'M1', inFlight: 3, queued: 0, callsTotal: 4, lastCallAt: 9 };
    const c = { actorId: 'M2', inFlight: 0, queued: 0, callsTotal: 1, lastCallAt: 1 };
    expect([...sumLoads([[a], [b, c]]).values()]).toEqual([
      { actorId: 'M1', inFlight: 4, queued: 2, callsTotal: 14, lastCallAt: 9 },
      c,
    ]);
  });
});
