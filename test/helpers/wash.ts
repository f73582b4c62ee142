// Runs the real `wash` CLI as a child process under the project's Node 24.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './fixtures.ts';

export const NODE_24 = join(REPO_ROOT, 'node_modules', '.bin', 'node');
const WASH_MAIN = join(REPO_ROOT, 'wash-cli', 'main.ts');

export interface WashRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `wash …args`; never rejects, so tests can assert on failures. */
export function runWash(args: string[], env: Record<string, string> = {}): Promise<WashRun> {
  return new Promise((resolve) => {
    execFile(
      NODE_24,
      [WASH_MAIN, ...args],
      { env: { ...process.env, ...env }, cwd: REPO_ROOT },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
