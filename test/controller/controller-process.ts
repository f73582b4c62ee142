// Runs the controller as an operator does, `node controller/main.ts` under the project's Node 24,
// settings in its environment and flags: until it has started (its "controller started" line), or
// until it exits. Its log is kept, with each leadership line's time, for traces. Every process
// started here is stopped by `stop()` and killed when the test process exits.

import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/fixtures.ts';
import { type ProcessRun, runToExit, spawnNodeScript } from '../helpers/processes.ts';

const CONTROLLER_MAIN = join(REPO_ROOT, 'controller', 'main.ts');

export interface ControllerProcess {
  child: ChildProcess;
  replicaId: string;
  output(): string;
  /** Times (ms since the epoch, from its log) at which it started and stopped leading. */
  terms(): Array<{ from: number; to: number | undefined }>;
  /** Resolves with the exit code (or signal) once it has exited. */
  exited: Promise<number | NodeJS.Signals | null>;
  /** `signal` (SIGTERM unless told), then SIGKILL after 10 s; resolves with how it exited. */
  stop(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals | null>;
}

function spawnController(args: string[], env: Record<string, string>): ChildProcess {
  return spawnNodeScript(CONTROLLER_MAIN, args, env);
}

/** Runs the controller to its end (for --help and bad settings); killed after `timeoutMs`. */
export function runController(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<ProcessRun> {
  return runToExit(spawnController(args, env), timeoutMs);
}

function termsOf(output: string): Array<{ from: number; to: number | undefined }> {
  const terms: Array<{ from: number; to: number | undefined }> = [];
  for (const line of output.split('\n')) {
    const time = Date.parse(line.slice(0, 24));
    if (line.includes('leadership: this replica leads')) terms.push({ from: time, to: undefined });
    else if (line.includes('leadership: this replica stopped leading')) {
      const open = terms.findLast((term) => term.to === undefined);
      if (open) open.to = time;
    }
  }
  return terms;
}

/** Starts a replica; resolves once it logs `controller started`, rejects (with its output) if it exits. */
export function startControllerProcess(options: {
  natsPort: number;
  replicaId: string;
  latticePrefix?: string;
  env?: Record<string, string>;
}): Promise<ControllerProcess> {
  const child = spawnController(['--replica-id', options.replicaId], {
    WASMCLOUD_CTL_HOST: '127.0.0.1',
    WASMCLOUD_CTL_PORT: String(options.natsPort),
    WASMCLOUD_LATTICE_PREFIX: options.latticePrefix ?? 'default',
    ...options.env,
  });
  let output = '';
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal));
  });
  const stop = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) {
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      void exited.then(() => clearTimeout(force));
      child.kill(signal);
    }
    return exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop('SIGKILL');
      reject(new Error(`the controller did not start within 30 s:\n${output}`));
    }, 30_000);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      reject(new Error(`the controller exited (${code ?? signal}) before it started:\n${output}`));
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes('controller started:')) return;
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.stdout?.on('data', (more: Buffer) => {
        output += more.toString();
      });
      child.stderr?.on('data', (more: Buffer) => {
        output += more.toString();
      });
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve({
        child,
        replicaId: options.replicaId,
        output: () => output,
        terms: () => termsOf(output),
        exited,
        stop,
      });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}
