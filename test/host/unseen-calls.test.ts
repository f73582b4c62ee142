// The count of calls a worker runs that the main thread did not post (host/runtime/unseen-calls.ts):
// the main thread's wait for the next one resolves when a worker thread starts one, not before, at
// once while one runs, and when the main thread gives up on it (the worker was replaced).

import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createUnseenCallsBuffer, UnseenCalls } from '../../host/runtime/unseen-calls.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `promise` settled within `ms`. */
async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  return Promise.race([promise.then(() => true), sleep(ms).then(() => false)]);
}

/** A worker thread that enters a call (as worker.ts does) when told, and leaves it when told again. */
function callingWorker(buffer: SharedArrayBuffer): Worker {
  return new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const count = new Int32Array(workerData);
     parentPort.on('message', (message) => {
       if (message === 'enter' && Atomics.add(count, 0, 1) === 0) Atomics.notify(count, 0);
       if (message === 'leave') Atomics.sub(count, 0, 1);
       parentPort.postMessage(message);
     });`,
    { eval: true, workerData: buffer },
  );
}

function tell(worker: Worker, message: string): Promise<void> {
  return new Promise((resolve) => {
    worker.once('message', () => resolve());
    worker.postMessage(message);
  });
}

describe('unseen calls', () => {
  it("wakes the main thread's wait when a worker thread starts a call, not before", async () => {
    const buffer = createUnseenCallsBuffer();
    const calls = new UnseenCalls(buffer);
    const worker = callingWorker(buffer);
    try {
      const started = calls.started();
      expect(await settlesWithin(started, 100)).toBe(false);
      await tell(worker, 'enter');
      expect(await settlesWithin(started, 2_000)).toBe(true);
      expect(calls.count).toBe(1);
      // While a call runs, a new wait resolves at once.
      expect(await settlesWithin(calls.started(), 50)).toBe(true);
      await tell(worker, 'leave');
      expect(calls.count).toBe(0);
    } finally {
      await worker.terminate();
    }
  });

  it('the same class counts in the worker: enter, leave, and the first entry wakes a wait', async () => {
    const calls = new UnseenCalls(createUnseenCallsBuffer());
    const started = calls.started();
    calls.enter();
    calls.enter(); // a second call: already awake
    expect(await settlesWithin(started, 1_000)).toBe(true);
    expect(calls.count).toBe(2);
    calls.leave();
    calls.leave();
    expect(calls.count).toBe(0);
  });

  it('stopWaiting settles a wait whose worker will never call again', async () => {
    const calls = new UnseenCalls(createUnseenCallsBuffer());
    const started = calls.started();
    expect(await settlesWithin(started, 50)).toBe(false);
    calls.stopWaiting();
    expect(await settlesWithin(started, 1_000)).toBe(true);
    expect(calls.count).toBe(0);
  });
});
