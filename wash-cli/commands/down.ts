// `wash down`: stops what `wash up --detached` started, as its state file lists it: the host first
// (SIGTERM, so it stops its actors and providers and says goodbye on the lattice), then the
// nats-server if wash up started one. A PID that no longer runs our program is left alone.

import type { Command } from 'commander';
import { type CommandResult, runAction } from '../output.ts';
import { withSpinner } from '../spinner.ts';
import { readUpState, removeUpState, stopProcess, upStatePath } from '../up-state.ts';
import { HOST_MARKER, HOST_STOP_GRACE_MS, NATS_MARKER, NATS_STOP_GRACE_MS } from './up/started-processes.ts';

async function down(): Promise<CommandResult> {
  const state = readUpState();
  if (state === undefined) {
    return {
      json: { stopped: false },
      text: `Nothing to stop: wash up is not running in the background (no ${upStatePath()})`,
    };
  }
  const lines: string[] = [];
  const hostStopped = await withSpinner(`Stopping host ${state.host_id}`, () =>
    stopProcess(state.host_pid, HOST_MARKER, HOST_STOP_GRACE_MS),
  );
  lines.push(
    hostStopped
      ? `Stopped host ${state.host_id} (pid ${state.host_pid})`
      : `Host ${state.host_id} (pid ${state.host_pid}) was not running`,
  );
  let natsStopped = false;
  if (state.nats_pid !== undefined) {
    const pid = state.nats_pid;
    natsStopped = await withSpinner('Stopping nats-server', () =>
      stopProcess(pid, NATS_MARKER, NATS_STOP_GRACE_MS),
    );
    lines.push(
      natsStopped
        ? `Stopped nats-server ${state.nats_url} (pid ${pid})`
        : `nats-server (pid ${pid}) was not running`,
    );
  } else {
    lines.push(`Left NATS at ${state.nats_url} running (wash up did not start it)`);
  }
  removeUpState();
  return {
    json: {
      stopped: true,
      host_id: state.host_id,
      host_stopped: hostStopped,
      nats_url: state.nats_url,
      nats_stopped: natsStopped,
    },
    text: lines.join('\n'),
  };
}

export function registerDownCommand(program: Command): void {
  program
    .command('down')
    .description('stop the host and nats-server that wash up --detached started')
    .action(async (_flags: unknown, command: Command) => runAction(command, down));
}
