// What `wash up` leaves behind in wash's home ($WASH_HOME, else ~/.wash): the cluster seed it
// signs with (made once, reused by every later `wash up` and by `wash ctl call`), and for
// `wash up --detached` a state file naming the processes it started (nats-server, host,
// application controller), so `wash down` can stop exactly those and nothing else.

import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../lattice/errors.ts';
import { KeyPair } from '../lattice/keys.ts';
import { WashError } from './errors.ts';

export function washHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.WASH_HOME;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(homedir(), '.wash');
}

/** Where the detached processes' logs and nats-server's JetStream store live. */
export function upDirectory(): string {
  return join(washHome(), 'up');
}

export function upStatePath(): string {
  return join(washHome(), 'up.json');
}

export function clusterSeedPath(): string {
  return join(washHome(), 'up_cluster.nk');
}

const upStateSchema = z.object({
  nats_url: z.string(),
  /** Set only when `wash up` started the server (it never stops one it did not start). */
  nats_pid: z.number().int().positive().optional(),
  nats_log: z.string().optional(),
  host_pid: z.number().int().positive(),
  host_id: z.string(),
  host_log: z.string(),
  /** Set only when `wash up` started the application controller (not with --no-wadm). */
  wadm_pid: z.number().int().positive().optional(),
  wadm_log: z.string().optional(),
  lattice_prefix: z.string(),
  started_at: z.string(),
});
export type UpState = z.output<typeof upStateSchema>;

/** The state of a detached `wash up`, or undefined when there is none. */
export function readUpState(): UpState | undefined {
  const path = upStatePath();
  if (!existsSync(path)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new WashError(
      'WASH_BAD_STATE_FILE',
      `cannot read ${path}: ${errorMessage(error)} (remove it if nothing is running)`,
      { cause: error },
    );
  }
  const parsed = upStateSchema.safeParse(value);
  if (!parsed.success)
    throw new WashError(
      'WASH_BAD_STATE_FILE',
      `${path} is not a wash up state file (remove it if nothing is running)`,
    );
  return parsed.data;
}

export function writeUpState(state: UpState): void {
  mkdirSync(washHome(), { recursive: true });
  writeFileSync(upStatePath(), `${JSON.stringify(state, null, 2)}\n`);
}

export function removeUpState(): void {
  rmSync(upStatePath(), { force: true });
}

function readSeedFile(path: string): KeyPair {
  try {
    return KeyPair.fromSeed(readFileSync(path, 'utf8').trim(), 'cluster');
  } catch (error) {
    throw new WashError(
      'WASH_BAD_STATE_FILE',
      `${path} does not hold a cluster seed: ${errorMessage(error)}`,
      { cause: error },
    );
  }
}

/** The cluster key `wash up` saved, if any. */
export function savedClusterKey(): KeyPair | undefined {
  const path = clusterSeedPath();
  return existsSync(path) ? readSeedFile(path) : undefined;
}

/** The saved cluster key, made and saved (readable by this user only) on first use. */
export function clusterKeyForUp(): KeyPair {
  const saved = savedClusterKey();
  if (saved) return saved;
  const keyPair = KeyPair.create('cluster');
  mkdirSync(washHome(), { recursive: true });
  writeFileSync(clusterSeedPath(), `${keyPair.seed}\n`, { mode: 0o600 });
  chmodSync(clusterSeedPath(), 0o600);
  return keyPair;
}

/** True while a process with this PID exists (signal 0 only checks). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when `pid` is alive and, where /proc can tell, still runs a command line containing
 * `marker`: a PID from an old state file may have been reused by an unrelated process.
 */
/** What a process's command line contains when it is ours: one text, or any of several. */
export type ProcessMarker = string | readonly string[];

export function isOurProcess(pid: number, marker: ProcessMarker): boolean {
  if (!isProcessAlive(pid)) return false;
  let commandLine: string;
  try {
    commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true; // no /proc here: trust the state file
  }
  // A zombie (exited, not yet reaped) has an empty command line: it is gone for our purposes.
  return typeof marker === 'string'
    ? commandLine.includes(marker)
    : marker.some((text) => commandLine.includes(text));
}

/** Resolves once `isRunning()` turns false, or with false after `timeoutMs`. */
async function waitUntilGone(isRunning: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/**
 * Stops a process wash up started in an earlier run: SIGTERM, then SIGKILL when it has not exited
 * after `graceMs`. Returns false when it was not running (or is no longer ours) to begin with.
 */
export async function stopProcess(pid: number, marker: ProcessMarker, graceMs: number): Promise<boolean> {
  const running = () => isOurProcess(pid, marker);
  if (!running()) return false;
  process.kill(pid, 'SIGTERM');
  if (!(await waitUntilGone(running, graceMs))) {
    process.kill(pid, 'SIGKILL');
    await waitUntilGone(running, 2000);
  }
  return true;
}
