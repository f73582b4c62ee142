// What a process costs, read from Linux's /proc as `top` does: CPU time used so far (user + system,
// from /proc/<pid>/stat) and resident memory (VmRSS in /proc/<pid>/status). A benchmark reads the
// CPU time at both ends of a window; the difference over the window's length is the share of one
// core the process used.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of the stat file's times (almost always 100). */
const CLOCK_TICKS_PER_SECOND =
  Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/**
 * utime + stime, in clock ticks, from the text of /proc/<pid>/stat. The command name (field 2) is
 * in parentheses and may itself hold spaces and ')': fields are counted after its last ')'.
 */
export function cpuTicksFromStat(stat: string): number {
  const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // afterName[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(afterName[11]);
  const stime = Number(afterName[12]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) throw new Error(`not a /proc stat line: ${stat}`);
  return utime + stime;
}

/** Resident set size in bytes, from the text of /proc/<pid>/status (its `VmRSS: … kB` line). */
export function rssBytesFromStatus(status: string): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new Error('no VmRSS line in /proc status');
  return Number(match[1]) * 1024;
}

/** CPU seconds (user + system) process `pid` has used since it started. */
export function cpuSeconds(pid: number): number {
  return cpuTicksFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8')) / CLOCK_TICKS_PER_SECOND;
}

export function rssBytes(pid: number): number {
  return rssBytesFromStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

/** CPU time of several processes at one moment, to subtract from a later reading. */
export function cpuSnapshot(pids: readonly number[]): Map<number, number> {
  return new Map(pids.map((pid) => [pid, cpuSeconds(pid)]));
}
