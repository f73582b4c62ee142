// The polling helper every test waits with: it hands back what it waited for, retries failing
// checks, and fails naming what never happened and why the last check failed.
import { describe, expect, it } from 'vitest';
import { eventually, eventuallyPasses } from './eventually.ts';

describe('eventually', () => {
  it('resolves with the first value that is neither undefined nor false', async () => {
    let calls = 0;
    const value = await eventually(() => (++calls < 3 ? undefined : `after ${calls}`), {
      what: 'three calls',
      intervalMs: 1,
    });
    expect(value).toBe('after 3');
  });

  it('retries a check that throws, and names what never happened and the last failure', async () => {
    await expect(
      eventually(
        () => {
          throw new Error('still closed');
        },
        { what: 'the door to open', timeoutMs: 50, intervalMs: 5 },
      ),
    ).rejects.toThrow(/^timed out after 50 ms waiting for the door to open; last check: still closed$/);
  });

  it('eventuallyPasses retries a block of expectations until they hold', async () => {
    let count = 0;
    await eventuallyPasses(() => expect(++count).toBe(4), { what: 'the count to reach 4', intervalMs: 1 });
    expect(count).toBe(4);
    await expect(
      eventuallyPasses(() => expect(count).toBe(5), { what: 'the count to reach 5', timeoutMs: 30 }),
    ).rejects.toThrow(/waiting for the count to reach 5; last check: expected 4 to be 5/);
  });
});
