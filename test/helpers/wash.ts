// Runs the real `wash` CLI as a child process under the project's Node 24 (vitest's own process
// may run on another Node), through its executable wash.js as a user's shell does: the bundle in
// dist/ that `npm test` builds first, or the .ts sources when a file changed since.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { REPO_ROOT } from './fixtures.ts';

export const NODE_24 = join(REPO_ROOT, 'node_modules', '.bin', 'node');
const WASH_EXECUTABLE = join(REPO_ROOT, 'wash-cli', 'wash.js');

export interface WashRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface WashOptions {
  /** Added to this process's environment (point WASH_KEYS at a temp dir, never ~/.wash). */
  env?: Record<string, string>;
  cwd?: string;
}

/** Runs `wash …args`; never rejects, so tests can assert on failures. */
export function runWash(args: string[], options: WashOptions = {}): Promise<WashRun> {
  const env = { ...process.env, ...options.env };
  return new Promise((resolve) => {
    execFile(
      NODE_24,
      [WASH_EXECUTABLE, ...args],
      // Inventories and link lists of large lattices run to megabytes (execFile's default is 1 MiB).
      { env, cwd: options.cwd ?? REPO_ROOT, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Checks a failure is exit 1 and one readable `error: …` line on stderr, not a stack trace. */
export function expectOneLineError(run: WashRun, pattern: RegExp): void {
  expect(run.code).toBe(1);
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}
