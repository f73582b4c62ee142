// Processes in tests: whether one is still running, seen from outside (by pid: how tests check
// that a host, a provider or a nats-server they did not spawn themselves has gone), and running a
// project script under Node 24 (killed when the test process exits), to its end if need be.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { NODE_24 } from './wash.ts';

/** Whether `pid` is a live process; one that has exited but is not reaped yet (a zombie) is not. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const spawned = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of spawned) child.kill('SIGKILL');
});

/**
 * Runs a project script (`host/main.ts`, `controller/main.ts`) under the project's Node 24 with
 * `env` added to this process's environment, output piped; killed if the test process exits first.
 */
export function spawnNodeScript(script: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(NODE_24, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.add(child);
  child.once('exit', () => spawned.delete(child));
  return child;
}

export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Collects a process's output until it has exited (killed after `timeoutMs`). */
export function runToExit(child: ChildProcess, timeoutMs: number): Promise<ProcessRun> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    // 'close', not 'exit': the last output may arrive after the process has gone.
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
