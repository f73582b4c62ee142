// The application controller `wash up` starts beside the host: controller/main.ts under this same
// Node, a client of the same NATS and lattice (wash's connection variables), and the wait until it
// answers on the wadm API. Its log goes where the host's does: wash's stderr in the foreground
// (each line marked `wadm |`), `wadm.log` beside `host.log` when detached.

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../../../lattice/errors.ts';
import { connectNats } from '../../../lattice/nats.ts';
import { WadmClient } from '../../../lattice/wadm-client.ts';
import { WashError } from '../../errors.ts';
import { CONTROLLER_MAIN } from '../../install-paths.ts';
import { startSpinner } from '../../spinner.ts';
import { upDirectory } from '../../up-state.ts';
import { exitDescription, exited } from './child-process.ts';
import type { UpFlags } from './flags.ts';
import type { HostPlan } from './host-plan.ts';
import { LogTail, printLogTail } from './log-tail.ts';
import type { ChosenNats } from './nats-for-up.ts';

/** How each of its lines is marked in the foreground, where it shares stderr with the host's. */
export const CONTROLLER_LOG_PREFIX = 'wadm | ';

export interface StartedController {
  child: ChildProcess;
  tail: LogTail;
  /** Detached: the log file. */
  log?: string;
  /** Foreground: whether its lines are shown yet (before the summary they are only kept). */
  forward: { live: boolean };
}

/** The controller's environment: the lattice's NATS and settings under wash's variable names. */
function controllerEnv(plan: HostPlan, nats: ChosenNats, flags: UpFlags): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WASMCLOUD_CTL_HOST: nats.host,
    WASMCLOUD_CTL_PORT: String(nats.port),
    WASMCLOUD_LATTICE_PREFIX: plan.latticePrefix,
  };
  if (flags.jsDomain !== undefined) env.WASMCLOUD_JS_DOMAIN = flags.jsDomain;
  if (flags.logLevel !== undefined) env.WASMCLOUD_LOG_LEVEL = flags.logLevel;
  if (flags.structuredLogging) env.WASMCLOUD_STRUCTURED_LOGGING_ENABLED = 'true';
  return env;
}

export function startController(
  plan: HostPlan,
  nats: ChosenNats,
  flags: UpFlags,
  detached: boolean,
): StartedController {
  const env = controllerEnv(plan, nats, flags);
  const tail = new LogTail();
  const forward = { live: false };
  if (detached) {
    const log = join(upDirectory(), 'wadm.log');
    const logFd = openSync(log, 'w');
    const child = spawn(process.execPath, [CONTROLLER_MAIN], {
      env,
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
    closeSync(logFd);
    return { child, tail, log, forward };
  }
  // Its own process group, as the host's: Ctrl-C reaches wash, which stops it in order.
  const child = spawn(process.execPath, [CONTROLLER_MAIN], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const onChunk = (chunk: Buffer) =>
    tail.push(chunk.toString('utf8'), (line) => {
      if (forward.live) process.stderr.write(`${CONTROLLER_LOG_PREFIX}${line}\n`);
    });
  child.stdout?.on('data', onChunk);
  child.stderr?.on('data', onChunk);
  return { child, tail, forward };
}

/** Its latest log lines: from its log file when detached, else as kept in memory. */
export function controllerLogTail(controller: StartedController): LogTail {
  return controller.log ? LogTail.ofFile(controller.log) : controller.tail;
}

/**
 * Waits until the controller answers `model.list` on the lattice (it serves the API only once its
 * buckets are there); throws, with its last log lines, if it exits first or never answers.
 */
export async function waitForController(
  controller: StartedController,
  plan: HostPlan,
  nats: ChosenNats,
  interrupted: () => boolean,
): Promise<void> {
  const nc = await connectNats({ url: `${nats.host}:${nats.port}`, name: 'wash up' }).catch(() => {
    throw new WashError(
      'WASH_NATS_UNREACHABLE',
      `cannot connect to NATS at ${nats.url} to watch the application controller start`,
    );
  });
  const client = new WadmClient(nc, { latticePrefix: plan.latticePrefix, timeoutMs: 500 });
  const spinner = startSpinner('Starting the application controller');
  const deadline = Date.now() + plan.startupTimeoutMs;
  let lastError = '';
  const fail = (code: 'WASH_CONTROLLER_EXITED' | 'WASH_CONTROLLER_NOT_READY', reason: string) => {
    spinner.stop();
    printLogTail('application controller', controllerLogTail(controller));
    return new WashError(code, reason);
  };
  try {
    for (;;) {
      if (interrupted())
        throw new WashError('WASH_INTERRUPTED', 'interrupted before the application controller was ready');
      if (exited(controller.child)) {
        throw fail(
          'WASH_CONTROLLER_EXITED',
          `the application controller exited with ${exitDescription(controller.child)} before it was ready (wash up --no-wadm starts none)`,
        );
      }
      if (Date.now() > deadline) {
        throw fail(
          'WASH_CONTROLLER_NOT_READY',
          `the application controller did not answer within ${plan.startupTimeoutMs} ms on ${nats.url}${lastError ? ` (${lastError})` : ''}`,
        );
      }
      try {
        await client.list();
        return;
      } catch (error) {
        // Not serving yet (no responder, or no reply while it sets up its buckets): ask again.
        lastError = errorMessage(error);
        await sleep(100);
      }
    }
  } finally {
    spinner.stop();
    // The answer is in (or the wait is over): a failure to close changes nothing.
    await nc.close().catch(() => undefined);
  }
}
