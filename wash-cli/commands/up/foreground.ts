// `wash up` in the foreground: start NATS (if needed), the host and the application controller
// (unless --no-wadm), stream their logs, and stop everything it started on Ctrl-C (a second Ctrl-C
// kills) or when the host exits by itself. A controller that exits is reported, not fatal: the
// host keeps serving what already runs.

import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import { WashError } from '../../errors.ts';
import { type CommandResult, outputKindOf, warn } from '../../output.ts';
import { upDirectory } from '../../up-state.ts';
import { exitDescription, exited } from './child-process.ts';
import {
  CONTROLLER_LOG_PREFIX,
  type StartedController,
  startController,
  waitForController,
} from './controller-process.ts';
import { type UpFlags, wantsController } from './flags.ts';
import { planHost } from './host-plan.ts';
import { type StartedHost, startHost, waitForHost } from './host-process.ts';
import { type ChosenNats, chooseNats } from './nats-for-up.ts';
import { stopStarted } from './started-processes.ts';
import { readyJson, readyText } from './summary.ts';

export async function upForeground(flags: UpFlags, command: Command): Promise<CommandResult> {
  const plan = planHost(flags);
  mkdirSync(upDirectory(), { recursive: true });
  let nats: ChosenNats | undefined;
  let host: StartedHost | undefined;
  let controller: StartedController | undefined;
  let signals = 0;
  let onSignal: () => void = () => undefined;
  const signalled = new Promise<void>((resolve) => {
    onSignal = () => {
      signals += 1;
      if (signals === 1) {
        warn('Stopping the host (Ctrl-C again to kill it)…');
        resolve();
      } else {
        controller?.child.kill('SIGKILL');
        host?.child.kill('SIGKILL');
        nats?.child?.kill('SIGKILL');
      }
    };
  });
  // If wash itself goes away abruptly, do not leave the children running.
  const onExit = () => {
    if (controller && !exited(controller.child)) controller.child.kill('SIGKILL');
    if (host && !exited(host.child)) host.child.kill('SIGKILL');
    if (nats?.child && !exited(nats.child)) nats.child.kill('SIGKILL');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', onExit);
  try {
    nats = await chooseNats(flags, false);
    host = startHost(plan, nats, false);
    await waitForHost(host, plan, nats, () => signals > 0);
    if (wantsController(flags)) {
      controller = startController(plan, nats, flags, false);
      await waitForController(controller, plan, nats, () => signals > 0);
    }
    const ready =
      outputKindOf(command) === 'json'
        ? JSON.stringify({ ...readyJson(plan, nats, host, controller), success: true })
        : readyText(plan, nats, host, controller, false);
    process.stdout.write(`${ready}\n\n`);
    // From here on the logs are ours to show; first what each logged while starting.
    for (const line of host.tail.lines) process.stderr.write(`${line}\n`);
    host.forward.live = true;
    if (controller) {
      for (const line of controller.tail.lines) process.stderr.write(`${CONTROLLER_LOG_PREFIX}${line}\n`);
      controller.forward.live = true;
      const running = controller.child;
      running.once('exit', () => {
        if (signals === 0) warn(`the application controller exited with ${exitDescription(running)}`);
      });
    }
    const child = host.child;
    const hostExit = new Promise<void>((resolve) => {
      if (exited(child)) resolve();
      else child.once('exit', () => resolve());
    });
    await Promise.race([signalled, hostExit]);
    const stoppedByItself = signals === 0;
    await stopStarted(host, nats, controller);
    if (stoppedByItself && host.child.exitCode !== 0) {
      throw new WashError('WASH_HOST_EXITED', `the host exited with ${exitDescription(host.child)}`);
    }
    const others = [
      ...(controller ? ['the application controller'] : []),
      ...(nats.child ? ['the nats-server wash up started'] : []),
    ];
    return {
      json: { host_id: plan.hostId, stopped: true },
      text: stoppedByItself
        ? `The host stopped; stopped ${others.length === 0 ? 'nothing else' : others.join(' and ')}`
        : `Stopped the host${others.map((other) => `, ${other}`).join('')}`,
    };
  } finally {
    await stopStarted(host, nats, controller);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
}
