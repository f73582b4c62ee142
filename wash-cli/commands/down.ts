// `wash down`: stops what `wash up --detached` started, as its state file lists it: the
// application controller first (so it does not act on the host going away), then the host
// (SIGTERM, so it stops its actors and providers and says goodbye on the lattice), then the
// nats-server if wash up started one. A PID that no longer runs our program is left alone.

import type { Command } from 'commander';
import { type CommandResult, runAction } from '../output.ts';
import { withSpinner } from '../spinner.ts';
import { type ProcessMarker, readUpState, removeUpState, stopProcess, upStatePath } from '../up-state.ts';
import {
  CONTROLLER_MARKER,
  CONTROLLER_STOP_GRACE_MS,
  HOST_MARKER,
  HOST_STOP_GRACE_MS,
  NATS_MARKER,
  NATS_STOP_GRACE_MS,
} from './up/started-processes.ts';

/** One recorded process: how to recognise it, how long it gets, and the lines that report it. */
interface RecordedProcess {
  pid: number;
  marker: ProcessMarker;
  graceMs: number;
  spinner: string;
  stopped: string;
  notRunning: string;
}

/** Stops one recorded process, adds its line, and says whether it was running. */
async function stopRecorded(recorded: RecordedProcess, lines: string[]): Promise<boolean> {
  const stopped = await withSpinner(recorded.spinner, () =>
    stopProcess(recorded.pid, recorded.marker, recorded.graceMs),
  );
  lines.push(stopped ? recorded.stopped : recorded.notRunning);
  return stopped;
}

async function down(): Promise<CommandResult> {
  const state = readUpState();
  if (state === undefined) {
    return {
      json: { stopped: false },
      text: `Nothing to stop: wash up is not running in the background (no ${upStatePath()})`,
    };
  }
  const lines: string[] = [];
  const wadmPid = state.wadm_pid;
  const controllerStopped =
    wadmPid !== undefined &&
    (await stopRecorded(
      {
        pid: wadmPid,
        marker: CONTROLLER_MARKER,
        graceMs: CONTROLLER_STOP_GRACE_MS,
        spinner: 'Stopping the application controller',
        stopped: `Stopped the application controller (pid ${wadmPid})`,
        notRunning: `The application controller (pid ${wadmPid}) was not running`,
      },
      lines,
    ));
  const hostStopped = await stopRecorded(
    {
      pid: state.host_pid,
      marker: HOST_MARKER,
      graceMs: HOST_STOP_GRACE_MS,
      spinner: `Stopping host ${state.host_id}`,
      stopped: `Stopped host ${state.host_id} (pid ${state.host_pid})`,
      notRunning: `Host ${state.host_id} (pid ${state.host_pid}) was not running`,
    },
    lines,
  );
  const natsPid = state.nats_pid;
  const natsStopped =
    natsPid !== undefined &&
    (await stopRecorded(
      {
        pid: natsPid,
        marker: NATS_MARKER,
        graceMs: NATS_STOP_GRACE_MS,
        spinner: 'Stopping nats-server',
        stopped: `Stopped nats-server ${state.nats_url} (pid ${natsPid})`,
        notRunning: `nats-server (pid ${natsPid}) was not running`,
      },
      lines,
    ));
  if (natsPid === undefined) lines.push(`Left NATS at ${state.nats_url} running (wash up did not start it)`);
  removeUpState();
  return {
    json: {
      stopped: true,
      host_id: state.host_id,
      host_stopped: hostStopped,
      ...(wadmPid !== undefined ? { wadm_stopped: controllerStopped } : {}),
      nats_url: state.nats_url,
      nats_stopped: natsStopped,
    },
    text: lines.join('\n'),
  };
}

export function registerDownCommand(program: Command): void {
  program
    .command('down')
    .description('stop the application controller, host and nats-server that wash up --detached started')
    .action(async (_flags: unknown, command: Command) => runAction(command, down));
}
