// `wash up` in the foreground: start NATS (if needed) and the host, stream the host's logs, and
// stop everything it started on Ctrl-C (a second Ctrl-C kills) or when the host exits by itself.

import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import { type CommandResult, outputKindOf, WashError, warn } from '../../output.ts';
import { upDirectory } from '../../up-state.ts';
import { exitDescription, exited } from './child-process.ts';
import type { UpFlags } from './flags.ts';
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
  let signals = 0;
  let onSignal: () => void = () => undefined;
  const signalled = new Promise<void>((resolve) => {
    onSignal = () => {
      signals += 1;
      if (signals === 1) {
        warn('Stopping the host (Ctrl-C again to kill it)…');
        resolve();
      } else {
        host?.child.kill('SIGKILL');
        nats?.child?.kill('SIGKILL');
      }
    };
  });
  // If wash itself goes away abruptly, do not leave the children running.
  const onExit = () => {
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
    const ready =
      outputKindOf(command) === 'json'
        ? JSON.stringify({ ...readyJson(plan, nats, host), success: true })
        : readyText(plan, nats, host, false);
    process.stdout.write(`${ready}\n\n`);
    // From here on the host's log is ours to show; first what it logged while starting.
    for (const line of host.tail.lines) process.stderr.write(`${line}\n`);
    host.forward.live = true;
    const child = host.child;
    const hostExit = new Promise<void>((resolve) => {
      if (exited(child)) resolve();
      else child.once('exit', () => resolve());
    });
    await Promise.race([signalled, hostExit]);
    const stoppedByItself = signals === 0;
    await stopStarted(host, nats);
    if (stoppedByItself && host.child.exitCode !== 0) {
      throw new WashError('WASH_HOST_EXITED', `the host exited with ${exitDescription(host.child)}`);
    }
    const what = nats.child ? 'the host and the nats-server wash up started' : 'the host';
    return {
      json: { host_id: plan.hostId, stopped: true },
      text: stoppedByItself
        ? `The host stopped; stopped ${nats.child ? 'the nats-server too' : 'nothing else'}`
        : `Stopped ${what}`,
    };
  } finally {
    await stopStarted(host, nats);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
}
