// The httpserver's TurnBatcher: calls queued during one turn of the event loop start together in
// its check phase (so their NATS publishes share a socket write), and results and failures reach
// each caller.

import { expect, test } from 'vitest';
import { TurnBatcher } from '../../providers/httpserver/turn-batcher.ts';

test('calls queued in one turn start together, after the turn, each with its own result', async () => {
  const batcher = new TurnBatcher();
  const started: string[] = [];
  const start = (name: string) => () => {
    started.push(name);
    return Promise.resolve(name.toUpperCase());
  };
  const results = [batcher.run(start('a')), batcher.run(start('b')), batcher.run(start('c'))];
  await Promise.resolve();
  expect(started).toEqual([]); // not before the check phase
  let startedWhenImmediateRan: string[] = [];
  await new Promise<void>((resolve) =>
    setImmediate(() => {
      startedWhenImmediateRan = [...started];
      resolve();
    }),
  );
  expect(startedWhenImmediateRan).toEqual(['a', 'b', 'c']);
  expect(await Promise.all(results)).toEqual(['A', 'B', 'C']);
});

test('a later turn gets a batch of its own', async () => {
  const batcher = new TurnBatcher();
  const batches: number[] = [];
  let turn = 0;
  const start = () => {
    batches.push(turn);
    return Promise.resolve(turn);
  };
  await Promise.all([batcher.run(start), batcher.run(start)]);
  turn = 1;
  await batcher.run(start);
  expect(batches).toEqual([0, 0, 1]);
});

test('a rejected or throwing call fails its caller only', async () => {
  const batcher = new TurnBatcher();
  const rejected = batcher.run(() => Promise.reject(new Error('actor failed')));
  const thrown = batcher.run((): Promise<string> => {
    throw new Error('could not even start');
  });
  const fine = batcher.run(() => Promise.resolve('ok'));
  await expect(rejected).rejects.toThrow('actor failed');
  await expect(thrown).rejects.toThrow('could not even start');
  expect(await fine).toBe('ok');
});
