// bench/process-usage.ts: the CPU time and RSS `npm run bench -- apps` reads from /proc, parsed
// from lines with awkward command names, and read from this very process.

import { describe, expect, it } from 'vitest';
import { cpuSeconds, cpuTicksFromStat, rssBytes, rssBytesFromStatus } from '../../bench/process-usage.ts';

/** A stat line whose fields 14 and 15 (utime, stime) are 1234 and 56. */
function statLine(commandName: string): string {
  const afterName = ['S', '1', '1', '1', '0', '-1', '4194304', '100', '0', '0', '0', '1234', '56', '0', '0'];
  return `4242 (${commandName}) ${afterName.join(' ')} 20 0 1 0 262617 3133440 412`;
}

describe('bench/process-usage.ts', () => {
  it('adds utime and stime, counting fields after the last ")" of the command name', () => {
    expect(cpuTicksFromStat(statLine('node'))).toBe(1290);
    expect(cpuTicksFromStat(statLine('a b) (c'))).toBe(1290);
  });

  it('refuses text that is not a stat line', () => {
    expect(() => cpuTicksFromStat('4242 (node) S 1')).toThrow('not a /proc stat line');
  });

  it('reads VmRSS in bytes', () => {
    expect(rssBytesFromStatus('Name:\tnode\nVmRSS:\t  123456 kB\nThreads:\t7\n')).toBe(123456 * 1024);
    expect(() => rssBytesFromStatus('Name:\tnode\n')).toThrow('no VmRSS');
  });

  it("reads this process's CPU time, which grows while it computes", () => {
    const before = cpuSeconds(process.pid);
    const until = performance.now() + 200;
    let spins = 0;
    while (performance.now() < until) spins += 1;
    expect(spins).toBeGreaterThan(0);
    expect(cpuSeconds(process.pid)).toBeGreaterThan(before);
    expect(rssBytes(process.pid)).toBeGreaterThan(10 * 1024 * 1024);
  });
});
