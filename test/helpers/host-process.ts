// Runs the host as an operator does, `node host/main.ts` under the project's Node 24, with settings
// in its environment: either until it has started (its id and dashboard URL read from its log), or
// until it exits (a start-up failure: exit code and stderr). Every process started here is stopped
// by `stop()` and killed when the test process exits.

import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './fixtures.ts';
import { type ProcessRun, runToExit, spawnNodeScript } from './processes.ts';

const HOST_MAIN = join(REPO_ROOT, 'host', 'main.ts');

export interface HostProcess {
  child: ChildProcess;
  /** The host's public key (N…). */
  id: string;
  /** Where its dashboard listens, when it serves one. */
  dashboardUrl: string | undefined;
  /** Everything it has written to stdout and stderr so far. */
  output(): string;
  /** `signal` (SIGTERM unless told), then SIGKILL after 10 s; resolves once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface HostProcessOptions {
  /** WASMCLOUD_* settings (added to this process's environment). */
  env: Record<string, string>;
  args?: string[];
  timeoutMs?: number;
  /** Another entry point than host/main.ts (host/cli.ts: the .ts host without the restart). */
  script?: string;
}

function spawnHost(options: HostProcessOptions): ChildProcess {
  return spawnNodeScript(options.script ?? HOST_MAIN, options.args ?? [], options.env);
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill(signal);
  });
}

/** Starts a host process; resolves once it logs `host started`, rejects (with its output) if it exits. */
export function startHostProcess(options: HostProcessOptions): Promise<HostProcess> {
  const child = spawnHost(options);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stopChild(child);
      reject(new Error(`the host did not start within ${options.timeoutMs ?? 30_000} ms:\n${output}`));
    }, options.timeoutMs ?? 30_000);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      reject(new Error(`the host exited (${code ?? signal}) before it started:\n${output}`));
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const id = /host started: (N[A-Z2-7]{55})/.exec(output)?.[1];
      if (id === undefined) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve({
        child,
        id,
        dashboardUrl: /dashboard listening on (http:\/\/\S+)/.exec(output)?.[1],
        output: () => output,
        stop: (signal) => stopChild(child, signal),
      });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

export type HostExit = ProcessRun;

/** Runs a host that is expected to fail at start-up; resolves with how it exited (killed after the timeout). */
export function runHostUntilExit(options: HostProcessOptions): Promise<HostExit> {
  return runToExit(spawnHost(options), options.timeoutMs ?? 30_000);
}
