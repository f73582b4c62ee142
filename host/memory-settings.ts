// The host process's memory settings, which only take effect when a process starts: host/main.ts
// calls restartWithMemorySettings() before it loads anything else, and when a setting is missing
// the process replaces itself (execve: same pid, same stdio, same arguments) with one that has it.
// Every launcher (wash up, the image, compose, the chart, tests) gets them without knowing.
//
// Why (issue 12, item 5, measured with `npm run bench -- flood`): after 10,000 malformed messages
// of up to 1 MB the live heap is back where it started, yet the host kept +92 to +125 MB of RSS
// while idle. Two things held it: V8's young generation, grown to 128 MB during the burst and
// never shrunk while idle, and glibc malloc's arenas, which keep freed NATS read buffers (64 KiB
// socket reads, nats.js's growing message buffer) because live allocations sit between them.
// A young generation of 8 MB semi-spaces and jemalloc with its background thread (which hands
// freed pages back to the kernel after about ten seconds, also when the host is idle) brought that
// to −3 to +28 MB (eight rounds). Measured again later (issue 19, item 4), 8 MB semi-spaces kept
// +15 to +83 MB (fourteen rounds, the code before and after that work alike), 2 MB semi-spaces
// +0.5 to +33 MB (six rounds), and an idle host is 3 MB smaller with them; parsing and writing
// 20,000 link definitions took as long.

import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

/** The main thread's semi-space size in MB; V8 picks up to 64 on a machine with a few GB. */
export const SEMI_SPACE_MB = 2;
const SEMI_SPACE_FLAG = '--max-semi-space-size';

/**
 * Each actor worker's young generation in MB (a Worker's `resourceLimits.maxYoungGenerationSizeMb`;
 * V8 makes 1 MB semi-spaces of 3). An idle worker kept 5–7 MB of young generation at the main
 * thread's 8 MB semi-spaces; with this, 2 MB (`npm run bench -- idle-cost`, docs/host.md).
 */
export const WORKER_YOUNG_GENERATION_MB = 3;

/**
 * Lets WORKER_YOUNG_GENERATION_MB take effect: V8 reads --max-semi-space-size, a flag of the whole
 * process, whenever it makes an isolate, and the flag wins over a Worker's resource limits. Setting
 * it back to 0 (V8's "unset") after the main thread's heap was made leaves that heap its semi-space
 * size and the workers made afterwards theirs. Call it before the first worker starts.
 */
export function leaveYoungGenerationToWorkers(): void {
  setFlagsFromString(`${SEMI_SPACE_FLAG}=0`);
}

/** Where Debian and its derivatives (Docker's node images too) put libjemalloc2. */
const JEMALLOC_PATHS = [
  '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
  '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
  '/usr/lib64/libjemalloc.so.2',
  '/usr/lib/libjemalloc.so.2',
];

/** The jemalloc library of this machine, if it has one. */
export function findJemalloc(fileExists: (path: string) => boolean = existsSync): string | undefined {
  return JEMALLOC_PATHS.find(fileExists);
}

/** The settings a process with this environment and these Node flags still lacks. */
export function missingMemorySettings(
  env: NodeJS.ProcessEnv,
  execArgv: readonly string[],
  fileExists: (path: string) => boolean = existsSync,
): { nodeFlags: string[]; env: Record<string, string> } {
  const nodeFlags: string[] = [];
  const extraEnv: Record<string, string> = {};
  // A semi-space size given on the command line or in NODE_OPTIONS is the operator's choice.
  const flagged = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].some(
    (flag) => flag.startsWith(SEMI_SPACE_FLAG) || flag.startsWith('--max_semi_space_size'),
  );
  if (!flagged) nodeFlags.push(`${SEMI_SPACE_FLAG}=${SEMI_SPACE_MB}`);
  // So is any LD_PRELOAD, even an empty one (the way to keep glibc's malloc).
  if (env.LD_PRELOAD === undefined) {
    const jemalloc = findJemalloc(fileExists);
    if (jemalloc) {
      extraEnv.LD_PRELOAD = jemalloc;
      // Without its background thread jemalloc returns pages only while it is allocating: not idle.
      if (env.MALLOC_CONF === undefined) extraEnv.MALLOC_CONF = 'background_thread:true';
    }
  }
  return { nodeFlags, env: extraEnv };
}

/**
 * Restarts this process in place with the memory settings it lacks; returns when it has them all,
 * cannot get the rest (no jemalloc), or cannot restart (not Linux). Call it before anything else.
 * Given `script`, the restart runs that script with this one's arguments instead, settings or not
 * (host/main.ts: the compiled host); the caller must not pass it again from there.
 */
export function restartWithMemorySettings(script?: string): void {
  if (process.platform !== 'linux' || typeof process.execve !== 'function') return;
  const missing = missingMemorySettings(process.env, process.execArgv);
  if (script === undefined && missing.nodeFlags.length === 0 && Object.keys(missing.env).length === 0) return;
  // Without a new flag the restart only adds LD_PRELOAD; an LD_PRELOAD that is set stops the loop.
  process.execve(
    process.execPath,
    [
      process.execPath,
      ...missing.nodeFlags,
      ...process.execArgv,
      ...(script === undefined ? process.argv.slice(1) : [script, ...process.argv.slice(2)]),
    ],
    { ...process.env, ...missing.env },
  );
}
