// `wash up --detached`: start NATS (if needed), the host and the application controller (unless
// --no-wadm), leave them running, and record them in the state file so `wash down` can stop
// exactly those.

import { mkdirSync } from 'node:fs';
import { WashError } from '../../errors.ts';
import type { CommandResult } from '../../output.ts';
import {
  isOurProcess,
  readUpState,
  removeUpState,
  type UpState,
  upDirectory,
  upStatePath,
  writeUpState,
} from '../../up-state.ts';
import { type StartedController, startController, waitForController } from './controller-process.ts';
import { type UpFlags, wantsController } from './flags.ts';
import { planHost } from './host-plan.ts';
import { type StartedHost, startHost, waitForHost } from './host-process.ts';
import { type ChosenNats, chooseNats } from './nats-for-up.ts';
import { CONTROLLER_MARKER, HOST_MARKER, stopStarted } from './started-processes.ts';
import { readyJson, readyText } from './summary.ts';

function refuseIfRunning(): void {
  const state = readUpState();
  if (state === undefined) return;
  const controllerRunning = state.wadm_pid !== undefined && isOurProcess(state.wadm_pid, CONTROLLER_MARKER);
  if (isOurProcess(state.host_pid, HOST_MARKER) || controllerRunning) {
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
  let controller: StartedController | undefined;
  try {
    nats = await chooseNats(flags, true);
    host = startHost(plan, nats, true);
    await waitForHost(host, plan, nats, () => false);
    if (wantsController(flags)) {
      controller = startController(plan, nats, flags, true);
      await waitForController(controller, plan, nats, () => false);
    }
  } catch (error) {
    await stopStarted(host, nats, controller);
    throw error;
  }
  host.child.unref();
  controller?.child.unref();
  const state: UpState = {
    nats_url: nats.url,
    ...(nats.child?.pid ? { nats_pid: nats.child.pid, nats_log: nats.log } : {}),
    host_pid: host.child.pid ?? 0,
    host_id: plan.hostId,
    host_log: host.log ?? '',
    ...(controller?.child.pid ? { wadm_pid: controller.child.pid, wadm_log: controller.log } : {}),
    lattice_prefix: plan.latticePrefix,
    started_at: new Date().toISOString(),
  };
  writeUpState(state);
  return {
    json: { ...readyJson(plan, nats, host, controller), state_file: upStatePath() },
    text: readyText(plan, nats, host, controller, true),
  };
}
