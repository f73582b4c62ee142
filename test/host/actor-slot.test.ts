// One actor's instances and bounded queue in a worker (host/runtime/actor-slot.ts), on its own:
// calls over the instances wait in arrival order, one over the queue is refused at once with
// ACTOR_QUEUE_FULL, a call whose deadline passed while it waited gives up its turn, a resize works
// in place (down: capacity given back; up: waiting calls served), and a dormant actor (0 instances)
// queues its calls and asks once to be woken.

import { describe, expect, test } from 'vitest';
import { ActorSlot } from '../../host/runtime/actor-slot.ts';

function slot(maxConcurrency: number, queueSize: number, wake?: () => void) {
  let made = 0;
  const actorSlot = new ActorSlot<number>({
    actorId: 'Mtest',
    create: async () => ++made,
    maxConcurrency,
    queueSize,
    wake,
  });
  return { actorSlot, made: () => made };
}

/** Settles pending promise callbacks (instance creation is async). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ActorSlot', () => {
  test('calls over the instances wait in arrival order; one over the queue is refused at once', async () => {
    const { actorSlot } = slot(1, 2);
    const first = await actorSlot.acquire();
    const order: string[] = [];
    const second = actorSlot.acquire().then((instance) => order.push('second') && instance);
    const third = actorSlot.acquire().then((instance) => order.push('third') && instance);
    expect(actorSlot.queued).toBe(2);
    await expect(actorSlot.acquire()).rejects.toMatchObject({ code: 'ACTOR_QUEUE_FULL' });
    actorSlot.release(first);
    await second;
    actorSlot.release(first);
    await third;
    expect(order).toEqual(['second', 'third']);
    expect(actorSlot.queued).toBe(0);
  });

  test('a waiting call past its deadline fails with ACTOR_TIMEOUT instead of taking the freed instance', async () => {
    const { actorSlot } = slot(1, 5);
    const busy = await actorSlot.acquire();
    const expired = actorSlot.acquire(Date.now() - 1);
    const live = actorSlot.acquire();
    actorSlot.release(busy);
    await expect(expired).rejects.toMatchObject({ code: 'ACTOR_TIMEOUT' });
    expect(await live).toBe(busy);
  });

  test('a waiting call fails at its deadline even when no instance frees, and leaves the queue', async () => {
    const { actorSlot } = slot(1, 5);
    await actorSlot.acquire(); // busy for good: nothing will free it
    const startedAt = Date.now();
    const waiting = actorSlot.acquire(startedAt + 50);
    expect(actorSlot.queued).toBe(1);
    await expect(waiting).rejects.toMatchObject({ code: 'ACTOR_TIMEOUT' });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(45);
    expect(actorSlot.queued).toBe(0);
  });

  test('a waiting call moved to the slot of a reloaded actor still fails at its deadline', async () => {
    const old = slot(1, 5).actorSlot;
    await old.acquire();
    const waiting = old.acquire(Date.now() + 50);
    const replacement = slot(0, 5).actorSlot; // dormant: nothing serves the call it takes over
    replacement.takeWaitingFrom(old);
    await expect(waiting).rejects.toMatchObject({ code: 'ACTOR_TIMEOUT' });
    expect(replacement.queued).toBe(0);
  });

  test('a scale down gives capacity back: busy instances over the count are dropped as they finish', async () => {
    const { actorSlot, made } = slot(3, 10);
    const instances = await Promise.all([actorSlot.acquire(), actorSlot.acquire(), actorSlot.acquire()]);
    actorSlot.resize(1);
    for (const instance of instances) actorSlot.release(instance);
    const one = await actorSlot.acquire();
    let secondGot = false;
    const second = actorSlot.acquire().then((instance) => {
      secondGot = true;
      return instance;
    });
    await settle();
    expect(secondGot).toBe(false);
    expect(actorSlot.queued).toBe(1);
    actorSlot.release(one);
    await second;
    expect(made()).toBe(3);
  });

  test('loaded again: the calls waiting in the old slot wait in the new one and run there', async () => {
    const { actorSlot: old } = slot(0, 5);
    const waiting = [old.acquire(), old.acquire()];
    const { actorSlot: replacement } = slot(1, 5);
    replacement.takeWaitingFrom(old);
    expect(old.queued).toBe(0);
    const first = await waiting[0]!;
    replacement.release(first);
    expect(await waiting[1]).toBe(first);
  });

  test('a scale up serves waiting calls at once', async () => {
    const { actorSlot } = slot(1, 10);
    await actorSlot.acquire();
    const waiting = [actorSlot.acquire(), actorSlot.acquire()];
    actorSlot.resize(3);
    expect(await Promise.all(waiting)).toHaveLength(2);
  });

  test('dormant (0 instances): calls queue, one wake is asked for, a resize to 1 serves them all in turn', async () => {
    let wakes = 0;
    const { actorSlot } = slot(0, 3, () => wakes++);
    const calls = [actorSlot.acquire(), actorSlot.acquire(), actorSlot.acquire()];
    await expect(actorSlot.acquire()).rejects.toMatchObject({ code: 'ACTOR_QUEUE_FULL' });
    expect(wakes).toBe(1);
    actorSlot.resize(1);
    for (const call of calls) actorSlot.release(await call);
    expect(actorSlot.queued).toBe(0);
    // Back to zero: the next call asks again.
    actorSlot.resize(0);
    const later = actorSlot.acquire();
    expect(wakes).toBe(2);
    actorSlot.resize(1);
    await later;
  });
});
