// The host process: host/main.ts under this same Node, connected to the chosen NATS, and the
// wait until it answers on the lattice.

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ControlClient } from '../../../lattice/control-client.ts';
import { connectNats } from '../../../lattice/nats.ts';
import { WashError } from '../../errors.ts';
import { HOST_MAIN } from '../../install-paths.ts';
import { startSpinner } from '../../spinner.ts';
import { upDirectory } from '../../up-state.ts';
import { exitDescription, exited } from './child-process.ts';
import type { HostPlan } from './host-plan.ts';
import { LogTail, printLogTail } from './log-tail.ts';
import type { ChosenNats } from './nats-for-up.ts';

export interface StartedHost {
  child: ChildProcess;
  tail: LogTail;
  /** Detached: the log file. */
  log?: string;
  /** Foreground: where each log line goes once the host is up (before that they are only kept). */
  forward: { live: boolean };
}

/** The host's latest log lines: from its log file when detached, else as kept in memory. */
export function hostLogTail(host: StartedHost): LogTail {
  return host.log ? LogTail.ofFile(host.log) : host.tail;
}

export function startHost(plan: HostPlan, nats: ChosenNats, detached: boolean): StartedHost {
  const connection = ['rpc', 'ctl', 'prov-rpc'].flatMap((kind) => [
    `--${kind}-host`,
    nats.host,
    `--${kind}-port`,
    String(nats.port),
  ]);
  const args = [HOST_MAIN, ...plan.args, ...connection];
  const env = { ...process.env, ...plan.env };
  const tail = new LogTail();
  const forward = { live: false };
  if (detached) {
    const log = join(upDirectory(), 'host.log');
    const logFd = openSync(log, 'w');
    const child = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    return { child, tail, log, forward };
  }
  const child = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const onChunk = (chunk: Buffer) =>
    tail.push(chunk.toString('utf8'), (line) => {
      if (forward.live) process.stderr.write(`${line}\n`);
    });
  child.stdout?.on('data', onChunk);
  child.stderr?.on('data', onChunk);
  return { child, tail, forward };
}

/** Waits until the host answers its inventory request; throws (with its last log lines) if it dies. */
export async function waitForHost(
  host: StartedHost,
  plan: HostPlan,
  nats: ChosenNats,
  interrupted: () => boolean,
) {
  const nc = await connectNats({ url: `${nats.host}:${nats.port}`, name: 'wash up' }).catch(
    (error: unknown) => {
      throw new WashError(
        'WASH_NATS_UNREACHABLE',
        `cannot connect to NATS at ${nats.url} to watch the host start`,
        { cause: error },
      );
    },
  );
  const client = new ControlClient(nc, { latticePrefix: plan.latticePrefix, timeoutMs: 500 });
  const spinner = startSpinner(`Starting host ${plan.hostId}`);
  const deadline = Date.now() + plan.startupTimeoutMs;
  try {
    for (;;) {
      if (interrupted()) throw new WashError('WASH_INTERRUPTED', 'interrupted before the host was ready');
      if (exited(host.child)) {
        spinner.stop();
        printLogTail('host', hostLogTail(host));
        throw new WashError(
          'WASH_HOST_EXITED',
          `the host exited with ${exitDescription(host.child)} before it was ready`,
        );
      }
      if (Date.now() > deadline) {
        spinner.stop();
        printLogTail('host', hostLogTail(host));
        throw new WashError(
          'WASH_HOST_NOT_READY',
          `the host did not answer within ${plan.startupTimeoutMs} ms on ${nats.url}`,
        );
      }
      try {
        await client.getInventory(plan.hostId);
        return;
      } catch {
        await sleep(100);
      }
    }
  } finally {
    spinner.stop();
    // Watching is over either way; a connection that fails to close has nothing left to lose.
    await nc.close().catch(() => undefined);
  }
}
