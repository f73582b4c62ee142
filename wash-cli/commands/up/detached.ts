// `wash up --detached`: start NATS (if needed) and the host, leave both running, and record them
// in the state file so `wash down` can stop exactly those.

import { mkdirSync } from 'node:fs';
import { type CommandResult, WashError } from '../../output.ts';
import {
  isOurProcess,
  readUpState,
  removeUpState,
  type UpState,
  upDirectory,
  upStatePath,
  writeUpState,
} from '../../up-state.ts';
import type { UpFlags } from './flags.ts';
import { planHost } from './host-plan.ts';
import { type StartedHost, startHost, waitForHost } from './host-process.ts';
import { type ChosenNats, chooseNats } from './nats-for-up.ts';
import { HOST_MARKER, stopStarted } from './started-processes.ts';
import { readyJson, readyText } from './summary.ts';

function refuseIfRunning(): void {
  const state = readUpState();
  if (state === undefined) return;
  if (isOurProcess(state.host_pid, HOST_MARKER)) {
    throw new WashError(
      'WASH_UP_RUNNING',
      `wash up is already running in the background (host ${state.host_id}, pid ${state.host_pid}): stop it with wash down`,
    );
  }
  removeUpState(); // left behind by a run whose processes are gone
}

export async function upDetached(flags: UpFlags): Promise<CommandResult> {
  refuseIfRunning();
  const plan = planHost(flags);
  mkdirSync(upDirectory(), { recursive: true });
  let nats: ChosenNats | undefined;
  let host: StartedHost | undefined;
  try {
    nats = await chooseNats(flags, true);
    host = startHost(plan, nats, true);
    await waitForHost(host, plan, nats, () => false);
  } catch (error) {
    await stopStarted(host, nats);
    throw error;
  }
  host.child.unref();
  const state: UpState = {
    nats_url: nats.url,
    ...(nats.child?.pid ? { nats_pid: nats.child.pid, nats_log: nats.log } : {}),
    host_pid: host.child.pid ?? 0,
    host_id: plan.hostId,
    host_log: host.log ?? '',
    lattice_prefix: plan.latticePrefix,
    started_at: new Date().toISOString(),
  };
  writeUpState(state);
  return {
    json: { ...readyJson(plan, nats, host), state_file: upStatePath() },
    text: readyText(plan, nats, host, true),
  };
}
