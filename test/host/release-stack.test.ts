// The host's release stack: every release runs, last acquired first, even when some throw; each
// failure is logged with its step's name and all are reported as one RELEASE_FAILED error.

import { expect, test } from 'vitest';
import { ReleaseError, ReleaseStack } from '../../host/release-stack.ts';
import { LatticeError } from '../../lattice/errors.ts';
import { createLogger } from '../../lattice/log.ts';

function stackWithLog(): { stack: ReleaseStack; logs: string[] } {
  const logs: string[] = [];
  const log = createLogger({ level: 'debug', structured: false, write: (line) => logs.push(line) });
  return { stack: new ReleaseStack(log), logs };
}

test('releases run in reverse order, each once', async () => {
  const { stack, logs } = stackWithLog();
  const order: string[] = [];
  stack.defer('a', () => void order.push('a'));
  stack.defer('b', async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    order.push('b');
  });
  stack.defer('c', () => void order.push('c'));
  await stack.release();
  await stack.release(); // a second release does nothing
  expect(order).toEqual(['c', 'b', 'a']);
  expect(logs).toEqual([]);
});

test('a release that throws does not stop the others; the failures are logged and reported together', async () => {
  const { stack, logs } = stackWithLog();
  const order: string[] = [];
  stack.defer('the first part', () => void order.push('first'));
  stack.defer('the second part', () => {
    order.push('second');
    throw new LatticeError('SECOND_FAILED', 'second would not close');
  });
  stack.defer('the third part', () => void order.push('third'));
  stack.defer('the fourth part', async () => {
    order.push('fourth');
    throw new Error('fourth would not close');
  });
  const failure = await stack.release().then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(order).toEqual(['fourth', 'third', 'second', 'first']);
  expect(failure).toBeInstanceOf(ReleaseError);
  const release = failure as ReleaseError;
  expect(release.code).toBe('RELEASE_FAILED');
  expect(release.errors.map((error) => (error as Error).message)).toEqual([
    'fourth would not close',
    'second would not close',
  ]);
  expect(release.message).toBe('2 release steps failed: fourth would not close; second would not close');
  expect(logs).toHaveLength(2);
  expect(logs[0]).toContain('ERROR releasing the fourth part failed: fourth would not close');
  expect(logs[1]).toContain(
    'ERROR releasing the second part failed: second would not close code=SECOND_FAILED',
  );
});
